/**
 * A design space's population analysis from its scored samples: the error EDF, the MACs EDF, with a LUT
 * the latency EDF and the error EDF of the models within a latency budget, and the bootstrap intervals of
 * the chosen parameters. Pure: the command samples, scores and predicts, this turns the models into the
 * design-space document.
 */
import type { Architecture } from '../core/arch.js';
import { archMetrics } from '../core/arch-metrics.js';
import { UserError } from '../core/errors.js';
import { bootstrapBestRange, percentile, type BootstrapOptions } from './bootstrap.js';
import { edfCurve } from './edf.js';
import type { ErrorMeasure } from './error.js';
import type { SpaceParameter } from './params.js';
import type { DesignSpaceDoc, DsModel } from './types.js';
import { DESIGNSPACE_FORMAT, DESIGNSPACE_VERSION } from './types.js';

/** One model of the population: its score, error, parameters, cost metrics and (with a latency function) latency. */
export function designSpaceModel(
  arch: Architecture,
  score: number,
  measure: ErrorMeasure,
  params: readonly SpaceParameter[],
  latencyMs?: (arch: Architecture) => number,
): DsModel {
  const encoding = [...(arch.space?.encoding ?? [])];
  const m = archMetrics(arch);
  return {
    name: arch.name,
    encoding,
    score,
    error: measure.top - score,
    params: Object.fromEntries(params.map((p) => [p.name, p.value(encoding)])),
    macs: m.macs,
    activations: m.activations,
    latencyMs: latencyMs ? latencyMs(arch) : null,
  };
}

/** Throws a UserError naming the fastest model when no latency is within the budget (checked before scoring, and again on the scored models). */
export function checkBudgetReachable(latenciesMs: readonly number[], budgetMs: number): void {
  const min = Math.min(...latenciesMs);
  const fastest = Number(min.toPrecision(4));
  if (!(min <= budgetMs))
    throw new UserError(`no sampled model is predicted within --budget-ms ${budgetMs}: the fastest of the ${latenciesMs.length} takes ${fastest} ms`, {
      hint: `raise --budget-ms to at least ${fastest}, or sample more models (--samples)`,
    });
}

/** Models predicted within the budget (at least one, else checkBudgetReachable's error). */
export function underBudget(models: readonly DsModel[], budgetMs: number): DsModel[] {
  checkBudgetReachable(models.map((m) => m.latencyMs ?? Infinity), budgetMs);
  return models.filter((m) => m.latencyMs !== null && m.latencyMs <= budgetMs);
}

export interface AnalysisInput {
  space: { id: string; resolution: number };
  evaluator: { id: string; provenance: Record<string, unknown> };
  measure: ErrorMeasure;
  selection: { samples: number; seed: number };
  scores: string;
  lut: DesignSpaceDoc['lut'];
  budgetMs: number | null;
  models: DsModel[];
  /** Parameters to bootstrap (none: no bootstrap). */
  bootstrap: readonly string[];
  bootstrapOptions?: BootstrapOptions;
}

export function analyzeDesignSpace(input: AnalysisInput): DesignSpaceDoc {
  const { models } = input;
  if (models.length === 0) throw new UserError('no model was scored: nothing to analyse');
  const errors = models.map((m) => m.error);
  const withLatency = models.every((m) => m.latencyMs !== null);
  const budget = input.budgetMs === null ? null : underBudget(models, input.budgetMs);
  const bestIndex = errors.indexOf(Math.min(...errors));
  const bootstrap = input.bootstrap.length
    ? bootstrapBestRange(errors, Object.fromEntries(input.bootstrap.map((p) => [p, models.map((m) => m.params[p])])), { seed: input.selection.seed, ...input.bootstrapOptions })
    : null;
  return {
    format: DESIGNSPACE_FORMAT,
    version: DESIGNSPACE_VERSION,
    space: input.space,
    evaluator: input.evaluator,
    errorLabel: input.measure.label,
    selection: input.selection,
    scores: input.scores,
    lut: input.lut,
    budgetMs: input.budgetMs,
    models,
    edf: {
      error: edfCurve(errors),
      macs: edfCurve(models.map((m) => m.macs)),
      latency: withLatency ? edfCurve(models.map((m) => m.latencyMs!)) : null,
      underBudget: budget ? { n: budget.length, error: edfCurve(budget.map((m) => m.error)) } : null,
    },
    summary: {
      n: models.length,
      minError: errors[bestIndex],
      medianError: percentile(errors, 50),
      best: models[bestIndex].name,
      minLatencyMs: withLatency ? Math.min(...models.map((m) => m.latencyMs!)) : null,
    },
    bootstrap,
    compare: null,
    created: new Date().toISOString(),
  };
}
