/**
 * Empirical distribution functions of a population of sampled models (Radosavovic et al., "On Network
 * Design Spaces for Visual Recognition", 2019): the error EDF F(e) = Σ w_i·[e_i < e] / Σ w_i, with equal
 * weights 1/n unless a normalization re-weights the models. The same code draws latency EDFs.
 */
export interface EdfPoint {
  /** A value some model has. */
  x: number;
  /** Fraction (of the total weight) of the models with a value ≤ x: the EDF just right of x. */
  y: number;
}

function checkWeights(values: readonly number[], weights?: readonly number[]): readonly number[] {
  if (weights && weights.length !== values.length) throw new Error(`edf: ${values.length} values but ${weights.length} weights`);
  return weights ?? values.map(() => 1);
}

/** F(e): the weighted fraction of models with a value strictly below e (0 for an empty or zero-weight set). */
export function edfAt(values: readonly number[], e: number, weights?: readonly number[]): number {
  const w = checkWeights(values, weights);
  let below = 0;
  let total = 0;
  values.forEach((v, i) => {
    total += w[i];
    if (v < e) below += w[i];
  });
  return total > 0 ? below / total : 0;
}

/**
 * The EDF as a step curve: one point per distinct value (ascending), y = the fraction of models at or
 * below it. Drawn stepped ("after") from a first point (min, 0), it is F. Models of weight 0 add no point.
 */
export function edfCurve(values: readonly number[], weights?: readonly number[]): EdfPoint[] {
  const w = checkWeights(values, weights);
  const order = values.map((_, i) => i).filter((i) => w[i] > 0 && Number.isFinite(values[i])).sort((a, b) => values[a] - values[b]);
  const total = order.reduce((s, i) => s + w[i], 0);
  const out: EdfPoint[] = [];
  let cum = 0;
  for (const i of order) {
    cum += w[i];
    const y = cum / total;
    if (out.length && out[out.length - 1].x === values[i]) out[out.length - 1].y = y;
    else out.push({ x: values[i], y });
  }
  if (out.length) out[out.length - 1].y = 1; // no rounding drift at the top
  return out;
}

/** The EDF value of a curve at or right of x (the fraction ≤ x). */
function curveAt(curve: readonly EdfPoint[], x: number): number {
  let y = 0;
  for (const p of curve) {
    if (p.x > x) break;
    y = p.y;
  }
  return y;
}

/**
 * The Kolmogorov–Smirnov statistic D = sup_e |F₁(e) − F₂(e)| of two (weighted) EDFs, the paper's measure
 * of how far apart two design spaces are. Both are step functions that jump only at their points, so the
 * supremum is reached just right of one of them.
 */
export function ksDistance(a: readonly EdfPoint[], b: readonly EdfPoint[]): number {
  let d = 0;
  for (const x of [...a, ...b].map((p) => p.x)) d = Math.max(d, Math.abs(curveAt(a, x) - curveAt(b, x)));
  return d;
}

/** The smallest value whose EDF reaches q (0 < q ≤ 1): the weighted q-quantile. */
export function edfQuantile(curve: readonly EdfPoint[], q: number): number | null {
  for (const p of curve) if (p.y >= q - 1e-12) return p.x;
  return null;
}
