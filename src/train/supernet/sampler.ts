/**
 * Which paths of the supernet a training step trains, from (seed, step) only, so a resumed training
 * samples exactly what the killed one would have.
 *
 *   uniform  SPOS (Guo et al. 2020): one path per step, every layer's option uniformly at random.
 *   fair     FairNAS strict fairness (Chu et al. 2021): m paths per step on the same batch, where each
 *            layer's options come in a random permutation, so every option of the layer is trained
 *            exactly once per step (group of m paths); the gradients of the m paths add up before one
 *            update. m = the largest number of options of any layer (7 in mbv2: six MBConv + skip).
 *            A layer with n < m options (mbv2's layers that change shape have no skip: 6) gets its
 *            permutation of n options followed by the first m - n options of a second random
 *            permutation (further permutations if m > 2n): every option at least once per step and at
 *            most once more than any other, each equally likely to be a repeated one, so the layer
 *            stays fair in expectation.
 *   sandwich BigNAS's sandwich rule (Yu et al. 2020; Once-for-All's progressive shrinking samples
 *            similarly): 4 paths per step on the same batch: the largest sub-network (each layer's
 *            option with the most MACs), the smallest (the fewest: skip where a layer has it), and 2
 *            random ones drawn as the depth sampler draws its path (BigNAS and Once-for-All sample
 *            depth uniformly too; uniform options would leave 13 of mbv2's 15 skippable layers in
 *            on average, so between the smallest and the near-largest nothing would be trained).
 *            Training the extremes every step bounds the space from both sides; with in-place
 *            distillation (supernet.ts) the largest path's predictions are the others' targets.
 *   depth    Uniform over depth (Once-for-All samples each stage's depth uniformly): one path per step;
 *            a skip rate r is drawn uniformly from [0, 1], every layer that can be left out (an option
 *            of cost 0: mbv2's skip) is left out with probability r, and the layer's other options are
 *            uniform. The number of skipped layers is then uniform over 0..L (L = skippable layers; a
 *            Beta(1,1)-binomial), where the uniform sampler concentrates it near L/7 (mbv2: 15 layers,
 *            ~2 skipped): shallow sub-networks, which a search over the whole cost range scores, are
 *            trained as often as deep ones instead of almost never.
 */
import { UserError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { permutation } from '../../data/prepare.js';

export const SAMPLERS = ['uniform', 'fair', 'sandwich', 'depth'] as const;
export type SamplerKind = (typeof SAMPLERS)[number];

export function checkSampler(kind: string): SamplerKind {
  if (!(SAMPLERS as readonly string[]).includes(kind)) throw new UserError(`unknown supernet sampler '${kind}'`, { hint: `choose ${SAMPLERS.join(' or ')}` });
  return kind as SamplerKind;
}

/** One 32-bit seed per (seed, step). */
export function stepSeed(seed: number, step: number): number {
  return (Math.imul(seed ^ 0x2545f491, 0x9e3779b1) + Math.imul(step + 1, 0x85ebca6b)) >>> 0;
}

/** Random paths a sandwich step adds to the largest and the smallest (BigNAS uses 2). */
export const SANDWICH_RANDOM = 2;

/** Paths per step: 1 for uniform and depth, the largest option count for fair, 2 + SANDWICH_RANDOM for sandwich. */
export function pathsPerStep(kind: SamplerKind, counts: readonly number[]): number {
  return kind === 'uniform' || kind === 'depth' ? 1 : kind === 'sandwich' ? 2 + SANDWICH_RANDOM : Math.max(...counts);
}

/** The largest and the smallest option of every layer, from each option's cost (MACs; 0 for a skip): ties go to the first option. */
export function extremes(costs: readonly (readonly number[])[]): { largest: number[]; smallest: number[] } {
  const pick = (c: readonly number[], better: (a: number, b: number) => boolean) => c.reduce((best, x, o) => (better(x, c[best]) ? o : best), 0);
  return { largest: costs.map((c) => pick(c, (a, b) => a > b)), smallest: costs.map((c) => pick(c, (a, b) => a < b)) };
}

/** Samplers that need each option's cost (samplePaths' `costs`). */
export function needsCosts(kind: SamplerKind): boolean {
  return kind === 'sandwich' || kind === 'depth';
}

/**
 * One path whose number of skipped layers is uniform over 0..L: a skip rate drawn uniformly, every
 * skippable layer (an option of cost 0) left out with that probability, the other options uniform.
 */
function depthPath(costs: readonly (readonly number[])[], rng: Rng): number[] {
  const rate = rng.next();
  return costs.map((c) => {
    const kept = c.flatMap((x, o) => (x > 0 ? [o] : []));
    const skip = c.findIndex((x) => x === 0);
    // a draw per layer either way, so layer i's draw does not depend on the layers before it being skippable
    const u = rng.next();
    return skip >= 0 && (u < rate || !kept.length) ? skip : kept[rng.int(kept.length)];
  });
}

/**
 * The choice vectors step `step` trains; `counts[i]` = options of layer i. The sandwich and depth samplers
 * also need each option's cost (`costs[i][o]`, e.g. MACs; 0 = the layer is left out): sandwich's first path
 * is the largest, its second the smallest; depth skips the cost-0 options at a random rate.
 */
export function samplePaths(kind: SamplerKind, counts: readonly number[], seed: number, step: number, costs?: readonly (readonly number[])[]): number[][] {
  const rng = new Rng(stepSeed(seed, step));
  if (kind === 'uniform') return [counts.map((n) => rng.int(n))];
  if (needsCosts(kind) && (!costs || costs.length !== counts.length || costs.some((c, i) => c.length !== counts[i])))
    throw new Error(`the ${kind} sampler needs one cost per option of every layer`);
  if (kind === 'depth') return [depthPath(costs!, rng)];
  if (kind === 'sandwich') {
    const { largest, smallest } = extremes(costs!);
    return [largest, smallest, ...Array.from({ length: SANDWICH_RANDOM }, () => depthPath(costs!, rng))];
  }
  const m = pathsPerStep(kind, counts);
  const columns = counts.map((n) => {
    const column: number[] = [];
    while (column.length < m) column.push(...permutation(n, rng));
    return column.slice(0, m);
  });
  return Array.from({ length: m }, (_, j) => columns.map((c) => c[j]));
}
