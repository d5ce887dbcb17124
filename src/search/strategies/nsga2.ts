/**
 * `nsga2`: NSGA-II (Deb et al. 2002) for the whole accuracy/latency front.
 *
 * Generational: parents by binary tournament (lower front rank, then larger crowding distance),
 * uniform crossover, mutation, then the next population is the best `population` of parents and
 * children by non-dominated sorting, the last front cut by crowding distance. With a latency target,
 * children over it are redrawn before evaluation (latency is known up front), so every evaluated
 * candidate is feasible and plain domination applies. Duplicates are redrawn too: the space is finite
 * and an evaluation is the scarce resource.
 */
import { Rng } from '../../core/rng.js';
import { UserError } from '../../core/errors.js';
import { Evaluations } from '../evaluations.js';
import { crowdingDistance, nonDominatedSort } from '../pareto.js';
import type { Candidate, SearchContext, SearchResult, Searcher } from '../types.js';
import { crossover, drawNew, drawRandom, mutate, optionCounts } from './operators.js';

export interface Nsga2Options {
  /** Default: budget / 10, within [10, 50]. */
  population?: number;
  /** Default 0.9. */
  crossoverProb?: number;
  /** Per-decision mutation probability; default 1 / number of decisions. */
  mutationRate?: number;
}

const CHILD_TRIES = 50;

interface Ranked {
  c: Candidate;
  rank: number;
  crowding: number;
}

/** Front rank and crowding distance of every member. */
export function rankPopulation(members: readonly Candidate[]): Ranked[] {
  const points = members.map((c) => ({ accuracy: c.accuracy, latencyMs: c.latency.ms }));
  const ranked: Ranked[] = new Array(members.length);
  nonDominatedSort(points).forEach((front, rank) => {
    const dist = crowdingDistance(front.map((i) => points[i]));
    front.forEach((i, k) => (ranked[i] = { c: members[i], rank, crowding: dist[k] }));
  });
  return ranked;
}

/** NSGA-II environmental selection: whole fronts while they fit, then the least crowded of the next. */
export function survivors(members: readonly Candidate[], size: number): Candidate[] {
  const ranked = rankPopulation(members);
  return ranked
    .map((r, i) => ({ ...r, i }))
    .sort((a, b) => a.rank - b.rank || b.crowding - a.crowding || a.i - b.i)
    .slice(0, size)
    .map((r) => r.c);
}

export class Nsga2Search implements Searcher {
  readonly name = 'nsga2';
  readonly costLimits = true;
  constructor(private readonly opts: Nsga2Options = {}) {}

  async run(ctx: SearchContext): Promise<SearchResult> {
    const ledger = new Evaluations(ctx);
    const rng = new Rng(ctx.seed);
    const counts = optionCounts(ctx.space);
    const size = this.opts.population ?? Math.min(50, Math.max(10, Math.round(ctx.budget / 10)));
    const crossoverProb = this.opts.crossoverProb ?? 0.9;
    const rate = this.opts.mutationRate ?? 1 / counts.length;
    if (!Number.isInteger(size) || size < 2) throw new UserError(`nsga2: population must be an integer ≥ 2, got ${size}`);

    let population: Candidate[] = [];
    while (population.length < size && !ledger.exhausted) {
      const encoding = drawRandom(ledger, ctx.space, rng);
      if (!encoding) return ledger.result(this.name);
      population.push((await ledger.evaluate(encoding))!);
    }
    while (!ledger.exhausted) {
      const ranked = rankPopulation(population);
      const tournament = () => {
        const a = ranked[rng.int(ranked.length)];
        const b = ranked[rng.int(ranked.length)];
        return (a.rank < b.rank || (a.rank === b.rank && a.crowding >= b.crowding) ? a : b).c.encoding;
      };
      const breed = () => mutate(rng, rng.next() < crossoverProb ? crossover(rng, tournament(), tournament()) : tournament(), counts, rate);
      const children: Candidate[] = [];
      while (children.length < size && !ledger.exhausted) {
        const encoding = drawNew(ledger, breed, CHILD_TRIES) ?? drawRandom(ledger, ctx.space, rng);
        if (!encoding) break;
        children.push((await ledger.evaluate(encoding))!);
      }
      if (!children.length) break;
      population = survivors([...population, ...children], size);
    }
    return ledger.result(this.name);
  }
}
