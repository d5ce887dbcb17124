/**
 * `table` evaluator: NAS-Bench-201 test accuracy (200-epoch training, mean over seeds) of the
 * architecture's cell, looked up instantly. The stand-in for training that makes search benchmarks
 * honest and fast.
 */
import type { Architecture } from '../core/arch.js';
import { Registry } from '../core/registry.js';
import { loadNb201Table, nb201CellOf, nb201Record, NB201_DATASETS, recordValue, type Nb201Dataset } from '../latency/nb201-data.js';
import type { AccuracyEvaluator } from '../core/contracts.js';

export interface TableEvaluatorOptions {
  dataset?: string;
  /** nb201.json; default ../shared/data/nb201/nb201.json from the project root. */
  file?: string;
}

export function tableEvaluator(opts: TableEvaluatorOptions = {}): AccuracyEvaluator {
  const dataset = new Registry('NAS-Bench-201 dataset', NB201_DATASETS.map((d) => [d, d] as const)).get(opts.dataset ?? 'cifar10') as Nb201Dataset;
  const table = loadNb201Table(opts.file);
  return {
    id: `table:nb201:${dataset}`,
    provenance: {
      kind: 'table',
      table: 'nb201',
      dataset,
      metric: 'test accuracy %, 200 epochs, mean over seeds',
      source: 'NATS-Bench topology search space (NAS-Bench-201)',
      path: table.path,
    },
    async evaluate(arch: Architecture) {
      return recordValue(table, nb201Record(table, nb201CellOf(arch)), 'acc', dataset);
    },
  };
}
