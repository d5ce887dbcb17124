/**
 * Calibration of the LUT sum against networks measured end to end (see LutCalibration in
 * lut/format.ts for the model). Up to four physical parameters, fitted by least squares: a per-network
 * base cost, a per-op cost and a per-byte cost of the op's activations (none negative), and the share of
 * an op's one-op time that it takes inside a network (scale, positive); the model kept is the one that
 * predicts left-out networks best. Measured, never guessed: the
 * networks are exported and timed on the LUT's own device with the LUT's protocol.
 */
import type { Architecture } from '../core/arch.js';
import { lutInstances } from '../core/decompose.js';
import { UserError } from '../core/errors.js';
import { opKey, parseOpKey } from '../core/keys.js';
import { activationBytes } from '../core/ops.js';
import type { RoundRecord } from '../../devices/rounds.js';
import type { Device } from '../../devices/types.js';
import { contentHash } from '../../lut/journal.js';
import type { Lut, LutCalibration } from '../../lut/format.js';
import { classScale } from './context.js';
import { contextClass } from '../core/context-class.js';
import { predict } from './predictor.js';

/** Per network: Σ medians, op count and Σ activation bytes of its LUT instances, and Σ medians per context class. */
export function lutSums(lut: Lut, arch: Architecture): Sums {
  let sumMedian = 0;
  let bytes = 0;
  const byClass: Record<string, number> = {};
  const parts = lutInstances(arch);
  for (const { inst } of parts) {
    const entry = lut.entries[opKey(inst)];
    if (!entry) throw new UserError(`calibration: LUT ${lut.id} lacks ${opKey(inst)} (network ${arch.name})`, { hint: 'profile the networks first (nas profile --arch/--published/--space S --random N)' });
    sumMedian += entry.stats.median;
    bytes += activationBytes(inst);
    const c = contextClass(inst.spec);
    byClass[c] = (byClass[c] ?? 0) + entry.stats.median;
  }
  return { sumMedian, ops: parts.length, bytes, byClass };
}

/** Least squares over the chosen columns (others 0), with a tiny ridge so collinear inputs stay solvable. */
function leastSquares(rows: number[][], targets: number[], columns: number[]): number[] {
  const k = columns.length;
  const scale = columns.map((j) => Math.max(1e-12, Math.sqrt(rows.reduce((s, r) => s + r[j] * r[j], 0) / rows.length)));
  const x = rows.map((r) => columns.map((j, c) => r[j] / scale[c]));
  const a = x[0].map((_, i) => x[0].map((_, j) => x.reduce((s, r) => s + r[i] * r[j], 0) + (i === j ? 1e-9 * rows.length : 0)));
  const b = x[0].map((_, i) => x.reduce((s, r, n) => s + r[i] * targets[n], 0));
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    [b[c], b[p]] = [b[p], b[c]];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let q = c; q < k; q++) a[r][q] -= f * a[c][q];
      b[r] -= f * b[c];
    }
  }
  const out = rows[0].map(() => 0);
  columns.forEach((j, c) => (out[j] = b[c] / a[c][c] / scale[c]));
  return out;
}

type Sums = { sumMedian: number; ops: number; bytes: number; byClass: Record<string, number> };
/** measured ≈ base − perOp·ops − perByte·bytes + Σ_class scale_class · Σmedian_class (one scale for all classes unless perClass). */
type Fit = { base: number; perOp: number; perByte: number; scale: number; classScales?: Record<string, number> };
type Model = { columns: number[]; scale: 'one' | 'fit' | 'per-class' };
type OpCost = { median: number; bytes: number; cls: string };

/** The cost columns a model fits; the ops' medians are taken as they are (scale 1), scaled by one fitted scale, or by one per context class. */
const MODELS: Model[] = [[0, 1, 2], [0, 1], [0, 2], [0]].flatMap((columns) => (['one', 'fit', 'per-class'] as const).map((scale) => ({ columns, scale })));

/** The context classes whose ops the networks contain, plain ('') first. */
function classesOf(sums: Sums[]): string[] {
  const seen = new Set<string>();
  for (const s of sums) for (const [c, v] of Object.entries(s.byClass)) if (v > 0) seen.add(c);
  return [...seen].sort();
}

function parameterCount(model: Model, classes: number): number {
  return model.columns.length + (model.scale === 'fit' ? 1 : model.scale === 'per-class' ? classes : 0);
}

function fitModel(sums: Sums[], measured: number[], model: Model, classes: string[]): Fit {
  const fit = (p: number[], scale: number, classScales?: Record<string, number>): Fit => ({ base: p[0], perOp: p[1], perByte: p[2], scale, ...(classScales ? { classScales } : {}) });
  if (model.scale === 'one') {
    const p = leastSquares(sums.map((s) => [1, -s.ops, -s.bytes]), measured.map((m, i) => m - sums[i].sumMedian), model.columns);
    return fit(p, 1);
  }
  if (model.scale === 'fit') {
    const p = leastSquares(sums.map((s) => [1, -s.ops, -s.bytes, s.sumMedian]), measured, [...model.columns, 3]);
    return fit(p, p[3]);
  }
  const p = leastSquares(sums.map((s) => [1, -s.ops, -s.bytes, ...classes.map((c) => s.byClass[c] ?? 0)]), measured, [...model.columns, ...classes.map((_, i) => 3 + i)]);
  const classScales = Object.fromEntries(classes.map((c, i) => [c, p[3 + i]]));
  // The plain class's scale is the scale of every class the fit did not see.
  return fit(p, classScales[''] ?? 1, classScales);
}

const physical = (p: Fit) => p.perOp >= 0 && p.perByte >= 0 && p.scale > 0 && Object.values(p.classScales ?? {}).every((x) => x > 0);
const predicted = (p: Fit, s: Sums) =>
  p.base - p.perOp * s.ops - p.perByte * s.bytes + Object.entries(s.byClass).reduce((sum, [c, v]) => sum + (p.classScales?.[c] ?? p.scale) * v, 0);

/** Leave-one-out RMS relative error (%) of a model: how well it predicts networks it was not fitted on. */
function looRmsPct(sums: Sums[], measured: number[], model: Model, classes: string[]): number {
  let sq = 0;
  for (let i = 0; i < sums.length; i++) {
    const rest = (xs: readonly number[] | readonly Sums[]) => xs.filter((_, j) => j !== i);
    const restSums = rest(sums) as Sums[];
    // A class only the left-out network has cannot be fitted without it: that model is not testable here.
    if (model.scale === 'per-class' && classesOf(restSums).length !== classes.length) return Infinity;
    const p = fitModel(restSums, rest(measured) as number[], model, classes);
    if (!physical(p)) return Infinity;
    sq += ((predicted(p, sums[i]) - measured[i]) / measured[i]) ** 2;
  }
  return 100 * Math.sqrt(sq / sums.length);
}

/**
 * The costs are physical (none negative, scales positive). Every model (which costs; scale 1, one fitted
 * scale or one per context class) is fitted; the one kept predicts the networks it was not fitted on best
 * (leave-one-out), so a model with more parameters wins only when they generalise, not because they
 * absorb noise.
 */
function chooseFit(sums: Sums[], measured: number[], ops: readonly OpCost[]): Fit {
  const classes = classesOf(sums);
  let best: { p: Fit; loo: number } | undefined;
  for (const model of MODELS) {
    if (model.scale === 'per-class' && classes.length < 2) continue; // one class: the same as one fitted scale
    // Leave-one-out only tests a model whose every fit is over-determined: k parameters need k + 2 networks.
    if (sums.length < parameterCount(model, classes.length) + 2) continue;
    const p = fitModel(sums, measured, model, classes);
    // No op of the LUT may come out with a negative cost (a large per-byte cost fitted to disturbed timings did).
    if (!physical(p) || ops.some((o) => (p.classScales?.[o.cls] ?? p.scale) * o.median - p.perOp - p.perByte * o.bytes < 0)) continue;
    const loo = looRmsPct(sums, measured, model, classes);
    if (!best || loo < best.loo) best = { p, loo };
  }
  // The base-only model (scale 1, no per-op or per-byte cost) is always physical, so there is a best.
  return best?.p ?? { base: fitModel(sums, measured, { columns: [0], scale: 'one' }, classes).base, perOp: 0, perByte: 0, scale: 1 };
}

/** Fits the calibration to (network, measured ms) pairs. */
export function fitCalibration(lut: Lut, measured: { arch: Architecture; ms: number }[], source: string): LutCalibration {
  if (measured.length < 3) throw new UserError(`calibration needs at least 3 measured networks, got ${measured.length}`);
  const sums = measured.map((m) => lutSums(lut, m.arch));
  const ops = Object.entries(lut.entries).map(([key, e]) => {
    const inst = parseOpKey(key);
    return { median: e.stats.median, bytes: activationBytes(inst), cls: contextClass(inst.spec) };
  });
  const fit = chooseFit(
    sums,
    measured.map((m) => m.ms),
    ops,
  );
  const calibration: LutCalibration = {
    baseMs: fit.base,
    perOpMs: fit.perOp,
    perByteMs: fit.perByte,
    scale: fit.scale,
    ...(fit.classScales ? { classScales: fit.classScales } : {}),
    fittedOn: measured.length,
    rmsErrorPct: 0,
    source,
    createdAt: new Date().toISOString(),
  };
  calibration.rmsErrorPct = rmsPct(measured.map((m, i) => [calibratedSum(calibration, sums[i]), m.ms]));
  // The uncalibrated prediction on the same networks, so a fit that does not help can be refused.
  const plain = { ...lut, calibration: undefined };
  calibration.plainRmsErrorPct = rmsPct(measured.map((m) => [predict(plain, m.arch, { breakdown: false }).ms, m.ms]));
  return calibration;
}

function rmsPct(pairs: [number, number][]): number {
  return 100 * Math.sqrt(pairs.reduce((s, [p, m]) => s + ((p - m) / m) ** 2, 0) / pairs.length);
}

/** A calibration is worth keeping only when it fits the measured networks better than the plain sum does. */
export function calibrationHelps(c: LutCalibration): boolean {
  return c.plainRmsErrorPct === undefined || c.rmsErrorPct < c.plainRmsErrorPct;
}

export function calibratedSum(c: LutCalibration, s: Sums): number {
  const scaled = Object.entries(s.byClass).reduce((sum, [k, v]) => sum + classScale(c, k) * v, 0);
  return c.baseMs + scaled - c.perOpMs * s.ops - c.perByteMs * s.bytes;
}

export interface CalibrateOptions {
  onProgress?: (done: number, total: number) => void;
  /** Rounds already taken, by calibrationNetId (a resumed run), and a hook after each round to persist it. */
  done?: ReadonlyMap<string, readonly RoundRecord[]>;
  onRound?: (id: string, rounds: readonly RoundRecord[]) => void;
}

/** A network's id among calibration measurements: its name and a hash of its content, so a resumed run matches it whatever the order. */
export function calibrationNetId(arch: Architecture): string {
  return `${arch.name}#${contentHash(JSON.stringify([arch.input, arch.layers]))}`;
}

/** Measures `archs` end to end on `device` (the LUT's device); the times, in the order of `archs`. */
export async function measureCalibrationNets(lut: Lut, device: Device, archs: readonly Architecture[], o: CalibrateOptions = {}): Promise<{ arch: Architecture; ms: number }[]> {
  const { networkModel } = await import('../../export/model.js');
  const { timeModelsInRounds } = await import('../../devices/rounds.js');
  // The networks in the LUT's own protocol: with rounds, spread over the calibration like the entries were.
  const models = archs.map((arch) => ({ id: calibrationNetId(arch), build: () => networkModel(arch) }));
  const results = await timeModelsInRounds(device, models, lut.protocol, { onComplete: o.onProgress, done: o.done, onRound: o.onRound });
  return archs.map((arch, i) => ({ arch, ms: results[i].stats.median }));
}

/** Measures `archs` end to end on `device` (the LUT's device) and fits the calibration. */
export async function calibrate(
  lut: Lut,
  device: Device,
  archs: Architecture[],
  source: string,
  o: CalibrateOptions = {},
): Promise<{ calibration: LutCalibration; measured: { arch: Architecture; ms: number }[] }> {
  const measured = await measureCalibrationNets(lut, device, archs, o);
  return { calibration: fitCalibration(lut, measured, source), measured };
}
