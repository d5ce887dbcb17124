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
 */
import { UserError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { permutation } from '../../data/prepare.js';

export const SAMPLERS = ['uniform', 'fair'] as const;
export type SamplerKind = (typeof SAMPLERS)[number];

export function checkSampler(kind: string): SamplerKind {
  if (!(SAMPLERS as readonly string[]).includes(kind)) throw new UserError(`unknown supernet sampler '${kind}'`, { hint: `choose ${SAMPLERS.join(' or ')}` });
  return kind as SamplerKind;
}

/** One 32-bit seed per (seed, step). */
export function stepSeed(seed: number, step: number): number {
  return (Math.imul(seed ^ 0x2545f491, 0x9e3779b1) + Math.imul(step + 1, 0x85ebca6b)) >>> 0;
}

/** Paths per step: 1 for uniform, the largest option count for fair. */
export function pathsPerStep(kind: SamplerKind, counts: readonly number[]): number {
  return kind === 'uniform' ? 1 : Math.max(...counts);
}

/** The choice vectors step `step` trains; `counts[i]` = options of layer i. */
export function samplePaths(kind: SamplerKind, counts: readonly number[], seed: number, step: number): number[][] {
  const rng = new Rng(stepSeed(seed, step));
  if (kind === 'uniform') return [counts.map((n) => rng.int(n))];
  const m = pathsPerStep(kind, counts);
  const columns = counts.map((n) => {
    const column: number[] = [];
    while (column.length < m) column.push(...permutation(n, rng));
    return column.slice(0, m);
  });
  return Array.from({ length: m }, (_, j) => columns.map((c) => c[j]));
}
