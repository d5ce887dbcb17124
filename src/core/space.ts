/**
 * A search space turns a choice vector (one option index per decision) into an Architecture, and
 * can enumerate every distinct op instance it can ever place, which is what a profiler measures.
 */
import type { Architecture } from './arch.js';
import type { OpInstance } from './ops.js';
import type { Rng } from './rng.js';

export interface Decision {
  /** e.g. "layer3" or "block2.kernel". */
  name: string;
  /** Human-readable option labels, e.g. ["k3e3", "k3e6", ..., "skip"]. */
  options: string[];
}

export interface SpaceOptions {
  resolution?: number;
  classes?: number;
}

export interface SearchSpace {
  readonly id: string;
  readonly description: string;
  readonly resolution: number;
  decisions(): Decision[];
  /** Builds the architecture for a choice vector; throws a UserError when the vector does not fit. */
  build(choices: readonly number[]): Architecture;
  /** A uniformly random valid choice vector. */
  sample(rng: Rng): number[];
  /** Every distinct op instance any architecture of the space contains (deduplicated by key). */
  allInstances(): OpInstance[];
  /**
   * A choice vector of an earlier version of the space (saved in an architecture file), as today's vector of the
   * same architecture, with a one-line note saying how it was read; undefined when `choices` is not one.
   */
  readOlderEncoding?(choices: readonly number[]): { choices: number[]; note: string } | undefined;
}
