/**
 * The cost-metric flags of nas search (--max-macs, --max-params, --max-activations, --objective) and the
 * metric columns every command prints. The mechanism itself is src/search/constraints.ts.
 */
import type { Argv } from 'yargs';
import { COST_METRICS, parseCount, type CostMetric } from '../../core/arch-metrics.js';
export { METRIC_HEADERS, metricCells } from '../../core/arch-metrics.js';
import { UserError } from '../../core/errors.js';
import { LIMIT_FLAGS, METRIC_UNIT, normalizeLimits, type CostLimits } from '../../search/constraints.js';

export const OBJECTIVES = ['latency', ...COST_METRICS] as const;
export type Objective = (typeof OBJECTIVES)[number];

export interface CostArgs {
  maxMacs?: string | number;
  maxParams?: string | number;
  maxActivations?: string | number;
  objective?: string;
}

export function costOptions<T>(y: Argv<T>) {
  return y
    .option('max-macs', { type: 'string', describe: 'only architectures with at most this many multiply-accumulates (e.g. 300M, 4e8)' })
    .option('max-params', { type: 'string', describe: 'only architectures with at most this many parameters (BatchNorm folded; e.g. 5M)' })
    .option('max-activations', { type: 'string', describe: "only architectures with at most this many activations (RegNet's count: elements of all conv outputs; e.g. 10M)" })
    .option('objective', {
      type: 'string',
      choices: OBJECTIVES,
      default: 'latency',
      describe: 'what stands for latency: latency (from --lut/--latency-table) or a cost metric in millions (macs, params, activations: no LUT needed; its --max-* limit becomes the target)',
    });
}

export interface ResolvedCosts {
  objective: Objective;
  /** Limits the strategy enforces as constraints. */
  limits?: CostLimits;
  /** With a metric objective: its limit, in millions, as the strategy's target. */
  metricTarget?: number;
}

/** Parses and checks the flags; with a metric objective its own limit becomes the target (in millions). */
export function resolveCosts(a: CostArgs): ResolvedCosts {
  const objective = (a.objective ?? 'latency') as Objective;
  if (!(OBJECTIVES as readonly string[]).includes(objective)) throw new UserError(`--objective must be one of ${OBJECTIVES.join(', ')}, got '${a.objective}'`);
  const raw: Record<CostMetric, string | number | undefined> = { macs: a.maxMacs, params: a.maxParams, activations: a.maxActivations };
  const limits: CostLimits = {};
  for (const m of COST_METRICS) {
    if (raw[m] === undefined) continue;
    const v = parseCount(raw[m]!);
    if (!(Number.isFinite(v) && v > 0)) throw new UserError(`${LIMIT_FLAGS[m]} must be a positive count such as 300M, 2.5G or 4e8, got '${raw[m]}'`);
    limits[m] = v;
  }
  if (objective === 'latency') return { objective, limits: normalizeLimits(limits) };
  const own = limits[objective];
  delete limits[objective];
  return { objective, limits: normalizeLimits(limits), metricTarget: own === undefined ? undefined : own / METRIC_UNIT };
}
