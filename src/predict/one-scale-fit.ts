/**
 * The calibration `nas profile --calibrate` keeps on ort-cpu when the weight cost is measured
 * (CalibrationOptions.perWeightByteMs): one scale over the whole prediction, nothing else fitted,
 *
 *   net ≈ scale · (overhead + Σ_ops (net_op − own edge reorders_op) + perWeightByte · max(0, W_net − C))
 *
 * where net_op is an op's one-op time less the session overhead, W_net the net's weight bytes and C the
 * cache share (LutCalibration.weightCacheBytes), chosen from WEIGHT_CACHE_MIB by the leave-one-out error on the
 * plain calibration networks (random ones, and size variants where measured); the scale is the mean
 * measured / predicted ratio over them. In the LUT's terms: baseMs = perOpMs = scale · overhead,
 * perWeightByteMs = scale · perWeightByte, lessOwnEdges, no per-class scales.
 *
 * Why: replayed on 23 ort-cpu fidelity runs split before looking (17 loaded ones to choose on, 6 quiet ones to
 * check), it met every target of issue 13 in more runs of both halves than the choice among every model (per-class
 * scales, per-op costs) did, with no set worse on either half (docs/benchmarks.md, issue 13: "one scale").
 */
import { mean } from 'simple-statistics';
import type { Lut, LutCalibration } from '../../lut/format.js';
import { calibratedSum, lutSums, WEIGHT_CACHE_MIB, type MeasuredNet } from './calibrate.js';

const MiB = 2 ** 20;

/** The calibration for `scale`, C (bytes) and the measured weight cost, as the predictor reads it. */
export function oneScaleCalibration(lut: Lut, scale: number, cacheBytes: number, perWeightByteMs: number): Omit<LutCalibration, 'fittedOn' | 'rmsErrorPct' | 'source' | 'createdAt'> {
  const ov = lut.overhead.median;
  return {
    baseMs: scale * ov,
    perOpMs: scale * ov,
    perByteMs: 0,
    perWeightByteMs: scale * perWeightByteMs,
    lessOwnEdges: true,
    ...(cacheBytes > 0 ? { weightCacheBytes: cacheBytes } : {}),
    scale,
  };
}

export interface OneScaleFit {
  calibration: LutCalibration;
  /** Per plain network, its relative error when the scale is fitted without it (at the C chosen). */
  heldOut: number[];
  /** The cache share chosen, MiB. */
  cacheMiB: number;
}

/**
 * Fits the one-scale calibration on `plain` (at least 3 networks) with the measured weight cost
 * `perWeightByteMs` (ms per byte). `cacheMiB`: the shares tried (the smallest of equally good ones is kept).
 */
export function fitOneScale(lut: Lut, plain: readonly MeasuredNet[], perWeightByteMs: number, source: string, cacheMiB: readonly number[] = WEIGHT_CACHE_MIB): OneScaleFit {
  if (plain.length < 3) throw new Error(`fitOneScale needs at least 3 measured networks, got ${plain.length}`);
  const sums = plain.map((m) => lutSums(lut, m.arch));
  const ratios = (cache: number) => {
    const unit = oneScaleCalibration(lut, 1, cache, perWeightByteMs);
    return plain.map((m, i) => m.ms / calibratedSum({ ...unit, fittedOn: 0, rmsErrorPct: 0, source, createdAt: '' }, sums[i]));
  };
  // Each network predicted with the scale of the others: the mean of their ratios.
  const looErrors = (r: readonly number[]) => r.map((ri, i) => mean(r.filter((_, j) => j !== i)) / ri - 1);
  const rms = (e: readonly number[]) => Math.sqrt(mean(e.map((x) => x * x)));
  let best = { cacheMiB: cacheMiB[0], r: ratios(cacheMiB[0] * MiB) };
  for (const c of cacheMiB.slice(1)) {
    const r = ratios(c * MiB);
    if (rms(looErrors(r)) < rms(looErrors(best.r)) - 1e-12) best = { cacheMiB: c, r };
  }
  const scale = mean(best.r);
  const heldOut = looErrors(best.r);
  const calibration: LutCalibration = {
    ...oneScaleCalibration(lut, scale, best.cacheMiB * MiB, perWeightByteMs),
    fittedOn: plain.length,
    rmsErrorPct: 100 * rms(best.r.map((ri) => scale / ri - 1)),
    source,
    createdAt: new Date().toISOString(),
  };
  return { calibration, heldOut, cacheMiB: best.cacheMiB };
}
