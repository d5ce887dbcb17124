/**
 * What a unit costs inside its file beyond what it costs alone: the "in-file" correction.
 *
 * A unit timed alone runs the same kernel many times in a row, so its weights stay in the core's private
 * caches between runs. Inside the whole file, every other layer's weights and activations pass through those
 * caches between two runs of the same kernel, so the kernel reads its weights from a farther level. Compared
 * kernel by kernel in onnxruntime's own profile (ort-cpu, 1 thread, 26 files, a loaded machine;
 * docs/benchmarks.md, "where the units' error lives"), the extra time per unit grows with its weight bytes
 * (+0.2 µs under 16 KB of weights, +26 µs at 1–4 MB, +80 µs above 4 MB) and not with its activation bytes
 * (those come warm from the previous kernel in the file as well).
 *
 * The correction is therefore one line per device, fitted by least squares on units whose kernels were
 * profiled both alone and inside their files:
 *
 *   in file ≈ alone + perWeightedUnitMs + perWeightByteMs · weight bytes     (a unit that reads weights)
 *   in file ≈ alone                                                         (a unit without weights)
 *
 * "Weights" are float constants of rank ≥ 2 (conv kernels, matrices). Units without them (element-wise ops,
 * reshapes, pooling) read only activations, which the previous kernel left warm in the file as well; measured,
 * they cost the same or less in the file (PaddleOCR's Mul/Add/Clip/Div: −1.9 to −4.3 µs), so the intercept that the
 * weight-reading units pay (the first misses on their weights) is not charged to them.
 *
 * Only where the file's weights do not all stay warm: a file whose weights (Σ over its units) fit in the
 * core's private cache keeps them there between runs, exactly as a unit alone does, so none of its units is
 * corrected. Measured (ort-cpu, kernel clock, 4 runs at load 3–31, docs/benchmarks.md "Issue 17, fourth
 * pass"): files with 0.5 MB (PP-OCR's direction classifier) and 1.3 MB (openWakeWord's speech embedding) of
 * weights ran their weighted units within +1.5% … +9% of alone where the line charged them +30% … +40%, and
 * ten NAS-Bench-201 files of 0.6–2.4 MB ran their units in the file exactly as alone (Σ 11.856 ms against
 * 11.849 ms); files from 4.7 MB up (PP-OCRv4 det and rec, every mobile net) paid extra. The threshold
 * (`warmBytes`) lies between 2.4 and 4.7 MB on this machine (1 MiB L2 per core); warmCacheBytes() takes four
 * times the L2 the OS reports.
 *
 * It is learnt from the runtime's profiler (onnxruntime-node for ort-cpu, onnxruntime-web for wasm), stored
 * in the LUT (`inFile`) with the files it was fitted on, and added to every compute unit by the prediction
 * (src/onnx/predict.ts). Its coefficients depend on the machine and on what else shares its caches (a
 * loaded machine evicts more): fit it under the conditions you predict for, and judge it on files it was
 * not fitted on (bench/onnx-fidelity.ts does, fitting on one family and reporting the others).
 */
import type { InFileCorrection } from '../../lut/format.js';
import { l2CacheBytes } from './cache-size.js';
import type { ProfiledKernel } from './ort-profile.js';
import { isReorder } from './partition.js';
import type { OnnxPlan, PlannedUnit } from './plan.js';
import { unitReuse, type UnitReuse } from './reuse.js';

export type { InFileCorrection };

/** One unit's compute kernels, alone and inside one file (each kernel's fastest profiled run). */
export interface InFileSample {
  key: string;
  aloneMs: number;
  fileMs: number;
  weightBytes: number;
  /** The weight bytes of the whole file the sample comes from (Σ over its units). */
  fileWeightBytes?: number;
  /** Its reuse distances (src/onnx/reuse.ts), what the reuse model is fitted on. */
  reuse?: UnitReuse;
}

/** Which run of a profiled kernel stands for it: the fastest, or the median run (as a wall-clock median sees it). */
export type KernelStat = 'min' | 'med';
const kernelUs = (k: Pick<ProfiledKernel, 'minUs' | 'medUs'>, stat: KernelStat) => (stat === 'med' ? (k.medUs ?? k.minUs) : k.minUs);

/** A file's weight bytes: Σ over its units (what `warmBytes` is compared with). */
export function planWeightBytes(plan: Pick<OnnxPlan, 'units'>): number {
  return plan.units.reduce((t, u) => t + u.weightBytes, 0);
}

/**
 * The weight bytes a file can hold and still find its weights warm on the next run: four times the L2
 * cache the OS reports for a core (src/onnx/cache-size.ts; 1 MiB assumed where it reports none). Four, not one: on
 * the measured machine (1 MiB L2) files with up to 2.4 MB of weights paid nothing, one with 4.7 MB paid extra
 * (the module comment); the L3 these cores evict into keeps more than the L2 close. An empirical
 * factor from one machine, stored with the fit so that a LUT says what it assumed.
 */
export function warmCacheBytes(): number {
  return 4 * l2CacheBytes();
}

/** A profiled kernel's op as the optimized graph writes it (the profile omits the domain of NCHWc reorders). */
const reorder = (k: Pick<ProfiledKernel, 'op'>) => isReorder(k.op.includes(':') ? k.op : `com.microsoft.nchwc:${k.op}`);

/** A unit model's compute time alone: its kernels without the NCHWc reorders its one-unit model adds. */
export function computeMs(kernels: readonly ProfiledKernel[], stat: KernelStat = 'min'): number {
  return kernels.filter((k) => !reorder(k)).reduce((t, k) => t + kernelUs(k, stat), 0) / 1000;
}

/**
 * Pairs every unit of `plan` with its kernels in the file's profile(s) (by kernel name: the partition names
 * each unit's kernel as the optimized graph does, and the file is profiled with those names). `fileProfiles`:
 * one or more profiles of the whole file, averaged; `alone`: each unit key's compute time alone. Units whose
 * kernels the profile lacks, or that have no alone time, are left out.
 */
export function inFileSamples(plan: OnnxPlan, fileProfiles: readonly (readonly ProfiledKernel[])[], alone: ReadonlyMap<string, number>, stat: KernelStat = 'min'): InFileSample[] {
  const byName = fileProfiles.map((ks) => new Map(ks.map((k) => [k.name, k])));
  const fileWeightBytes = planWeightBytes(plan);
  const reuse = unitReuse(plan);
  const samples: InFileSample[] = [];
  for (const [i, u] of plan.units.entries()) {
    const aloneMs = alone.get(u.key);
    if (aloneMs === undefined) continue;
    const names = [u.unit.kernel.name, ...(u.unit.also ?? []).map((a) => a.name)];
    let fileMs = 0;
    let complete = true;
    for (const profile of byName)
      for (const n of names) {
        const k = profile.get(n);
        if (k) fileMs += kernelUs(k, stat) / 1000 / byName.length;
        else complete = false;
      }
    if (complete) samples.push({ key: u.key, aloneMs, fileMs, weightBytes: u.weightBytes, fileWeightBytes, reuse: reuse[i] });
  }
  return samples;
}

/**
 * Least squares of (fileMs − aloneMs) on [1, weightBytes] over the samples with weights (weightBytes > 0)
 * from files whose weights exceed `warmBytes` (the others keep their weights warm and are not corrected).
 * With one distinct weight size the slope is 0 and the intercept their mean difference; with no such
 * sample both are 0. The residual is over every sample (the uncorrected ones predicted at +0).
 */
export function fitInFile(samples: readonly InFileSample[], fittedOn: string[], source: string, warmBytes = warmCacheBytes()): InFileCorrection {
  if (!samples.length) throw new Error('fitInFile: no samples');
  const weighted = samples.filter((s) => s.weightBytes > 0 && !(s.fileWeightBytes !== undefined && s.fileWeightBytes <= warmBytes));
  const n = weighted.length;
  const d = weighted.map((s) => s.fileMs - s.aloneMs);
  const w = weighted.map((s) => s.weightBytes);
  const mw = n ? w.reduce((a, b) => a + b, 0) / n : 0;
  const md = n ? d.reduce((a, b) => a + b, 0) / n : 0;
  let sww = 0;
  let swd = 0;
  for (let i = 0; i < n; i++) {
    sww += (w[i] - mw) ** 2;
    swd += (w[i] - mw) * (d[i] - md);
  }
  const perWeightByteMs = sww > 0 ? swd / sww : 0;
  const c = { perWeightedUnitMs: md - perWeightByteMs * mw, perWeightByteMs, warmBytes };
  const rmsMs = Math.sqrt(samples.reduce((t, s) => t + (s.fileMs - s.aloneMs - inFileMs(c, s, s.fileWeightBytes)) ** 2, 0) / samples.length);
  return { ...c, fittedOn, samples: samples.length, rmsMs, source };
}

/**
 * What the correction adds to one compute unit of a file with `fileWeightBytes` of weights: nothing to a
 * unit without weights, nothing in a file whose weights fit in the correction's `warmBytes` (when both
 * are known; a correction fitted before that rule has no `warmBytes` and applies to every file).
 */
export function inFileMs(c: Pick<InFileCorrection, 'perWeightedUnitMs' | 'perWeightByteMs' | 'warmBytes'>, u: Pick<PlannedUnit, 'weightBytes'>, fileWeightBytes?: number): number {
  if (u.weightBytes <= 0) return 0;
  if (c.warmBytes !== undefined && fileWeightBytes !== undefined && fileWeightBytes <= c.warmBytes) return 0;
  return c.perWeightedUnitMs + c.perWeightByteMs * u.weightBytes;
}

/**
 * How a byte's reads miss a cache of `cacheBytes` when `distance` bytes were touched since it was last touched:
 *   step      all of them when distance > cacheBytes, none otherwise (an ideal LRU cache: a cyclic footprint
 *             larger than the cache misses entirely);
 *   fraction  the share 1 − cacheBytes / distance beyond it (the cache keeps about `cacheBytes` of a larger
 *             cyclic footprint, as real caches with non-LRU replacement and prefetching do).
 * Measured on ort-cpu (docs/benchmarks.md, "Issue 17, seventh pass"): the whole files' extra time over their
 * units grows with their weights beyond ~12 MiB, not as all or nothing, which the step curve cannot express.
 */
export type MissCurve = 'step' | 'fraction';
export function missShare(distance: number, cacheBytes: number, curve: MissCurve = 'step'): number {
  if (distance <= cacheBytes) return 0;
  return curve === 'fraction' ? 1 - cacheBytes / distance : 1;
}

/**
 * The reuse model of the in-file cost (src/onnx/reuse.ts): a byte a kernel reads costs extra when the
 * bytes touched since it was last touched exceed the cache (`cacheBytes`). Alone, a unit's reads are one run
 * of itself apart (its working set); inside the file, its weights are one whole run apart and its inputs as
 * far as their producer. What the unit pays in its file beyond alone:
 *
 *   perMissedByteMs · (bytes missed in the file − bytes missed alone)
 *
 * which is 0 for a unit whose weights and inputs stay cached in both (a small file, an element-wise op on the
 * previous kernel's output) and grows with the weights of a large file and with activations that travelled far.
 * `curve` says how a byte beyond the cache misses (missShare); LUTs fitted before it hold none: step.
 */
export function missedBytes(r: UnitReuse, weightBytes: number, cacheBytes: number, curve: MissCurve = 'step'): { inFile: number; alone: number } {
  const inBytes = r.inputs.reduce((t, x) => t + x.bytes, 0);
  const inFile = weightBytes * missShare(r.fileBytes, cacheBytes, curve) + r.inputs.reduce((t, x) => t + x.bytes * missShare(x.distance, cacheBytes, curve), 0);
  const alone = (weightBytes + inBytes) * missShare(r.aloneBytes, cacheBytes, curve);
  return { inFile, alone };
}

/** The cache sizes the reuse fit tries (bytes): from a quarter of a typical L2 to a large L3. */
export const CACHE_CANDIDATES = [0.25, 0.5, 1, 2, 4, 8, 12, 16, 24, 32].map((mb) => mb * 2 ** 20);

/**
 * Least squares of (fileMs − aloneMs) on the missed bytes (in file − alone), through the origin (a unit
 * whose bytes stay cached in both costs the same), for each candidate cache size; the size with the smallest
 * residual over the samples is kept. Samples without reuse distances are left out.
 */
export function fitReuse(samples: readonly InFileSample[], fittedOn: string[], source: string, opts: { candidates?: readonly number[]; curve?: MissCurve } = {}): InFileCorrection {
  const candidates = opts.candidates ?? CACHE_CANDIDATES;
  const curve = opts.curve ?? 'step';
  const ss = samples.filter((s) => s.reuse);
  if (!ss.length) throw new Error('fitReuse: no samples with reuse distances');
  const y = ss.map((s) => s.fileMs - s.aloneMs);
  const { cacheBytes, perMissedByteMs, rmsMs } = bestCacheFit(
    candidates,
    (cacheBytes) =>
      ss.map((s) => {
        const m = missedBytes(s.reuse!, s.weightBytes, cacheBytes, curve);
        return m.inFile - m.alone;
      }),
    y,
  );
  return { perWeightedUnitMs: 0, perWeightByteMs: 0, model: 'reuse', ...(curve === 'fraction' ? { curve } : {}), cacheBytes, perMissedByteMs, rmsMs, fittedOn, samples: ss.length, source };
}

/** How the cost per missed byte is fitted at each cache size: least squares, or least absolute deviations (a weighted median). */
export type FitLoss = 'ls' | 'l1';

/**
 * For each candidate cache size, the weighted fit through the origin of `y` on the missed bytes
 * `missed(cacheBytes)` (a sample whose bytes stay cached in file and alone costs the same), the cost per missed
 * byte not negative; the size with the smallest weighted loss is kept (the first of equals). `w`: the samples'
 * weights, 1 each when absent (then `rel` is `rmsMs`). `loss` 'ls': least squares, the loss the weighted rms;
 * 'l1': least absolute deviations (the slope a weighted median of y/x), the loss the weighted mean |residual|.
 */
function bestCacheFit(candidates: readonly number[], missed: (cacheBytes: number) => number[], y: readonly number[], w: readonly number[] = y.map(() => 1), loss: FitLoss = 'ls') {
  let best: { cacheBytes: number; perMissedByteMs: number; rel: number; rmsMs: number } | undefined;
  for (const cacheBytes of candidates) {
    const x = missed(cacheBytes);
    let perMissedByteMs: number;
    let rel: number;
    if (loss === 'l1') {
      perMissedByteMs = Math.max(0, weightedMedianSlope(x, y, w));
      rel = y.reduce((t, v, i) => t + Math.sqrt(w[i]) * Math.abs(v - perMissedByteMs * x[i]), 0) / y.length;
    } else {
      const sxx = x.reduce((t, v, i) => t + w[i] * v * v, 0);
      perMissedByteMs = sxx > 0 ? Math.max(0, x.reduce((t, v, i) => t + w[i] * v * y[i], 0) / sxx) : 0;
      rel = Math.sqrt(y.reduce((t, v, i) => t + w[i] * (v - perMissedByteMs * x[i]) ** 2, 0) / y.length);
    }
    const rmsMs = Math.sqrt(y.reduce((t, v, i) => t + (v - perMissedByteMs * x[i]) ** 2, 0) / y.length);
    if (!best || rel < best.rel - 1e-12) best = { cacheBytes, perMissedByteMs, rel, rmsMs };
  }
  return best!;
}

/**
 * The k minimising Σ √w_i |y_i − k x_i|: the median of the ratios y_i / x_i weighted by √w_i |x_i| (samples
 * with x_i = 0 do not depend on k); 0 when every x_i is 0. Of two middle ratios, the lower.
 */
function weightedMedianSlope(x: readonly number[], y: readonly number[], w: readonly number[]): number {
  const r = x.flatMap((v, i) => (v !== 0 ? [{ ratio: y[i] / v, weight: Math.sqrt(w[i]) * Math.abs(v) }] : [])).sort((a, b) => a.ratio - b.ratio);
  if (!r.length) return 0;
  const half = r.reduce((t, v) => t + v.weight, 0) / 2;
  let acc = 0;
  for (const v of r) {
    acc += v.weight;
    if (acc >= half - 1e-15) return v.ratio;
  }
  return r[r.length - 1].ratio;
}

/** A whole file timed end to end against its units' sum without an in-file fit: what fitReuseOnFiles reads. */
export interface FileResidual {
  name: string;
  measuredMs: number;
  /** The prediction from the same LUT without an in-file fit (layout-corrected where NCHWc). */
  unitsMs: number;
  /** The file's units, in its plan's order: their reuse distances (unitReuse) and weight bytes. */
  units: { reuse: UnitReuse; weightBytes: number }[];
}

/** What a whole file's units miss in the file beyond alone (Σ over its units, bytes): what its extra time is fitted on. */
export function fileMissedBytes(f: Pick<FileResidual, 'units'>, cacheBytes: number, curve: MissCurve): number {
  return f.units.reduce((t, u) => {
    const m = missedBytes(u.reuse, u.weightBytes, cacheBytes, curve);
    return t + m.inFile - m.alone;
  }, 0);
}

/**
 * The reuse model fitted on whole files timed end to end (the device's own clock) instead of kernel profiles:
 * for each candidate cache size, a fit through the origin of (measured − units' sum) on the file's
 * missed bytes (Σ over its units, in file − alone), each file weighted by 1 / measured² so that the fit minimises
 * relative errors; the size with the smallest relative loss is kept (`loss`: least squares by default, or least
 * absolute deviations). On ort-cpu the runtime's profiler slows the
 * kernels of a whole file more than those of a unit alone, so a fit on its kernel profiles overstates what a
 * file pays at wall clock (docs/benchmarks.md, "Issue 17, seventh pass"); this fit reads what the LUT's units
 * and a file actually cost. `rmsMs`: the files' residual rms, ms; `samples`: how many files.
 */
export function fitReuseOnFiles(files: readonly FileResidual[], source: string, opts: { candidates?: readonly number[]; curve?: MissCurve; loss?: FitLoss } = {}): InFileCorrection {
  if (!files.length) throw new Error('fitReuseOnFiles: no files');
  const candidates = opts.candidates ?? CACHE_CANDIDATES;
  const curve = opts.curve ?? 'fraction';
  const { cacheBytes, perMissedByteMs, rmsMs } = bestCacheFit(
    candidates,
    (cacheBytes) => files.map((f) => fileMissedBytes(f, cacheBytes, curve)),
    files.map((f) => f.measuredMs - f.unitsMs),
    files.map((f) => 1 / f.measuredMs ** 2),
    opts.loss,
  );
  return { perWeightedUnitMs: 0, perWeightByteMs: 0, model: 'reuse', ...(curve === 'fraction' ? { curve } : {}), cacheBytes, perMissedByteMs, rmsMs, fittedOn: files.map((f) => f.name), samples: files.length, source, clock: 'wall' };
}

/** A whole file's prediction with a wall fit: its units' sum plus what the fit charges its missed bytes, ms. */
export function fileWithFitMs(f: FileResidual, c: Pick<InFileCorrection, 'cacheBytes' | 'perMissedByteMs' | 'curve'>): number {
  return f.unitsMs + (c.perMissedByteMs ?? 0) * fileMissedBytes(f, c.cacheBytes ?? 0, c.curve ?? 'step');
}

/**
 * One file's leave-one-out check: the fit on the other files predicts it `errorPct` off (% of its measurement),
 * the fit on all of them `fullErrorPct`; `influencePct` is how far the file moves its own prediction
 * (|errorPct − fullErrorPct|, percentage points); `gainPct` how much better the others agree without it (their
 * relative rms under the fit on all minus under the fit on them, points): large when the fit bends to it at
 * the others' expense.
 */
export interface LeaveOneOut {
  name: string;
  errorPct: number;
  fullErrorPct: number;
  influencePct: number;
  gainPct: number;
}

/** How fitReuseOnFilesChecked decides that its suspect is off: its leave-one-out error, its influence on its own prediction, or the others' gain without it. */
export type CheckCriterion = 'loo' | 'influence' | 'gain';

/** The files' relative residual rms under a fit (what fitReuseOnFiles minimises with its default loss). */
function relativeRms(files: readonly FileResidual[], c: InFileCorrection): number {
  return Math.sqrt(files.reduce((t, f) => t + ((fileWithFitMs(f, c) - f.measuredMs) / f.measuredMs) ** 2, 0) / files.length);
}

/**
 * fitReuseOnFiles with a leave-one-out check, meant to keep one file measured off (a net timed while the machine
 * was slower or faster than for its units) from carrying the fit. The suspect is the file without which the
 * others agree best with a fit of their own compared with the fit on all (the largest `gainPct`; a file no fit
 * reaches, e.g. one faster than its units, gains the others nothing); it is left out, and the fit made on the
 * rest, when it fails the check (`criterion`, against `limitPct`): 'gain', the others' rms improves by more than
 * `limitPct` points; 'loo', the fit on the others predicts it more than `limitPct` off; 'influence', it moves its
 * own prediction by more than `limitPct` points. At most one file, and only with at least `minFiles` files.
 * `leftOut`: the file left out, absent when none; `loo`: every file's check.
 *
 * **Not the default** (src/onnx/wall-fit.ts fits without it): replayed on 25 fidelity runs, split into runs to
 * choose on and runs to validate on, every criterion and limit lost files against the plain fit — with the four
 * built-in nets the suspect is nearly always the one net far beyond the cache, which carries the cost per byte
 * (docs/benchmarks.md, "Issue 17, ninth pass"). Kept for bench/onnx-replay-robust.ts.
 */
export function fitReuseOnFilesChecked(
  files: readonly FileResidual[],
  source: string,
  opts: { candidates?: readonly number[]; curve?: MissCurve; loss?: FitLoss; criterion?: CheckCriterion; limitPct: number; minFiles?: number },
): { correction: InFileCorrection; loo: LeaveOneOut[]; leftOut?: LeaveOneOut } {
  const all = fitReuseOnFiles(files, source, opts);
  if (files.length < (opts.minFiles ?? 4)) return { correction: all, loo: [] };
  const loo = leaveOneOut(files, opts, all);
  const suspect = loo.reduce((a, b) => (b.gainPct > a.gainPct + 1e-12 ? b : a));
  const criterion = opts.criterion ?? 'gain';
  const measure = criterion === 'gain' ? suspect.gainPct : criterion === 'influence' ? suspect.influencePct : Math.abs(suspect.errorPct);
  if (measure <= opts.limitPct) return { correction: all, loo };
  const why = criterion === 'gain' ? `the others agree ${suspect.gainPct.toFixed(1)} points better without it, beyond ${opts.limitPct}` : criterion === 'influence' ? `it moves its own prediction by ${suspect.influencePct.toFixed(1)} points, beyond ${opts.limitPct}` : `beyond ±${opts.limitPct}%`;
  const rest = fitReuseOnFiles(
    files.filter((f) => f.name !== suspect.name),
    `${source}; ${suspect.name} left out (the fit on the others predicts it ${suspect.errorPct >= 0 ? '+' : ''}${suspect.errorPct.toFixed(1)}% off; ${why})`,
    opts,
  );
  return { correction: rest, loo, leftOut: suspect };
}

/** Every file's leave-one-out check (LeaveOneOut) against `all`, the fit on every file (fitReuseOnFiles with the same options). */
export function leaveOneOut(files: readonly FileResidual[], opts: { candidates?: readonly number[]; curve?: MissCurve; loss?: FitLoss }, all: InFileCorrection = fitReuseOnFiles(files, '', opts)): LeaveOneOut[] {
  const pct = (f: FileResidual, c: InFileCorrection) => (100 * (fileWithFitMs(f, c) - f.measuredMs)) / f.measuredMs;
  return files.map((f, i): LeaveOneOut => {
    const rest = files.filter((_, j) => j !== i);
    const others = fitReuseOnFiles(rest, '', opts);
    const errorPct = pct(f, others);
    const fullErrorPct = pct(f, all);
    return { name: f.name, errorPct, fullErrorPct, influencePct: Math.abs(errorPct - fullErrorPct), gainPct: 100 * (relativeRms(rest, all) - relativeRms(rest, others)) };
  });
}

/**
 * Devices whose LUTs get the in-file fit by default (nas profile --onnx --in-file auto: the wall-clock fit on
 * the built-in nets, src/onnx/wall-fit.ts): where it was measured to bring whole files within ±10%
 * (docs/benchmarks.md, "Issue 17, sixth pass" for wasm, "seventh pass" for ort-cpu and the wall clock).
 */
export const IN_FILE_BY_DEFAULT: ReadonlySet<'wasm' | 'ort-cpu'> = new Set(['wasm', 'ort-cpu'] as const);
