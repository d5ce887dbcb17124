/**
 * Complexity normalization (Radosavovic et al. 2019, Sec. 3.2): a design space whose models are larger
 * tends to have lower errors, so two spaces are compared after re-weighting their samples until their
 * complexity (MACs or latency) distributions match. As in the paper, the complexity range is cut into k
 * bins and each of the m_j models of bin j gets weight 1/(k·m_j): every bin then holds the same total
 * weight, in every set, so the weighted complexity distributions are the same (uniform over the bins).
 * With several sets the bins span the range they share, and a bin counts only where every set has a
 * model in it; models outside get weight 0 (they have no counterpart of that complexity to be compared to).
 * Bins are spaced on a log scale: MACs and latency spread over orders of magnitude.
 */
import { UserError } from '../core/errors.js';

export interface ComplexityWeights {
  /** One weight per model of each set; each set's weights sum to 1. */
  weights: number[][];
  /** k + 1 bin edges, ascending. */
  edges: number[];
  /** Bins that hold a model of every set (the k of the weights). */
  usedBins: number;
  /** Per set, the models that got weight 0. */
  dropped: number[];
}

/** The bin of v among `edges` (the last bin includes its right edge), or -1 outside. */
function binOf(v: number, edges: readonly number[]): number {
  const k = edges.length - 1;
  if (!(v >= edges[0] && v <= edges[k])) return -1;
  for (let j = 0; j < k; j++) if (v < edges[j + 1]) return j;
  return k - 1;
}

/** `bins` log-spaced edges from lo to hi (the ends exactly). */
function logEdges(lo: number, hi: number, bins: number): number[] {
  const a = Math.log(lo);
  const b = Math.log(hi);
  return Array.from({ length: bins + 1 }, (_, j) => (j === 0 ? lo : j === bins ? hi : Math.exp(a + ((b - a) * j) / bins)));
}

/** Weights that make the complexity distributions of `sets` (each a list of positive complexities) uniform over their shared bins. */
export function complexityWeights(sets: readonly (readonly number[])[], bins = 10): ComplexityWeights {
  if (!Number.isInteger(bins) || bins < 1) throw new UserError(`the number of complexity bins must be a positive integer, got ${bins}`);
  if (sets.length === 0 || sets.some((s) => s.length === 0)) throw new UserError('complexity normalization needs at least one model in every set');
  for (const s of sets) if (s.some((v) => !(v > 0) || !Number.isFinite(v))) throw new UserError('complexity normalization needs positive, finite complexities');
  const lo = Math.max(...sets.map((s) => Math.min(...s)));
  const hi = Math.min(...sets.map((s) => Math.max(...s)));
  if (lo > hi) throw new UserError(`the sets' complexity ranges do not overlap (one set starts at ${lo.toPrecision(4)}, another ends at ${hi.toPrecision(4)}): there is nothing to compare at equal complexity`, { hint: 'sample the spaces at a similar size (resolution, grid), or compare by the other complexity (--normalize-by)' });
  // One shared value (a single-model set, or sets that meet at one point) is one bin of zero width.
  const edges = lo === hi ? [lo, hi] : logEdges(lo, hi, bins);
  const k = edges.length - 1;
  const binned = sets.map((s) => s.map((v) => binOf(v, edges)));
  const counts = binned.map((b) => {
    const c = new Array<number>(k).fill(0);
    for (const j of b) if (j >= 0) c[j]++;
    return c;
  });
  const shared = Array.from({ length: k }, (_, j) => counts.every((c) => c[j] > 0));
  const usedBins = shared.filter(Boolean).length;
  const weights = binned.map((b, s) => b.map((j) => (j >= 0 && shared[j] ? 1 / (usedBins * counts[s][j]) : 0)));
  return { weights, edges, usedBins, dropped: weights.map((w) => w.filter((x) => x === 0).length) };
}
