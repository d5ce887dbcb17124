/** Accuracy evaluators by name. Adding one is one line in EVALUATORS; heavy ones load lazily. */
import { Registry } from '../core/registry.js';
import type { AccuracyEvaluator, TrainEvaluatorOptions } from '../core/contracts.js';
import { commandEvaluator } from './command.js';
import type { ProxyEvaluatorOptions } from './proxy/index.js';
import { tableEvaluator } from './table.js';

/** The union of every evaluator's options; each reads its own. */
export interface EvaluatorOptions {
  /** table: cifar10 | cifar100 | ImageNet16-120. */
  dataset?: string;
  /** table: path of nb201.json. */
  nb201File?: string;
  /** command: the shell command, `{arch}` = architecture file. */
  command?: string;
  /** command: per-architecture timeout. */
  timeoutMs?: number;
  /** command: the range a printed accuracy must fall in. */
  accuracyRange?: [number, number];
  proxy?: ProxyEvaluatorOptions;
  /** train, supernet: data and budget (the command's training flags). */
  training?: TrainEvaluatorOptions;
  /** Every parsed flag of the command (camelCase), for an evaluator's own flags. */
  args?: Readonly<Record<string, unknown>>;
}

type EvaluatorFactory = (opts: EvaluatorOptions) => AccuracyEvaluator | Promise<AccuracyEvaluator>;

export const EVALUATORS = {
  table: (o) => tableEvaluator({ dataset: o.dataset, file: o.nb201File }),
  command: (o) => commandEvaluator({ command: o.command ?? '', timeoutMs: o.timeoutMs, range: o.accuracyRange }),
  proxy: async (o) => (await import('./proxy/index.js')).proxyEvaluator(o.proxy),
  // tfjs and the training kernels load only when training is asked for.
  train: async (o) => (await import('../train/train-evaluator.js')).trainEvaluator(o.training),
  supernet: async (o) => (await import('./supernet.js')).supernetEvaluatorFor(o),
} satisfies Record<string, EvaluatorFactory>;

export type EvaluatorName = keyof typeof EVALUATORS;
export const EVALUATOR_NAMES = Object.keys(EVALUATORS) as EvaluatorName[];

export const EVALUATOR_REGISTRY = new Registry<EvaluatorFactory>('evaluator', EVALUATORS);

export async function createEvaluator(name: string, opts: EvaluatorOptions = {}): Promise<AccuracyEvaluator> {
  return EVALUATOR_REGISTRY.get(name)(opts);
}
