/** Helpers the seed spaces share: checking a choice vector, and collecting the distinct op instances of architectures. */
import { placeLayers, type Architecture } from '../core/arch.js';
import { UserError } from '../core/errors.js';
import { opKey } from '../core/keys.js';
import type { OpInstance } from '../core/ops.js';
import type { Decision, SpaceOptions } from '../core/space.js';

/** Throws a UserError naming the first entry of `choices` that is not an option index of its decision. */
export function checkChoices(space: string, decisions: readonly Decision[], choices: readonly number[]): void {
  if (choices.length !== decisions.length) throw new UserError(`${space}: a choice vector has ${decisions.length} entries (${decisions.map((d) => d.name).join(', ')}), got ${choices.length}`);
  choices.forEach((c, i) => {
    const n = decisions[i].options.length;
    if (!Number.isInteger(c) || c < 0 || c >= n)
      throw new UserError(`${space}: ${decisions[i].name} must be an integer in [0, ${n - 1}] (${decisions[i].options.join(', ')}), got ${c}`);
  });
}

/** Adds every placed op instance of `arch` to `seen`, by canonical key. */
export function collectInstances(seen: Map<string, OpInstance>, arch: Architecture, roles?: readonly string[]): void {
  for (const p of placeLayers(arch)) if (!roles || roles.includes(p.layer.role)) seen.set(opKey(p.inst), p.inst);
}

export function checkResolution(space: string, resolution: number, min: number, hint = 'e.g. --resolution 64, 128 or 224'): void {
  if (!Number.isInteger(resolution) || resolution < min) throw new UserError(`${space}: resolution must be an integer ≥ ${min}, got ${resolution}`, { hint });
}

/** The ImageNet-style spaces' input: 224 px and 1000 classes by default, at least 32 px. */
export const IMAGENET_INPUT = { resolution: 224, classes: 1000, min: 32, hint: 'e.g. --resolution 96, 128, 160 or 224' };

/** A space's input resolution and class count: the options, else the defaults; a UserError naming the space when either is out of range. */
export function spaceInput(space: string, opts: SpaceOptions, defaults: typeof IMAGENET_INPUT = IMAGENET_INPUT): { resolution: number; classes: number } {
  const resolution = opts.resolution ?? defaults.resolution;
  const classes = opts.classes ?? defaults.classes;
  checkResolution(space, resolution, defaults.min, defaults.hint);
  if (!Number.isInteger(classes) || classes < 1) throw new UserError(`${space}: classes must be a positive integer, got ${classes}`);
  return { resolution, classes };
}
