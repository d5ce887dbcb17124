/**
 * The paper's comparison of two design spaces (Radosavovic et al. 2019): both populations' error EDFs,
 * raw and normalized for complexity (normalize.ts), with the Kolmogorov–Smirnov distance of each pair.
 * Errors must come from the same evaluator to be comparable; latency normalization needs latencies
 * predicted on the same LUT.
 */
import { UserError } from '../core/errors.js';
import { edfCurve, edfQuantile, ksDistance } from './edf.js';
import { complexityWeights } from './normalize.js';
import type { Comparison, ComparisonSide, DesignSpaceDoc } from './types.js';

export type NormalizeBy = 'macs' | 'latency' | 'auto';

/** Errors of different evaluators are not comparable: one UserError (checked before scoring, and by compareSpaces). */
export function checkSameEvaluator(evaluatorId: string, b: DesignSpaceDoc, other: string): void {
  if (evaluatorId !== b.evaluator.id)
    throw new UserError(`cannot compare: ${other} was scored by evaluator ${b.evaluator.id}, this run by ${evaluatorId}; errors of different evaluators are not comparable`, {
      hint: 'score both spaces with the same evaluator and settings',
    });
}

export function compareSpaces(a: DesignSpaceDoc, b: DesignSpaceDoc, other: string, opts: { by?: NormalizeBy; bins?: number } = {}): Comparison {
  checkSameEvaluator(a.evaluator.id, b, other);
  const sameLut = a.lut !== null && b.lut !== null && a.lut.id === b.lut.id;
  const requested = opts.by ?? 'auto';
  if (requested === 'latency' && !sameLut)
    throw new UserError(`--normalize-by latency needs both populations predicted on the same LUT; ${a.lut ? `this run used ${a.lut.id}` : 'this run has no --lut'}, ${other} ${b.lut ? `used ${b.lut.id}` : 'has none'}`, {
      hint: 'give both runs the same --lut, or normalize by MACs (--normalize-by macs)',
    });
  const by: 'macs' | 'latency' = requested === 'auto' ? (sameLut ? 'latency' : 'macs') : requested;
  const bins = opts.bins ?? 10;
  const complexity = (d: DesignSpaceDoc) => d.models.map((m) => (by === 'latency' ? m.latencyMs! : m.macs));
  const w = complexityWeights([complexity(a), complexity(b)], bins);
  const sides: ComparisonSide[] = [a, b].map((d, s) => {
    const errors = d.models.map((m) => m.error);
    const normalizedEdf = edfCurve(errors, w.weights[s]);
    return {
      space: d.space.id,
      n: d.models.length,
      dropped: w.dropped[s],
      edf: edfCurve(errors),
      normalizedEdf,
      normalizedMeanError: errors.reduce((sum, e, i) => sum + e * w.weights[s][i], 0),
      normalizedQuantiles: { q10: edfQuantile(normalizedEdf, 0.1), q50: edfQuantile(normalizedEdf, 0.5) },
    };
  });
  return {
    other,
    by,
    bins,
    edges: w.edges,
    usedBins: w.usedBins,
    sides,
    ks: { raw: ksDistance(sides[0].edf, sides[1].edf), normalized: ksDistance(sides[0].normalizedEdf, sides[1].normalizedEdf) },
  };
}
