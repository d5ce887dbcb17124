/**
 * The figures a verification reports, from predicted and measured latencies: per-net error, the
 * agreement statistics (src/core/agreement.ts), the front recomputed on measured latency
 * (src/search/pareto.ts), the best net within the target, and the pass/fail thresholds.
 */
import { agreement, errorPct } from '../core/agreement.js';
import { paretoIndices } from '../search/pareto.js';
import type { MeasuredLatency, ThresholdCheck, VerifiedMember, VerifyResult } from './types.js';

/** What verification knows of a member before analysis: a VerifiedMember without the figures analyze() adds. */
export type MemberFigures = Pick<VerifiedMember, 'index' | 'name' | 'encoding' | 'accuracy' | 'predicted' | 'metrics' | 'measured' | 'failure'>;

export interface Thresholds {
  /** Largest |error| % any net may have. */
  maxErrorPct?: number;
  /** Smallest Kendall τ between predicted and measured latency. */
  minTau?: number;
}

export function analyze(
  figures: readonly MemberFigures[],
  targetMs: number | null,
  thresholds: Thresholds,
): { members: VerifiedMember[]; summary: VerifyResult['summary']; checks: VerifyResult['checks'] } {
  const measured = figures.filter((f): f is MemberFigures & { measured: MeasuredLatency } => f.measured !== null);
  const onFront = new Set(paretoIndices(measured.map((f) => ({ accuracy: f.accuracy, latencyMs: f.measured.median }))).map((i) => measured[i].name));
  const members: VerifiedMember[] = figures.map((f) => ({
    ...f,
    errorPct: f.measured ? errorPct(f.predicted.ms, f.measured.median) : null,
    onMeasuredFront: onFront.has(f.name),
    withinTarget: f.measured && targetMs !== null ? f.measured.median <= targetMs : null,
  }));
  const stats = measured.length ? agreement(measured.map((f) => f.predicted.ms), measured.map((f) => f.measured.median)) : null;
  const candidates = measured.filter((f) => targetMs === null || f.measured.median <= targetMs);
  // Most accurate first; among equals the faster one.
  const best = candidates.reduce<(typeof candidates)[number] | null>(
    (b, f) => (!b || f.accuracy > b.accuracy || (f.accuracy === b.accuracy && f.measured.median < b.measured.median) ? f : b),
    null,
  );
  const summary: VerifyResult['summary'] = {
    measured: measured.length,
    resumed: measured.filter((f) => f.measured.resumed).length,
    failed: figures.filter((f) => f.failure).length,
    agreement: stats,
    measuredFront: measured.filter((f) => onFront.has(f.name)).map((f) => f.name),
    dropped: measured.filter((f) => !onFront.has(f.name)).map((f) => f.name),
    bestMeasured: best?.name ?? null,
  };
  const check = (limit: number | undefined, actual: number | null, pass: (a: number) => boolean): ThresholdCheck | null =>
    limit === undefined ? null : { limit, actual: actual !== null && Number.isFinite(actual) ? actual : null, pass: actual !== null && Number.isFinite(actual) && pass(actual) };
  const maxErrorPct = check(thresholds.maxErrorPct, stats ? stats.maxAbsErrorPct : null, (a) => a <= thresholds.maxErrorPct!);
  const minTau = check(thresholds.minTau, stats ? stats.kendallTau : null, (a) => a >= thresholds.minTau!);
  return { members, summary, checks: { maxErrorPct, minTau, pass: (maxErrorPct?.pass ?? true) && (minTau?.pass ?? true) } };
}
