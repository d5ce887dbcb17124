/**
 * Asynchronous random search, evolution and NSGA-II, for evaluators that answer many candidates at
 * once (the farm's workers, `nas search --redis`): up to `pending` candidates are under evaluation at a
 * time and a new one is drawn as soon as the oldest result is in, so no generation waits for its
 * slowest member (steady-state evolution; NSGA-II as the steady-state (μ+1) variant of Durillo et al.,
 * 2009: each child enters the population through non-dominated sorting and crowding on arrival).
 *
 * Reproducible for a seed: candidate j (in submission order) is drawn from the state after the
 * results of candidates 0 … j − pending, and only those, incorporated in submission order whatever
 * order they arrive in (none for j < pending); the random generator is used only to draw, in
 * submission order. So with a deterministic evaluator, the same seed, budget and `pending` give the
 * same candidates, history and front whatever the number of workers, their speed or the order
 * results come back in. A different `pending` is a different search (it is part of the strategy's
 * name, so a checkpoint refuses it). With pending = 1 the loop is the sequential one: asynchronous
 * evolution then draws exactly what `evolution` draws.
 *
 * Resumable as the sequential strategies are (Evaluations' replay): the checkpoint is the log of
 * incorporated results; a rerun draws the same candidates, takes the logged ones from the log and
 * submits the rest, which an evaluator with content-derived jobs (FarmEvaluator) answers from the
 * results that finished meanwhile. A slow result holds back only the candidate `pending` places after
 * it; keep `pending` at least the number of evaluation slots in the pool, or slots stay idle.
 */
import { Registry } from '../../core/registry.js';
import { Rng } from '../../core/rng.js';
import { UserError } from '../../core/errors.js';
import { encodingKey, Evaluations } from '../evaluations.js';
import type { AccuracyEvaluator, Candidate, SearchContext, SearchResult, Searcher } from '../types.js';
import { tournamentBreeder } from './evolution.js';
import { rankPopulation, survivors } from './nsga2.js';
import { crossover, drawNew, drawRandom, mutate, optionCounts, type DrawLedger } from './operators.js';

/** What an asynchronous strategy decides: the next candidate, and what it learns from a result. */
export interface AsyncPolicy {
  /** The next encoding to evaluate, from the results incorporated so far; undefined when the space is used up. */
  propose(): number[] | undefined;
  incorporate(c: Candidate): void;
}

export type PolicyFactory = (ctx: SearchContext, rng: Rng, taken: DrawLedger) => AsyncPolicy;

/** Redraws of a child before falling back to a random newcomer (as the sequential strategies). */
const CHILD_TRIES = 50;

const random: PolicyFactory = (ctx, rng, taken) => ({
  propose: () => drawRandom(taken, ctx.space, rng),
  incorporate: () => undefined,
});

/** Aging evolution with EvolutionSearch's defaults and operators. */
const evolution: PolicyFactory = (ctx, rng, taken) => {
  const counts = optionCounts(ctx.space);
  const size = Math.min(64, Math.max(8, Math.round(ctx.budget / 5)));
  const sampleSize = Math.max(2, Math.round(size / 4));
  const rate = 1 / counts.length;
  const population: Candidate[] = [];
  const breed = tournamentBreeder(rng, population, { sampleSize, crossoverProb: 0.5, counts, rate });
  return {
    propose: () => (population.length < size ? undefined : drawNew(taken, breed, CHILD_TRIES)) ?? drawRandom(taken, ctx.space, rng),
    incorporate: (c) => {
      population.push(c);
      if (population.length > size) population.shift();
    },
  };
};

/** Steady-state NSGA-II with Nsga2Search's defaults and operators. */
const nsga2: PolicyFactory = (ctx, rng, taken) => {
  const counts = optionCounts(ctx.space);
  const size = Math.min(50, Math.max(10, Math.round(ctx.budget / 10)));
  const rate = 1 / counts.length;
  let population: Candidate[] = [];
  return {
    propose: () => {
      if (population.length < size) return drawRandom(taken, ctx.space, rng);
      const ranked = rankPopulation(population);
      const tournament = () => {
        const a = ranked[rng.int(ranked.length)];
        const b = ranked[rng.int(ranked.length)];
        return (a.rank < b.rank || (a.rank === b.rank && a.crowding >= b.crowding) ? a : b).c.encoding;
      };
      const breed = () => mutate(rng, rng.next() < 0.9 ? crossover(rng, tournament(), tournament()) : tournament(), counts, rate);
      return drawNew(taken, breed, CHILD_TRIES) ?? drawRandom(taken, ctx.space, rng);
    },
    incorporate: (c) => {
      population.push(c);
      if (population.length > size) population = survivors(population, size);
    },
  };
};

export const ASYNC_POLICIES = new Registry<PolicyFactory>('asynchronous search strategy', { random, evolution, nsga2 }, {
  hint: 'only these run asynchronously (nas search --redis); run the others without --redis',
});

export class AsyncSearch implements Searcher {
  readonly name: string;
  /** Cost limits act through the ledger, as in the synchronous strategies. */
  readonly costLimits = true;
  private readonly policy: PolicyFactory;

  constructor(
    strategy: string,
    private readonly pending: number,
  ) {
    if (!Number.isInteger(pending) || pending < 1) throw new UserError(`the pending set must be a positive integer of candidates, got ${pending}`);
    this.policy = ASYNC_POLICIES.get(strategy);
    this.name = `${strategy} (asynchronous, ${pending} pending)`;
  }

  async run(ctx: SearchContext): Promise<SearchResult> {
    const saved = ctx.checkpoint?.load() as { evaluations?: unknown } | undefined;
    const logged = Array.isArray(saved?.evaluations) ? saved.evaluations.length : 0;
    // The ledger takes results in submission order; each comes from the evaluation started when the
    // candidate was submitted (`current`), or from the checkpoint's log.
    let current: Promise<number> | undefined;
    const inOrder: AccuracyEvaluator = { id: ctx.evaluator.id, provenance: ctx.evaluator.provenance, evaluate: () => current! };
    const ledger = new Evaluations({ ...ctx, evaluator: inOrder });
    const rng = new Rng(ctx.seed);
    const queue: { encoding: number[]; key: string; result?: Promise<number> }[] = [];
    const pendingKeys = new Set<string>();
    const taken: DrawLedger = {
      seen: (e) => ledger.seen(e) ?? (pendingKeys.has(encodingKey(e)) || undefined),
      feasible: (e) => ledger.feasible(e),
      get used() {
        return ledger.used + queue.length;
      },
      targetMs: ctx.targetMs,
      hasLimits: ledger.hasLimits,
    };
    const policy = this.policy(ctx, rng, taken);
    let submitted = 0;
    let usedUp = false;
    for (;;) {
      while (!usedUp && submitted < ctx.budget && queue.length < this.pending) {
        const encoding = policy.propose();
        if (!encoding) {
          usedUp = true;
          break;
        }
        const result = submitted < logged ? undefined : ctx.evaluator.evaluate(ctx.space.build(encoding));
        // Its turn may never come (an earlier one failed): an unawaited rejection must not end the process.
        result?.catch(() => undefined);
        const key = encodingKey(encoding);
        queue.push({ encoding, key, result });
        pendingKeys.add(key);
        submitted++;
      }
      const next = queue.shift();
      if (!next) break;
      current = next.result;
      const c = await ledger.evaluate(next.encoding);
      pendingKeys.delete(next.key);
      policy.incorporate(c!);
    }
    return ledger.result(this.name);
  }
}
