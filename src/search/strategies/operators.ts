/**
 * Variation operators on choice vectors, shared by the evolutionary strategies. They only use the
 * option count of each decision, so they work on any SearchSpace; vectors the space rejects are
 * filtered by the ledger (Evaluations.feasible), never special-cased here.
 */
import { UserError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { SearchSpace } from '../../core/space.js';
import type { Evaluations } from '../evaluations.js';

export function optionCounts(space: SearchSpace): number[] {
  return space.decisions().map((d) => d.options.length);
}

/**
 * Each decision changes with probability `rate` to another option; at least one decision changes,
 * so a child never repeats its parent.
 */
export function mutate(rng: Rng, parent: readonly number[], counts: readonly number[], rate: number): number[] {
  const child = [...parent];
  const mutable = counts.map((n, i) => (n > 1 ? i : -1)).filter((i) => i >= 0);
  if (!mutable.length) return child;
  const change = (i: number) => (child[i] = (child[i] + 1 + rng.int(counts[i] - 1)) % counts[i]);
  let changed = false;
  for (const i of mutable)
    if (rng.next() < rate) {
      change(i);
      changed = true;
    }
  if (!changed) change(rng.pick(mutable));
  return child;
}

/** Uniform crossover: each decision from either parent with equal probability. */
export function crossover(rng: Rng, a: readonly number[], b: readonly number[]): number[] {
  return a.map((v, i) => (rng.next() < 0.5 ? v : b[i]));
}

/**
 * What the draws ask of a ledger (Evaluations is one): whether an encoding is taken — evaluated, or pending
 * in an asynchronous search — and feasible; how many are taken; the latency target.
 */
export type DrawLedger = Pick<Evaluations, 'feasible' | 'used' | 'targetMs' | 'hasLimits'> & { seen(encoding: readonly number[]): unknown };

/**
 * Draws from `make` until it yields a feasible encoding not evaluated yet; undefined after `tries`.
 * Rejected draws cost no budget: validity and latency are known before accuracy is asked for.
 */
export function drawNew(ledger: DrawLedger, make: () => number[], tries: number): number[] | undefined {
  for (let t = 0; t < tries; t++) {
    const encoding = make();
    if (!ledger.seen(encoding) && ledger.feasible(encoding)) return encoding;
  }
  return undefined;
}

/** Random draws allowed per new architecture before a strategy concludes the space is used up. */
export const RANDOM_TRIES = 10_000;

/** A uniformly random new feasible encoding; undefined when none turns up (the space is used up). */
export function drawRandom(ledger: DrawLedger, space: SearchSpace, rng: Rng): number[] | undefined {
  const encoding = drawNew(ledger, () => space.sample(rng), RANDOM_TRIES);
  if (!encoding && ledger.used === 0) {
    const target = ledger.targetMs;
    const limited = target !== undefined || ledger.hasLimits;
    throw new UserError(
      !limited
        ? `space '${space.id}' produced no valid architecture in ${RANDOM_TRIES} random samples`
        : `no architecture of space '${space.id}' within the ${target === undefined ? '' : `latency target of ${target} ms${ledger.hasLimits ? ' and the ' : ''}`}${ledger.hasLimits ? 'cost limits' : ''} in ${RANDOM_TRIES} random samples`,
      { hint: !limited ? undefined : 'raise --target-ms or the --max-* limits (check the smallest architecture with nas predict)' },
    );
  }
  return encoding;
}
