/**
 * `nas scale`: a compound-scaled family of a base network (EfficientNet, Tan & Le 2019) on a device's LUT.
 *
 * 1. Coefficients α, β, γ: given; or, with an evaluator, the paper's grid search — every triple of the
 *    grid (α·β²·γ² ≈ 2) scales the base by φ = 1 and the most accurate wins; or else the paper's
 *    (1.2, 1.1, 1.15).
 * 2. The family φ = 1..K with those coefficients, each member with its predicted latency, MACs, params,
 *    activations and (with an evaluator) accuracy.
 * 3. With a latency target T, the latency-aware variant: for each candidate triple (the grid with an
 *    evaluator, the chosen coefficients without one) the largest φ on a grid of `phiStep` whose predicted
 *    latency meets T; with an evaluator the most accurate of those wins. Latency, not FLOPs, decides how
 *    far each triple may scale on this device.
 */
import { archMetrics, type GraphMetrics } from '../core/arch-metrics.js';
import type { Architecture } from '../core/arch.js';
import type { AccuracyEvaluator, LatencyEstimate } from '../core/contracts.js';
import { UserError } from '../core/errors.js';
import { coefficientGrid, factorsFor, PAPER_COEFFICIENTS, scaleArchitecture, type Coefficients, type ScaleFactors } from './compound.js';

export const FAMILY_FORMAT = 'hw-nas-scaled-family';
export const FAMILY_VERSION = 1;

export interface ScaleOptions {
  base: Architecture;
  /** Predicted latency of many networks at once (the CLI profiles what the LUT lacks in one go). */
  latency(archs: readonly Architecture[]): Promise<LatencyEstimate[]>;
  evaluator?: AccuracyEvaluator;
  /** Explicit coefficients; otherwise the grid search (with an evaluator) or the paper's. */
  coefficients?: Coefficients;
  grid?: { step?: number; max?: number; tolerance?: number };
  /** Family members φ = 1..phis; default 3. */
  phis?: number;
  targetMs?: number;
  /** φ grid of the latency-aware variant; default 0.1, up to phiMax (default: phis). */
  phiStep?: number;
  phiMax?: number;
  onProgress?(message: string): void;
}

export interface FamilyMember {
  name: string;
  phi: number;
  coefficients: Coefficients;
  factors: ScaleFactors;
  latency: { ms: number; ci95: [number, number] | null };
  metrics: GraphMetrics;
  accuracy: number | null;
  architecture: Architecture;
}

export interface ScaledFamily {
  format: typeof FAMILY_FORMAT;
  version: typeof FAMILY_VERSION;
  base: { name: string; resolution: number; latency: { ms: number }; metrics: GraphMetrics };
  coefficients: Coefficients & { how: 'given' | 'paper' | 'grid search'; gridSize?: number; gridAccuracy?: number };
  members: FamilyMember[];
  target: { latencyMs: number } | null;
  /** The latency-aware member (largest φ within the target, best triple with an evaluator), null without a target. */
  latencyAware: (FamilyMember & { candidates: number }) | null;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

function baseResolution(arch: Architecture): number {
  const [, , h, w] = arch.input;
  if (h !== w) throw new UserError(`compound scaling scales a square input; '${arch.name}' takes ${h}×${w}`);
  return h;
}

export async function scaleFamily(o: ScaleOptions): Promise<ScaledFamily> {
  const phis = o.phis ?? 3;
  if (!Number.isInteger(phis) || phis < 1) throw new UserError(`--phis must be a positive integer (family members φ = 1..K), got ${phis}`);
  const r0 = baseResolution(o.base);
  const log = o.onProgress ?? (() => {});
  const build = (c: Coefficients, phi: number) => {
    const factors = factorsFor(c, phi, r0);
    return { factors, arch: scaleArchitecture(o.base, factors, `${o.base.name}-phi${r2(phi)}`) };
  };

  // The base first: a target it already misses fails before any scaled network is built or profiled.
  const [baseLatency] = await o.latency([o.base]);
  if (o.targetMs !== undefined) {
    if (!(o.targetMs > 0)) throw new UserError(`--target-ms must be a positive number of milliseconds, got ${o.targetMs}`);
    if (baseLatency.ms > o.targetMs)
      throw new UserError(`the base network '${o.base.name}' is predicted at ${baseLatency.ms.toFixed(3)} ms, already above --target-ms ${o.targetMs}: compound scaling only grows it`, {
        hint: `give a target above ${baseLatency.ms.toFixed(3)} ms, or a smaller base`,
      });
  }

  let coefficients: ScaledFamily['coefficients'];
  const grid = o.coefficients || !o.evaluator ? [] : coefficientGrid(o.grid);
  if (o.coefficients) coefficients = { ...o.coefficients, how: 'given' };
  else if (o.evaluator) {
    let best: { c: Coefficients; acc: number } | undefined;
    for (const [i, c] of grid.entries()) {
      const acc = await o.evaluator.evaluate(build(c, 1).arch);
      log(`grid ${i + 1}/${grid.length}: α ${c.alpha} β ${c.beta} γ ${c.gamma}: accuracy ${acc.toFixed(3)}`);
      if (!best || acc > best.acc) best = { c, acc };
    }
    if (!best) throw new UserError('the coefficient grid is empty: widen --grid-tolerance or lower --grid-step');
    coefficients = { ...best.c, how: 'grid search', gridSize: grid.length, gridAccuracy: best.acc };
  } else coefficients = { ...PAPER_COEFFICIENTS, how: 'paper' };
  const chosen: Coefficients = { alpha: coefficients.alpha, beta: coefficients.beta, gamma: coefficients.gamma };

  const member = (c: Coefficients, phi: number, factors: ScaleFactors, arch: Architecture, lat: LatencyEstimate, accuracy: number | null): FamilyMember => ({
    name: arch.name,
    phi,
    coefficients: c,
    factors,
    latency: { ms: lat.ms, ci95: lat.ci95 ?? null },
    metrics: archMetrics(arch),
    accuracy,
    architecture: arch,
  });

  const family = Array.from({ length: phis }, (_, i) => ({ phi: i + 1, ...build(chosen, i + 1) }));
  const latencies = await o.latency(family.map((f) => f.arch));
  const members: FamilyMember[] = [];
  for (const [i, f] of family.entries()) members.push(member(chosen, f.phi, f.factors, f.arch, latencies[i], o.evaluator ? await o.evaluator.evaluate(f.arch) : null));

  let latencyAware: ScaledFamily['latencyAware'] = null;
  if (o.targetMs !== undefined) {
    const T = o.targetMs;
    const step = o.phiStep ?? 0.1;
    const phiMax = o.phiMax ?? phis;
    if (!(step > 0) || !(phiMax >= step)) throw new UserError(`--phi-step must be > 0 and at most --phi-max, got ${step} and ${phiMax}`);
    const phiGrid = Array.from({ length: Math.floor(phiMax / step + 1e-9) }, (_, i) => r2((i + 1) * step));
    const triples = o.evaluator && !o.coefficients ? grid : [chosen];
    const candidates = triples.flatMap((c) => phiGrid.map((phi) => ({ c, phi, ...build(c, phi) })));
    log(`latency-aware: ${triples.length} triple(s) × ${phiGrid.length} values of φ`);
    const lats = await o.latency(candidates.map((x) => x.arch));
    let best: { m: FamilyMember; n: number } | undefined;
    for (const c of triples) {
      // The largest φ of this triple within T (φ = 0 is the base, within T).
      let pick: number | undefined;
      candidates.forEach((x, i) => {
        if (x.c === c && lats[i].ms <= T && (pick === undefined || x.phi > candidates[pick].phi)) pick = i;
      });
      if (pick === undefined) continue;
      const x = candidates[pick];
      const acc = o.evaluator ? await o.evaluator.evaluate(x.arch) : null;
      const m = member(c, x.phi, x.factors, x.arch, lats[pick], acc);
      // With an evaluator the most accurate wins; without one there is one triple.
      if (!best || (acc ?? -Infinity) > (best.m.accuracy ?? -Infinity)) best = { m, n: triples.length };
    }
    if (!best) throw new UserError(`no scaled network with φ ≥ ${step} is predicted within --target-ms ${T} (the base takes ${baseLatency.ms.toFixed(3)} ms)`, { hint: 'raise --target-ms or lower --phi-step' });
    latencyAware = { ...best.m, name: `${o.base.name}-latency-aware-${T}ms`, architecture: { ...best.m.architecture, name: `${o.base.name}-latency-aware-${T}ms` }, candidates: candidates.length };
  }

  return {
    format: FAMILY_FORMAT,
    version: FAMILY_VERSION,
    base: { name: o.base.name, resolution: r0, latency: { ms: baseLatency.ms }, metrics: archMetrics(o.base) },
    coefficients,
    members,
    target: o.targetMs === undefined ? null : { latencyMs: o.targetMs },
    latencyAware,
  };
}
