/**
 * `evolution`: regularised (aging) evolution (Real et al., AAAI 2019) with the crossover of
 * Once-for-All's EvolutionFinder, under a hard latency limit (ctx.targetMs).
 *
 * The population is a queue: each step a tournament of `sampleSize` random members picks a parent
 * (two for crossover), the child is mutated, evaluated and appended, and the oldest member leaves, so
 * no lucky early architecture rules forever. Children over the latency limit, invalid or already
 * evaluated are redrawn before any budget is spent: latency is known up front (SPOS/OFA style).
 * Fitness is accuracy, ties to the faster.
 */
import { Rng } from '../../core/rng.js';
import { UserError } from '../../core/errors.js';
import { Evaluations } from '../evaluations.js';
import type { Candidate, SearchContext, SearchResult, Searcher } from '../types.js';
import { crossover, drawNew, drawRandom, mutate, optionCounts } from './operators.js';

export interface EvolutionOptions {
  /** Default: budget / 5, within [8, 64]. */
  population?: number;
  /** Tournament size; default population / 4, at least 2. */
  sampleSize?: number;
  /** Probability that a child comes from crossover of two parents (then mutation); default 0.5. */
  crossoverProb?: number;
  /** Per-decision mutation probability; default 1 / number of decisions. */
  mutationRate?: number;
}

/** Redraws of a child before falling back to a random newcomer. */
const CHILD_TRIES = 50;

export function fitter(a: Candidate, b: Candidate): boolean {
  return a.accuracy > b.accuracy || (a.accuracy === b.accuracy && a.latency.ms < b.latency.ms);
}

/**
 * Aging evolution's child: a tournament of `sampleSize` picks one parent (or two, crossed over with
 * probability `crossoverProb`), then each gene mutates with probability `rate`. Reads `population` as it
 * is at each call.
 */
export function tournamentBreeder(
  rng: Rng,
  population: readonly Candidate[],
  o: { sampleSize: number; crossoverProb: number; counts: readonly number[]; rate: number },
): () => number[] {
  const tournament = () => {
    let winner = population[rng.int(population.length)];
    for (let i = 1; i < o.sampleSize; i++) {
      const c = population[rng.int(population.length)];
      if (fitter(c, winner)) winner = c;
    }
    return winner.encoding;
  };
  return () => mutate(rng, rng.next() < o.crossoverProb ? crossover(rng, tournament(), tournament()) : tournament(), o.counts as number[], o.rate);
}

export class EvolutionSearch implements Searcher {
  readonly name = 'evolution';
  readonly costLimits = true;
  constructor(private readonly opts: EvolutionOptions = {}) {}

  async run(ctx: SearchContext): Promise<SearchResult> {
    const ledger = new Evaluations(ctx);
    const rng = new Rng(ctx.seed);
    const counts = optionCounts(ctx.space);
    const size = this.opts.population ?? Math.min(64, Math.max(8, Math.round(ctx.budget / 5)));
    const sampleSize = this.opts.sampleSize ?? Math.max(2, Math.round(size / 4));
    const crossoverProb = this.opts.crossoverProb ?? 0.5;
    const rate = this.opts.mutationRate ?? 1 / counts.length;
    if (!Number.isInteger(size) || size < 2) throw new UserError(`evolution: population must be an integer ≥ 2, got ${size}`);
    if (!Number.isInteger(sampleSize) || sampleSize < 1) throw new UserError(`evolution: sample size must be a positive integer, got ${sampleSize}`);

    const population: Candidate[] = [];
    const breed = tournamentBreeder(rng, population, { sampleSize, crossoverProb, counts, rate });

    while (!ledger.exhausted) {
      const young = population.length < size;
      const encoding = (young ? undefined : drawNew(ledger, breed, CHILD_TRIES)) ?? drawRandom(ledger, ctx.space, rng);
      if (!encoding) break;
      population.push((await ledger.evaluate(encoding))!);
      if (population.length > size) population.shift();
    }
    return ledger.result(this.name);
  }
}
