/**
 * An architecture's cost metrics (MACs, parameters, activations), read from its one primitive graph
 * (lowerArchitecture → graphMetrics): every command reports these numbers, none has its own formula.
 */
import type { Architecture } from './arch.js';
import { graphMetrics, type GraphMetrics } from './graph/metrics.js';
import { lowerArchitecture } from './lower/index.js';
import { formatCount } from './format.js';

export { formatCount, parseCount } from './format.js';

export type { GraphMetrics };

export const COST_METRICS = ['macs', 'params', 'activations'] as const;
export type CostMetric = (typeof COST_METRICS)[number];

/** What each metric counts, for help texts and table headers. */
export const METRIC_LABELS: Record<CostMetric, string> = { macs: 'MACs', params: 'params', activations: 'activations' };

const memo = new WeakMap<Architecture, GraphMetrics>();

/** Memoised per architecture object: searches ask again for the same built network. */
export function archMetrics(arch: Architecture): GraphMetrics {
  let m = memo.get(arch);
  if (!m) {
    m = graphMetrics(lowerArchitecture(arch));
    memo.set(arch, m);
  }
  return m;
}

/** Table headers of metricCells. */
export const METRIC_HEADERS = ['MACs', 'params', 'activations'];

/** The three metrics as table cells (SI suffixes); '-' when unknown. */
export function metricCells(m: GraphMetrics | undefined): string[] {
  return m ? [formatCount(m.macs), formatCount(m.params), formatCount(m.activations)] : ['-', '-', '-'];
}
