/**
 * Calibration of the LUT sum against networks measured end to end (see LutCalibration in
 * lut/format.ts for the model). Up to five physical parameters, fitted by least squares: a per-network
 * base cost, a per-op cost and a per-byte cost of the op's activations (none negative: what one-op models pay
 * and networks do not), a per-byte cost of the op's weights (not negative: what networks pay and one-op models
 * do not, their weights read from farther away), and the share of
 * an op's one-op time that it takes inside a network (scale, positive); the model kept is the one that
 * predicts left-out networks best (leave-one-out, or leave-one-family-out over several families), and it
 * is kept over the plain LUT sum only when it beats the sum on those held-out networks by a clear margin
 * (beatsPlainSum): a fit that only fits its own networks better predicted other families worse on a quiet
 * machine (docs/benchmarks.md, issue 13). Measured, never guessed: the networks are exported and timed on
 * the LUT's own device with the LUT's protocol.
 */
import type { Architecture } from '../core/arch.js';
import { lutInstances } from '../core/decompose.js';
import { UserError } from '../core/errors.js';
import { opKey, parseOpKey } from '../core/keys.js';
import { activationBytes } from '../core/ops.js';
import type { WorkerDevice } from '../../devices/round-worker.js';
import type { RoundRecord } from '../../devices/rounds.js';
import type { Device } from '../../devices/types.js';
import { contentHash } from '../../lut/journal.js';
import type { Lut, LutCalibration } from '../../lut/format.js';
import { calibrationClass, classScale } from './context.js';
import { instanceWeightBytes } from './net-features.js';
import { ownEdgeMs, predict } from './predictor.js';

/** Per network: Σ medians, op count, Σ activation bytes and Σ weight bytes of its LUT instances, and Σ medians per context class. */
export function lutSums(lut: Lut, arch: Architecture): Sums {
  let sumMedian = 0;
  let bytes = 0;
  let weightBytes = 0;
  const byClass: Record<string, number> = {};
  const edgesByClass: Record<string, number> = {};
  const parts = lutInstances(arch);
  for (const { inst } of parts) {
    const key = opKey(inst);
    const entry = lut.entries[key];
    if (!entry) throw new UserError(`calibration: LUT ${lut.id} lacks ${opKey(inst)} (network ${arch.name})`, { hint: 'profile the networks first (nas profile --arch/--published/--space S --random N)' });
    sumMedian += entry.stats.median;
    bytes += activationBytes(inst);
    weightBytes += instanceWeightBytes(inst, key);
    const c = calibrationClass(inst.spec);
    byClass[c] = (byClass[c] ?? 0) + entry.stats.median;
    edgesByClass[c] = (edgesByClass[c] ?? 0) + ownEdgeMs(entry);
  }
  return { sumMedian, ops: parts.length, bytes, weightBytes, byClass, edgesByClass };
}

/** The sums with only the net's weight bytes beyond `cacheBytes` paid for (LutCalibration.weightCacheBytes). */
function beyondCache(s: Sums, cacheBytes: number): Sums {
  return cacheBytes > 0 ? { ...s, weightBytes: Math.max(0, s.weightBytes - cacheBytes) } : s;
}

/** The sums with every op less its one-op model's own edge reorders (LutCalibration.lessOwnEdges). */
function lessEdges(s: Sums): Sums {
  const byClass = Object.fromEntries(Object.entries(s.byClass).map(([c, v]) => [c, v - (s.edgesByClass[c] ?? 0)]));
  return { ...s, sumMedian: Object.values(byClass).reduce((a, b) => a + b, 0), byClass, edgesByClass: {} };
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

type Sums = { sumMedian: number; ops: number; bytes: number; weightBytes: number; byClass: Record<string, number>; edgesByClass: Record<string, number> };
/** measured ≈ base − perOp·ops − perByte·bytes + perWeightByte·weightBytes + Σ_class scale_class · Σmedian_class (one scale for all classes unless perClass). */
type Fit = { base: number; perOp: number; perByte: number; perWeightByte: number; scale: number; classScales?: Record<string, number>; lessOwnEdges?: boolean; weightCacheBytes?: number };
/** Column 0 (base) absent: the base is not fitted but the LUT's measured session overhead. */
type Model = { columns: number[]; scale: 'one' | 'fit' | 'per-class'; weights?: boolean };
type OpCost = { median: number; bytes: number; cls: string; edge: number };

/**
 * The cost columns a model fits; the ops' medians are taken as they are (scale 1), scaled by one fitted
 * scale, or by one per context class. Models without a fitted base take the measured session overhead as
 * theirs, so a relative effect (a scale) is not forced into an affine fit with a negative base.
 */
/*
 * With a measured weight cost (CalibrationOptions.perWeightByteMs), every model takes it as a fixed term (by
 * default; weightCost 'margin' tries each with and without it): what a network pays per byte of its ops' weights that their one-op models do not. A one-op model timed
 * run after run keeps its weights in the core's caches; inside a network every op's weights were last read one
 * whole run ago and come from farther away (src/predict/weight-cost.ts measures it per block at kernel level).
 * It is measured, not fitted: fitted from the networks' wall clock, it is collinear with their size (random mbv2
 * nets all carry the same 4.9 MiB classifier) and came out at twice the kernel-level figure, with a scale of
 * 0.6–0.8 against it (docs/benchmarks.md, "Issue 13: what a network pays beyond its units on ort-cpu"); fitted on
 * size variants of the calibration nets too (src/predict/size-variants.ts), it put 69% of the published nets within ±10%.
 *
 * Where the LUT records each entry's own NCHWc reorders at its edges (ort-cpu), every model is also tried with each
 * op less them (LutCalibration.lessOwnEdges): a network of NCHWc ops runs none there, and they are a larger share of
 * a small block's one-op time (RegNet's bottlenecks with b > 1: 28% of their unit kernels at 128 px).
 */
const MODELS: Model[] = [[0, 1, 2], [0, 1], [0, 2], [0], [1, 2], [1], [2], []]
  .flatMap((columns) => (['one', 'fit', 'per-class'] as const).map((scale) => ({ columns, scale })))
  .filter((m) => m.columns.length > 0 || m.scale !== 'one'); // overhead + Σ medians: no better a guess than the plain sum

/** A calibration network: its time, and the family it counts in when fits are checked leave-one-family-out. */
export type MeasuredNet = { arch: Architecture; ms: number; family?: string };

/**
 * The family of a calibration network: its space, else the first word of its name (published nets:
 * "EfficientNet-B0" → EfficientNet; in-context variants "mbv2@64:…~se" → their base's family, mbv2).
 */
export function netFamily(arch: Architecture): string {
  return arch.space?.id ?? (arch.name.split(/[@:~\-_ ]/)[0] || arch.name);
}

/**
 * A context class gets a scale of its own only where the networks fitted give it enough to learn from: at least
 * CLASS_SUPPORT.nets networks in which its ops carry at least CLASS_SUPPORT.share of the LUT sum. A class seen in
 * fewer counts with the plain ops. Fitted from one published net's few blocks (leave-one-family-out over the
 * published families at 224 px), SE-ReLU's scale came out at 1.66 and swish's at 8.1, and the left-out MnasNet
 * was predicted +27% (docs/benchmarks.md, issue 13 at 224 px); in-context variants (every block of ≥ 3 nets
 * in the class) always have the support.
 */
export const CLASS_SUPPORT = { nets: 3, share: 0.1 };

/** The context classes that get a scale of their own, plain ('') first; '' also stands for every class without support. */
export function classesOf(sums: readonly Pick<Sums, 'byClass' | 'sumMedian'>[]): string[] {
  const seen = new Set<string>();
  for (const s of sums) for (const [c, v] of Object.entries(s.byClass)) if (v > 0) seen.add(c);
  const own = [...seen].filter((c) => c !== '' && sums.filter((s) => (s.byClass[c] ?? 0) >= CLASS_SUPPORT.share * s.sumMedian).length >= CLASS_SUPPORT.nets);
  return seen.size ? ['', ...own].sort() : [];
}

/** A network's LUT sum in a class's column: its own, or for '' the plain ops' and those of every class without a column. */
function classColumn(s: Sums, c: string, classes: readonly string[]): number {
  if (c !== '') return s.byClass[c] ?? 0;
  return Object.entries(s.byClass).reduce((t, [k, v]) => t + (k === '' || !classes.includes(k) ? v : 0), 0);
}

function parameterCount(model: Model, classes: number): number {
  return model.columns.length + (model.scale === 'fit' ? 1 : model.scale === 'per-class' ? classes : 0);
}

function fitModel(sums: Sums[], measured: number[], model: Model, classes: string[], overhead: number, perWeightByte = 0): Fit {
  // Without a base column the base is the measured overhead: fitted against what the rest must explain.
  const fixedBase = model.columns.includes(0) ? 0 : overhead;
  // With the measured weight cost, it is taken out of the target as the base is.
  const w = model.weights ? perWeightByte : 0;
  const target = measured.map((m, i) => m - fixedBase - w * sums[i].weightBytes);
  const fit = (p: number[], scale: number, classScales?: Record<string, number>): Fit => ({ base: p[0] + fixedBase, perOp: p[1], perByte: p[2], perWeightByte: w, scale, ...(classScales ? { classScales } : {}) });
  const costs = (s: Sums) => [1, -s.ops, -s.bytes];
  const first = 3; // the scale columns follow the cost columns
  if (model.scale === 'one') {
    const p = leastSquares(sums.map(costs), target.map((m, i) => m - sums[i].sumMedian), model.columns);
    return fit(p, 1);
  }
  if (model.scale === 'fit') {
    const p = leastSquares(sums.map((s) => [...costs(s), s.sumMedian]), target, [...model.columns, first]);
    return fit(p, p[first]);
  }
  const p = leastSquares(sums.map((s) => [...costs(s), ...classes.map((c) => classColumn(s, c, classes))]), target, [...model.columns, ...classes.map((_, i) => first + i)]);
  const classScales = Object.fromEntries(classes.map((c, i) => [c, p[first + i]]));
  // The plain class's scale is the scale of every class the fit did not see.
  return fit(p, classScales[''] ?? 1, classScales);
}

/** Physical costs: no negative per-network base (a network cannot start faster than nothing), per-op or per-byte cost; scales positive. */
const physical = (p: Fit) => p.base >= 0 && p.perOp >= 0 && p.perByte >= 0 && p.perWeightByte >= 0 && p.scale > 0 && Object.values(p.classScales ?? {}).every((x) => x > 0);
const predicted = (p: Fit, s: Sums) =>
  p.base - p.perOp * s.ops - p.perByte * s.bytes + p.perWeightByte * s.weightBytes + Object.entries(s.byClass).reduce((sum, [c, v]) => sum + (p.classScales?.[c] ?? p.scale) * v, 0);

/** What a calibration may use beyond the measured networks. */
export interface CalibrationOptions {
  /**
   * The per-byte cost of an op's weights inside a network beyond its one-op model, measured at kernel level
   * (src/predict/weight-cost.ts); every model is then also tried with it as a fixed term, kept where it predicts
   * held-out networks better.
   */
  perWeightByteMs?: number;
  /**
   * Models with every op less its one-op model's own edge reorders (LutCalibration.lessOwnEdges; LUTs that record
   * them): 'also' (default) tries them beside the others, the lower held-out error kept; 'only' alone; 'off' none
   * (the rule before, for replays).
   */
  ownEdges?: 'off' | 'also' | 'only';
  /**
   * With perWeightByteMs: 'always' (default) fits every model with it; 'margin' (the rule before, for replays) keeps it
   * only where it beats the best model without it by KEEP_MARGIN.
   */
  weightCost?: 'margin' | 'always';
  /**
   * With perWeightByteMs: the cache shares C (MiB) tried, the weight cost then paid on a net's weight bytes beyond C
   * only (LutCalibration.weightCacheBytes), the one predicting held-out nets best kept; default WEIGHT_CACHE_MIB
   * ([0] for the rule before: every byte paid).
   */
  weightCacheMiB?: readonly number[];
  /**
   * With perWeightByteMs: which models the choice may take. 'all' (default): every cost column and scale;
   * 'scale': one fitted scale and nothing else (the measured weight cost beyond C, the measured overhead);
   * 'scales': one scale or one per context class, no fitted base, per-op or per-byte cost (for replays).
   */
  models?: 'all' | 'scale' | 'scales';
  /**
   * With perWeightByteMs and in-context variants (src/predict/context-fit.ts): 'one-scale' (default) keeps the
   * one-scale fit on the plain networks (src/predict/one-scale-fit.ts) where it beats the plain sum; 'choose' (the
   * rule before, for replays) chooses among every model as below.
   */
  keep?: 'one-scale' | 'choose';
}

/**
 * The cache shares a calibration tries for a measured weight cost: a small net pays little for its weights (its
 * weights stay in cache between runs), so the cost is paid on a net's weight bytes beyond C. Chosen per LUT by the
 * held-out error on its calibration nets; replayed on 23 ort-cpu fidelity runs it put 98.3% of the published and
 * 87.9% of the RegNet nets within ±10% (97.3% and 85.6% with every byte paid; docs/benchmarks.md, issue 13).
 */
export const WEIGHT_CACHE_MIB: readonly number[] = [0, 2, 4, 6, 8, 10, 12];

/** How the fits are checked on networks they were not fitted on. */
export type Validation = 'leave-one-out' | 'leave-one-family-out';

/**
 * The folds: one per family when the networks come from two families or more (a fit must predict a family
 * it never saw: what published nets are to random ones), else one per network.
 */
function foldsOf(families: readonly string[]): { validation: Validation; folds: number[][] } {
  const byFamily = new Map<string, number[]>();
  families.forEach((f, i) => byFamily.set(f, [...(byFamily.get(f) ?? []), i]));
  if (byFamily.size >= 2) return { validation: 'leave-one-family-out', folds: [...byFamily.values()] };
  return { validation: 'leave-one-out', folds: families.map((_, i) => [i]) };
}

/**
 * Each network's relative error (predicted/measured − 1) when the model is fitted on the other folds, or
 * undefined when the model cannot be tested this way (a fold leaves too few networks, or a fit on the rest
 * is not physical). A class the rest lacks takes the common scale, as the predictor gives it.
 */
function heldOutErrors(sums: Sums[], measured: number[], model: Model, folds: number[][], overhead: number, perWeightByte: number): number[] | undefined {
  const errors = new Array<number>(sums.length);
  for (const fold of folds) {
    const out = new Set(fold);
    const keep = sums.map((_, j) => j).filter((j) => !out.has(j));
    const restSums = keep.map((j) => sums[j]);
    const restClasses = classesOf(restSums);
    if (keep.length < parameterCount(model, restClasses.length) + 1) return undefined;
    const p = fitModel(restSums, keep.map((j) => measured[j]), model, restClasses, overhead, perWeightByte);
    if (!physical(p)) return undefined;
    for (const i of fold) errors[i] = predicted(p, sums[i]) / measured[i] - 1;
  }
  return errors;
}

const rmsOfPct = (errors: readonly number[]) => 100 * Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length);

/**
 * The costs are physical (none negative, scales positive). Every model (which costs; scale 1, one fitted
 * scale or one per context class) is fitted; the one kept predicts the networks it was not fitted on best
 * (leave-one-out, or leave-one-family-out over several families), so a model with more parameters wins
 * only when they generalise, not because they absorb noise. Undefined when no model is physical and testable.
 */
function chooseFit(sums0: Sums[], measured: number[], ops0: readonly OpCost[], folds: number[][], overhead: number, perWeightByte: number, ownEdges: 'off' | 'also' | 'only', always: boolean, cacheMiB: readonly number[], allowed: 'all' | 'scale' | 'scales'): { p: Fit; heldOut: number[] } | undefined {
  const hasEdges = sums0.some((s) => Object.values(s.edgesByClass).some((v) => v > 0));
  const modes = !hasEdges || ownEdges === 'off' ? [false] : ownEdges === 'only' ? [true] : [false, true];
  const caches = perWeightByte > 0 ? cacheMiB.map((c) => c * 2 ** 20) : [0];
  let chosen: { p: Fit; heldOut: number[]; rms: number } | undefined;
  for (const cache of caches)
    for (const edges of modes) {
      const sums = (edges ? sums0.map(lessEdges) : sums0).map((s) => beyondCache(s, cache));
      const ops = edges ? ops0.map((o) => ({ ...o, median: o.median - o.edge })) : ops0;
      const c = chooseAmong(sums, measured, ops, folds, overhead, perWeightByte, always, perWeightByte > 0 ? allowed : 'all');
      if (c && (!chosen || c.rms < chosen.rms * (1 - 1e-6) - 1e-6))
        chosen = { ...c, p: { ...c.p, ...(edges ? { lessOwnEdges: true } : {}), ...(cache > 0 && c.p.perWeightByte > 0 ? { weightCacheBytes: cache } : {}) } };
    }
  return chosen && { p: chosen.p, heldOut: chosen.heldOut };
}

function chooseAmong(sums: Sums[], measured: number[], ops: readonly OpCost[], folds: number[][], overhead: number, perWeightByte: number, always: boolean, allowed: 'all' | 'scale' | 'scales'): { p: Fit; heldOut: number[]; rms: number } | undefined {
  const classes = classesOf(sums);
  // Fewest parameters first; a model with more is chosen only when it predicts held-out networks better, not on a tie.
  const models = [...MODELS]
    .filter((m) => allowed === 'all' || (m.columns.length === 0 && (m.scale === 'fit' || (allowed === 'scales' && m.scale === 'per-class'))))
    .sort((a, b) => parameterCount(a, classes.length) - parameterCount(b, classes.length));
  const bestOf = (weights: boolean) => {
    let best: { p: Fit; heldOut: number[]; rms: number } | undefined;
    // With the weight cost, overhead + Σ medians + it is a model too: nothing fitted, measured terms only.
    for (const m of weights && allowed === 'all' ? [{ columns: [], scale: 'one' as const }, ...models] : models) {
      const model = weights ? { ...m, weights } : m;
      if (model.scale === 'per-class' && classes.length < 2) continue; // one class: the same as one fitted scale
      // Only a model whose every fit is over-determined is tested: k parameters need k + 2 networks.
      if (sums.length < parameterCount(model, classes.length) + 2) continue;
      const p = fitModel(sums, measured, model, classes, overhead, perWeightByte);
      // No op of the LUT may come out with a negative cost (a large per-byte cost fitted to disturbed timings did).
      if (!physical(p) || ops.some((o) => (p.classScales?.[o.cls] ?? p.scale) * o.median - p.perOp - p.perByte * o.bytes < 0)) continue;
      const heldOut = heldOutErrors(sums, measured, model, folds, overhead, perWeightByte);
      if (!heldOut) continue;
      const rms = rmsOfPct(heldOut);
      if (!best || rms < best.rms * (1 - 1e-6) - 1e-6) best = { p, heldOut, rms }; // (in %: below 1e-6 points is rounding)
    }
    return best;
  };
  // By default every model takes the measured weight cost: replayed on 20 ort-cpu fidelity runs (quiet and loaded,
  // 128 and 224 px), keeping it only by the margin left it out where published and RegNet nets needed it
  // (docs/benchmarks.md, issue 13: the second space).
  if (always && perWeightByte > 0) {
    const withW = bestOf(true);
    if (withW) return withW;
  }
  const without = bestOf(false);
  if (!(perWeightByte > 0)) return without;
  // The measured weight cost is kept only where it beats the best model without it by the margin a fit needs
  // over the plain sum (beatsPlainSum): within one family (random mbv2 nets) the held-out check cannot tell it
  // from a scale, and a marginal gain there over-predicted published nets (docs/benchmarks.md, issue 13).
  const withW = bestOf(true);
  if (withW && (!without || beatsPlainSum(withW.rms, without.rms))) return withW;
  return without;
}

/**
 * A fit is kept over the plain LUT sum only when it predicts the networks it was not fitted on better by a
 * clear margin: its held-out RMS error at most (1 − KEEP_MARGIN.relative) of the plain sum's and at least
 * KEEP_MARGIN.points percentage points below it. The model is chosen among a dozen by the same held-out
 * error, so a small gain may be luck of the draw; and where every candidate is about as good, the plain
 * sum (nothing fitted) is the one that holds for nets unlike the calibration set.
 */
export const KEEP_MARGIN = { relative: 0.1, points: 0.5 };

export function beatsPlainSum(heldOutPct: number, plainPct: number): boolean {
  return heldOutPct <= (1 - KEEP_MARGIN.relative) * plainPct && plainPct - heldOutPct >= KEEP_MARGIN.points;
}

/** The fit of fitCalibration with what the choice between it and the plain sum needs. */
export interface ValidatedFit {
  /** Undefined when no model is physical and testable (too few networks, or every fit disturbed). */
  calibration?: LutCalibration;
  /** Per network, relative error of the fit when fitted without the network's fold, and of the plain sum. */
  heldOut?: number[];
  plain: number[];
  validation: Validation;
  families: Record<string, number>;
}

const familyList = (measured: readonly MeasuredNet[]) => measured.map((m) => m.family ?? netFamily(m.arch));

/** Fits the calibration to measured networks and checks it on networks it was not fitted on. */
export function fitValidated(lut: Lut, measured: readonly MeasuredNet[], source: string, opts: CalibrationOptions = {}): ValidatedFit {
  if (measured.length < 3) throw new UserError(`calibration needs at least 3 measured networks, got ${measured.length}`);
  const sums = measured.map((m) => lutSums(lut, m.arch));
  const ops = Object.entries(lut.entries).map(([key, e]) => {
    const inst = parseOpKey(key);
    return { median: e.stats.median, bytes: activationBytes(inst), cls: calibrationClass(inst.spec), edge: ownEdgeMs(e) };
  });
  const families = familyList(measured);
  const { validation, folds } = foldsOf(families);
  const familyCounts: Record<string, number> = {};
  for (const f of families) familyCounts[f] = (familyCounts[f] ?? 0) + 1;
  const uncalibrated = { ...lut, calibration: undefined };
  const plain = measured.map((m) => predict(uncalibrated, m.arch, { breakdown: false }).ms / m.ms - 1);
  const chosen = chooseFit(sums, measured.map((m) => m.ms), ops, folds, lut.overhead.median, opts.perWeightByteMs ?? 0, opts.ownEdges ?? 'also', (opts.weightCost ?? 'always') === 'always', opts.weightCacheMiB ?? WEIGHT_CACHE_MIB, opts.models ?? 'all');
  if (!chosen) return { plain, validation, families: familyCounts };
  const { p: fit, heldOut } = chosen;
  const calibration: LutCalibration = {
    baseMs: fit.base,
    perOpMs: fit.perOp,
    perByteMs: fit.perByte,
    ...(fit.perWeightByte > 0 ? { perWeightByteMs: fit.perWeightByte } : {}),
    ...(fit.lessOwnEdges ? { lessOwnEdges: true } : {}),
    ...(fit.weightCacheBytes ? { weightCacheBytes: fit.weightCacheBytes } : {}),
    scale: fit.scale,
    ...(fit.classScales ? { classScales: fit.classScales } : {}),
    fittedOn: measured.length,
    rmsErrorPct: 0,
    source,
    createdAt: new Date().toISOString(),
  };
  calibration.rmsErrorPct = rmsPct(measured.map((m, i) => [calibratedSum(calibration, sums[i]), m.ms]));
  // The uncalibrated prediction on the same networks, so a fit that does not help can be refused.
  calibration.plainRmsErrorPct = rmsOfPct(plain);
  calibration.heldOut = { method: validation, rmsErrorPct: rmsOfPct(heldOut), families: familyCounts };
  return { calibration, heldOut, plain, validation, families: familyCounts };
}

/**
 * Fits the calibration to (network, measured ms) pairs. When no model is physical and testable, the
 * base-only fit (never negative) stands in, with a held-out error of Infinity so it is never kept.
 */
export function fitCalibration(lut: Lut, measured: readonly MeasuredNet[], source: string, opts: CalibrationOptions = {}): LutCalibration {
  const v = fitValidated(lut, measured, source, opts);
  if (v.calibration) return v.calibration;
  const sums = measured.map((m) => lutSums(lut, m.arch));
  const base = Math.max(0, measured.reduce((s, m, i) => s + m.ms - sums[i].sumMedian, 0) / measured.length);
  const c: LutCalibration = { baseMs: base, perOpMs: 0, perByteMs: 0, scale: 1, fittedOn: measured.length, rmsErrorPct: 0, source, createdAt: new Date().toISOString() };
  c.rmsErrorPct = rmsPct(measured.map((m, i) => [calibratedSum(c, sums[i]), m.ms]));
  c.plainRmsErrorPct = rmsOfPct(v.plain);
  c.heldOut = { method: v.validation, rmsErrorPct: Infinity, families: v.families };
  return c;
}

function rmsPct(pairs: [number, number][]): number {
  return 100 * Math.sqrt(pairs.reduce((s, [p, m]) => s + ((p - m) / m) ** 2, 0) / pairs.length);
}

/**
 * A calibration is worth keeping when it predicts networks it was not fitted on better than the plain sum
 * by a clear margin (beatsPlainSum). A calibration from before held-out checks: when it fits its own networks better.
 */
export function calibrationHelps(c: LutCalibration): boolean {
  if (c.plainRmsErrorPct === undefined) return true;
  if (c.heldOut) return beatsPlainSum(c.heldOut.rmsErrorPct, c.plainRmsErrorPct);
  return c.rmsErrorPct < c.plainRmsErrorPct;
}

export function calibratedSum(c: LutCalibration, sums: Sums): number {
  const s = beyondCache(c.lessOwnEdges ? lessEdges(sums) : sums, c.weightCacheBytes ?? 0);
  const scaled = Object.entries(s.byClass).reduce((sum, [k, v]) => sum + classScale(c, k) * v, 0);
  return c.baseMs + scaled - c.perOpMs * s.ops - c.perByteMs * s.bytes + (c.perWeightByteMs ?? 0) * s.weightBytes;
}

export interface CalibrateOptions {
  onProgress?: (done: number, total: number) => void;
  /** Rounds already taken, by calibrationNetId (a resumed run), and a hook after each round to persist it. */
  done?: ReadonlyMap<string, readonly RoundRecord[]>;
  onRound?: (id: string, rounds: readonly RoundRecord[]) => void;
  /** The registry name and options of `device`: under a fresh-process protocol the networks' rounds run in workers, as the LUT's entries did. */
  workerDevice?: WorkerDevice;
}

/** A network's id among calibration measurements: its name and a hash of its content, so a resumed run matches it whatever the order. */
export function calibrationNetId(arch: Architecture): string {
  return `${arch.name}#${contentHash(JSON.stringify([arch.input, arch.layers]))}`;
}

/** Measures `archs` end to end on `device` (the LUT's device); the times, in the order of `archs`. */
export async function measureCalibrationNets(lut: Lut, device: Device, archs: readonly Architecture[], o: CalibrateOptions = {}): Promise<{ arch: Architecture; ms: number }[]> {
  const { networkModel } = await import('../../export/model.js');
  const { timeModelsInRounds } = await import('../../devices/measurables.js');
  const { roundTimer } = await import('../../devices/round-timer.js');
  // The networks in the LUT's own protocol: with rounds, spread over the calibration like the entries were.
  const models = archs.map((arch) => ({ id: calibrationNetId(arch), build: () => networkModel(arch) }));
  const timer = roundTimer(device, lut.protocol, o.workerDevice);
  let results;
  try {
    results = await timeModelsInRounds(device, models, lut.protocol, { onComplete: o.onProgress, done: o.done, onRound: o.onRound, timer });
  } finally {
    await timer.stop();
  }
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
