/**
 * Cost constraints and cost objectives shared by every strategy: `--max-macs`, `--max-params`,
 * `--max-activations` beside `--target-ms`, and a cost metric standing in for latency
 * (`--objective macs|params|activations`).
 *
 * Limits are hard: the evaluation ledger (random, evolution, nsga2) treats a member over a limit like one
 * over the latency target (infeasible, never drawn, never best); the RL controller (mnasnet) scales its
 * reward by MnasNet's hard penalty (value/limit)^-1 for each limit exceeded and never picks such a member
 * as best. A strategy that cannot honour limits (its loss is differentiable latency only) says so
 * (`Searcher.costLimits`), and the job refuses the search instead of ignoring the limit.
 *
 * Metrics come from the architecture's one primitive graph (src/core/arch-metrics.ts).
 */
import { archMetrics, COST_METRICS, formatCount, METRIC_LABELS, type CostMetric } from '../core/arch-metrics.js';
import type { Architecture } from '../core/arch.js';
import type { LatencySource } from '../core/contracts.js';
import { isUserError, UserError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { SearchSpace } from '../core/space.js';

export type CostLimits = Partial<Record<CostMetric, number>>;

/** The CLI flag of each limit. */
export const LIMIT_FLAGS: Record<CostMetric, string> = { macs: '--max-macs', params: '--max-params', activations: '--max-activations' };

export function hasLimits(limits: CostLimits | undefined): limits is CostLimits {
  return limits !== undefined && COST_METRICS.some((m) => limits[m] !== undefined);
}

/** Limits as a plain object with only the metrics that are limited (for fingerprints and front files). */
export function normalizeLimits(limits: CostLimits | undefined): CostLimits | undefined {
  if (!hasLimits(limits)) return undefined;
  const out: CostLimits = {};
  for (const m of COST_METRICS) {
    const v = limits[m];
    if (v === undefined) continue;
    if (!(Number.isFinite(v) && v > 0)) throw new UserError(`${LIMIT_FLAGS[m]} must be a positive count (e.g. 300M or 3e8), got ${v}`);
    out[m] = v;
  }
  return out;
}

export interface Violation {
  metric: CostMetric;
  value: number;
  limit: number;
}

export function limitViolations(arch: Architecture, limits: CostLimits | undefined): Violation[] {
  if (!hasLimits(limits)) return [];
  const m = archMetrics(arch);
  return COST_METRICS.filter((k) => limits[k] !== undefined && m[k] > limits[k]!).map((k) => ({ metric: k, value: m[k], limit: limits[k]! }));
}

export function withinLimits(arch: Architecture, limits: CostLimits | undefined): boolean {
  return limitViolations(arch, limits).length === 0;
}

/** MnasNet's hard-constraint factor (w = −1 above the limit, 0 below) per limited metric: in (0, 1], 1 when every limit is met. */
export function limitPenalty(arch: Architecture, limits: CostLimits | undefined): number {
  return limitViolations(arch, limits).reduce((f, v) => f * (v.value / v.limit) ** -1, 1);
}

export function describeLimits(limits: CostLimits | undefined): string {
  if (!hasLimits(limits)) return '';
  return COST_METRICS.filter((m) => limits[m] !== undefined).map((m) => `${METRIC_LABELS[m]} ≤ ${formatCount(limits[m]!)}`).join(', ');
}

// ---- the smallest member of a space --------------------------------------------------------------

export interface Smallest {
  metric: CostMetric;
  value: number;
  encoding: number[];
  name: string;
  /** True when every member was built (the space is small enough); otherwise the value is an upper bound. */
  exact: boolean;
  /** How it was found, for messages. */
  how: string;
}

/** Spaces with at most this many choice vectors are enumerated: the minimum is then exact. */
export const ENUMERATE_LIMIT = 512;

function tryBuild(space: SearchSpace, encoding: readonly number[]): Architecture | undefined {
  try {
    return space.build(encoding);
  } catch (e) {
    if (isUserError(e)) return undefined;
    throw e;
  }
}

/**
 * The member of `space` with the smallest `metric`: exact by enumeration when the space has at most
 * ENUMERATE_LIMIT choice vectors; otherwise coordinate descent (one decision at a time, every option,
 * until no change helps) from the all-first-options vector and the best of `samples` random members —
 * the result is then an upper bound on the minimum, and says so.
 */
export function smallestMember(space: SearchSpace, metric: CostMetric, opts: { samples?: number; seed?: number } = {}): Smallest {
  const counts = space.decisions().map((d) => d.options.length);
  const total = counts.reduce((a, b) => a * b, 1);
  const value = (enc: readonly number[]) => {
    const arch = tryBuild(space, enc);
    return arch ? { v: archMetrics(arch)[metric], name: arch.name } : undefined;
  };
  let best: { v: number; name: string; enc: number[] } | undefined;
  const offer = (enc: number[]) => {
    const r = value(enc);
    if (r && (!best || r.v < best.v)) best = { ...r, enc: [...enc] };
    return r;
  };
  if (total <= ENUMERATE_LIMIT) {
    const enc = counts.map(() => 0);
    for (let i = 0; i < total; i++) {
      offer(enc);
      for (let d = enc.length - 1; d >= 0 && ++enc[d] === counts[d]; d--) enc[d] = 0;
    }
    if (!best) throw new UserError(`space '${space.id}' has no valid member`);
    return { metric, value: best.v, encoding: best.enc, name: best.name, exact: true, how: `minimum over all ${total} members` };
  }
  const samples = opts.samples ?? 50;
  const rng = new Rng(opts.seed ?? 0);
  offer(counts.map(() => 0));
  for (let i = 0; i < samples; i++) offer(space.sample(rng));
  if (!best) throw new UserError(`space '${space.id}' produced no valid member in ${samples} random samples`);
  for (let improved = true; improved; ) {
    improved = false;
    for (let d = 0; d < counts.length; d++)
      for (let o = 0; o < counts[d]; o++) {
        if (o === best.enc[d]) continue;
        const enc = [...best.enc];
        enc[d] = o;
        const before = best.v;
        offer(enc);
        if (best.v < before) improved = true;
      }
  }
  return {
    metric,
    value: best.v,
    encoding: best.enc,
    name: best.name,
    exact: false,
    how: `smallest found by coordinate descent from the first-options member and ${samples} random members (an upper bound: the space has ${total.toExponential(2)} members, too many to enumerate)`,
  };
}

/**
 * Refuses limits that no member of `space` meets, naming the smallest reachable value. Cheap when the
 * limits are easy (a few random members already meet them); the minimum is only searched otherwise.
 */
export function checkReachable(space: SearchSpace, limits: CostLimits | undefined, seed = 0): void {
  if (!hasLimits(limits)) return;
  const rng = new Rng(seed ^ 0x9e3779b9);
  for (let i = 0; i < 8; i++) {
    const arch = tryBuild(space, space.sample(rng));
    if (arch && withinLimits(arch, limits)) return;
  }
  for (const metric of COST_METRICS) {
    const limit = limits[metric];
    if (limit === undefined) continue;
    const s = smallestMember(space, metric);
    if (s.value > limit)
      throw new UserError(
        `${LIMIT_FLAGS[metric]} ${formatCount(limit)} is below every member of space '${space.id}' at resolution ${space.resolution}: the smallest reachable is ${formatCount(s.value)} ${METRIC_LABELS[metric]} (${s.name}; ${s.how})`,
        { hint: `raise ${LIMIT_FLAGS[metric]} to at least ${s.value}${s.exact ? '' : '  (an upper bound: a smaller member may exist)'}, or lower --resolution` },
      );
  }
}

// ---- a cost metric as the latency objective's stand-in --------------------------------------------

/** Stand-in values are in millions (M MACs, M params, M activations), so targets and tables stay readable. */
export const METRIC_UNIT = 1e6;

export function metricUnit(metric: CostMetric): string {
  return `M ${METRIC_LABELS[metric]}`;
}

/** A LatencySource whose "latency" is a cost metric in millions: any strategy then optimises that metric. */
export function metricLatencySource(metric: CostMetric): LatencySource {
  return {
    id: `metric:${metric}`,
    provenance: { kind: 'metric', metric, unit: metricUnit(metric), note: 'a cost metric of the architecture graph stands in for latency (no device, no LUT)' },
    latency: (arch) => ({ ms: archMetrics(arch)[metric] / METRIC_UNIT }),
  };
}

/** The unit of a latency source's values: "ms", or "M MACs" … for a metric stand-in. */
export function latencyUnit(source: { provenance: Record<string, unknown> }): string {
  return source.provenance.kind === 'metric' && typeof source.provenance.unit === 'string' ? source.provenance.unit : 'ms';
}
