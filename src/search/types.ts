/**
 * Contracts shared by every search strategy. Strategies depend on these interfaces only
 * (Once-for-All's EvolutionFinder(efficiency_predictor, accuracy_predictor) is the model).
 */
import type { Architecture } from '../core/arch.js';
import type { AccuracyEvaluator, LatencyEstimate, LatencySource, TrainEvaluatorOptions } from '../core/contracts.js';
import type { SearchSpace } from '../core/space.js';
import type { CostLimits } from './constraints.js';

// The predictor and evaluator contracts live in core/contracts.ts (shared with predict/, evaluators/, train/).
export type { AccuracyEvaluator, LatencyEstimate, LatencySource };

export interface Candidate {
  encoding: number[];
  name: string;
  accuracy: number;
  latency: LatencyEstimate;
  /** The network itself, for candidates that are not a choice vector of the space (netadapt; encoding []). */
  architecture?: Architecture;
}

export interface SearchProgress {
  done: number;
  total: number;
  best?: Candidate;
  message?: string;
}

export interface SearchContext {
  space: SearchSpace;
  latency: LatencySource;
  evaluator: AccuracyEvaluator;
  /** Number of architectures evaluated for accuracy. */
  budget: number;
  /** Latency target / limit, ms. */
  targetMs?: number;
  /** Hard limits on MACs, parameters, activations (src/search/constraints.ts), beside targetMs. */
  limits?: CostLimits;
  seed: number;
  onProgress?(p: SearchProgress): void;
  /** Strategy state, saved so a killed search resumes; undefined when starting fresh. */
  checkpoint?: {
    load(): unknown | undefined;
    save(state: unknown): void;
  };
  /** Data and budget for strategies that train (fbnet, proxyless, netadapt): the command's training flags. */
  training?: TrainEvaluatorOptions;
  /** The LUT file behind `latency`, when the search was given one (strategies that need the table itself). */
  lutFile?: string;
  /** Every parsed flag of the command (camelCase), for a strategy's own flags; it validates them itself. */
  args?: Readonly<Record<string, unknown>>;
}

export interface SearchResult {
  strategy: string;
  /** Non-dominated candidates (max accuracy, min latency). */
  front: Candidate[];
  /** Every evaluated candidate in order. */
  history: Candidate[];
  /** Best candidate meeting targetMs, if any. */
  best?: Candidate;
  /**
   * How the search ended, in one line, from a strategy whose --budget is not a count of evaluations
   * (netadapt: iterations; fbnet/proxyless: none); printed instead of the generic "stopped after N of budget".
   */
  summary?: string;
}

export interface Searcher {
  readonly name: string;
  /** Profiles the LUT entries it needs itself (netadapt), so the LUT need not cover the space up front. */
  readonly profilesMissing?: boolean;
  /** Honours ctx.limits (constraints.ts); a search with limits is refused for a strategy without this. */
  readonly costLimits?: boolean;
  /**
   * Refuses a space it cannot search (`args`: the command's flags, for options that pick the layers it
   * works on), naming the space it needs. The search command calls it before it reads the LUT, so this
   * message comes first; run() checks the same.
   */
  checkSpace?(space: SearchSpace, args?: Readonly<Record<string, unknown>>): void;
  run(ctx: SearchContext): Promise<SearchResult>;
}
