/**
 * The figure bench/onnx-fidelity.ts reads a file's prediction against, when the file is measured twice: a file
 * whose two measurements disagree beyond the protocol's spread limit (the same limit that calls for extra rounds
 * within one measurement, devices/rounds.ts) is measured a third time and its figure is the median of the three;
 * otherwise the mean of the two. The choice looks only at the measurements, never at the prediction. As the
 * in-file fit does for its built-in nets (src/onnx/wall-fit.ts, netsToRetime): in a quiet ort-cpu run FBNet-B
 * read 0.990 / 1.209 ms and counted as a miss of −11% against their mean (docs/benchmarks.md, "Issue 17").
 * Off by default (--third-measurement): in 9 recorded runs only 3 of 30 own-file misses had measurements that
 * disagreed, and in a fresh run the three files it re-measured all moved away from their predictions.
 */

/** (max − min) of two measurements over their mean: how a file's two measurements disagree (0 when equal). */
export function pairSpread(a: number, b: number): number {
  return Math.abs(a - b) / ((a + b) / 2);
}

/** The indices of the files whose two measurements disagree beyond `limit` (a share, e.g. 0.1); none without a limit. */
export function disagreeing(first: readonly number[], second: readonly number[], limit: number | undefined): number[] {
  if (limit === undefined) return [];
  return first.flatMap((a, i) => (pairSpread(a, second[i]) > limit ? [i] : []));
}

/** A file's figure from its measurements: the mean of two, the median of three (one measurement: itself). */
export function settledFigure(ms: readonly number[]): number {
  if (ms.length === 0 || ms.length > 3) throw new Error(`settledFigure: 1 to 3 measurements, got ${ms.length}`);
  if (ms.length < 3) return ms.reduce((t, v) => t + v, 0) / ms.length;
  return [...ms].sort((x, y) => x - y)[1];
}
