/**
 * The MnasNet search's checkpoint: controller parameters, Adam moments, baseline, counters and every
 * accuracy evaluation so far. Saved at batch boundaries, so a resumed search continues exactly where the
 * saved one was (sampling draws from an Rng seeded by (seed, batch), which needs no state of its own).
 *
 * `settings` records everything that shapes the search; a checkpoint written with other settings is
 * refused, naming the ones that differ.
 */
import { UserError } from '../../core/errors.js';
import type { AdamState } from './adam.js';

export const MNASNET_STATE_VERSION = 1;

export type Settings = Record<string, string | number>;

export interface MnasnetState {
  version: typeof MNASNET_STATE_VERSION;
  strategy: 'mnasnet';
  settings: Settings;
  /** Controller updates done (one per full batch). */
  step: number;
  /** Architectures sampled, repeats and invalid ones included. */
  samples: number;
  /** Moving-average reward baseline; null before the first update. */
  baseline: number | null;
  params: number[][];
  adam: AdamState;
  /** [encoding, accuracy] in evaluation order. */
  evaluations: [number[], number][];
}

const HINT = 'delete the checkpoint to start the search over';

/** Checks a loaded checkpoint against this search's settings and parameter sizes. */
export function parseState(value: unknown, settings: Settings, paramSizes: readonly number[]): MnasnetState {
  const bad = (why: string) => new UserError(`search checkpoint state is malformed: ${why}`, { hint: HINT });
  const s = value as Partial<MnasnetState>;
  if (typeof s !== 'object' || s === null) throw bad('expected an object');
  if (s.strategy !== 'mnasnet') throw new UserError(`the checkpoint was written by strategy '${String(s.strategy)}', not 'mnasnet'`, { hint: HINT });
  if (s.version !== MNASNET_STATE_VERSION) throw bad(`unsupported state version ${JSON.stringify(s.version)}`);
  const theirs = (s.settings ?? {}) as Settings;
  const differ = [...new Set([...Object.keys(settings), ...Object.keys(theirs)])].filter((k) => theirs[k] !== settings[k]);
  if (differ.length)
    throw new UserError(
      `the checkpoint does not match this search: ${differ.map((k) => `${k} was ${JSON.stringify(theirs[k])}, now ${JSON.stringify(settings[k])}`).join('; ')}`,
      { hint: HINT },
    );
  for (const k of ['step', 'samples'] as const) if (!Number.isInteger(s[k]) || (s[k] as number) < 0) throw bad(`"${k}" must be a non-negative integer`);
  if (s.baseline !== null && !Number.isFinite(s.baseline)) throw bad('"baseline" must be a number or null');
  if (!Array.isArray(s.params) || s.params.length !== paramSizes.length || s.params.some((p, i) => !Array.isArray(p) || p.length !== paramSizes[i] || !p.every(Number.isFinite)))
    throw bad(`"params" must be ${paramSizes.length} arrays of sizes ${paramSizes.join(', ')}`);
  if (!Array.isArray(s.evaluations)) throw bad('"evaluations" must be an array');
  s.evaluations.forEach((e, i) => {
    if (!Array.isArray(e) || e.length !== 2 || !Array.isArray(e[0]) || !e[0].every(Number.isInteger) || !Number.isFinite(e[1]))
      throw bad(`evaluation ${i} must be [encoding (integers), accuracy (number)]`);
  });
  return s as MnasnetState;
}
