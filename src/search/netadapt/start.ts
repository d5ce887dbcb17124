/**
 * NetAdapt's start network: an architecture file, a published net, or by default a MobileNetV2-style
 * member of a layer-wise space (k3 e6 in the first 2/3/4/3/3/1 layers of its stages, the rest
 * skipped: MobileNetV2's depth), retargeted to the data (input shape, classes).
 */
import { existsSync } from 'node:fs';
import type { Architecture } from '../../core/arch.js';
import { readArchFile } from '../../spaces/arch-file.js';
import { UserError } from '../../core/errors.js';
import type { SearchSpace } from '../../core/space.js';
import { adaptArchitecture } from '../../train/train-evaluator.js';

/** MobileNetV2's blocks per stage (t, c, n, s table): 1 (the stem's e1 block), then these. */
const MBV2_DEPTHS = [2, 3, 4, 3, 3, 1];

/** A MobileNetV2-style member of a layer-wise space whose stages start with a layer that cannot be skipped. */
export function mobilenetV2Member(space: SearchSpace): Architecture {
  const decisions = space.decisions();
  const hint = `give the start network with --start ARCH.json or a published net (--start MobileNetV2-1.0${space.id === 'fbnet' ? ', --start FBNet-A' : ''})`;
  if (!decisions.every((d) => d.options.includes('k3e6')))
    throw new UserError(`netadapt: space '${space.id}' has no MobileNetV2-style member (a k3e6 choice in every layer)`, { hint });
  let stage = -1;
  let position = 0;
  const encoding = decisions.map((d) => {
    const skippable = d.options.includes('skip');
    if (!skippable) {
      stage++;
      position = 0;
    }
    const keep = position++ < (MBV2_DEPTHS[stage] ?? 1) || !skippable;
    return d.options.indexOf(keep ? 'k3e6' : 'skip');
  });
  return space.build(encoding);
}

/** The start architecture named by `start` (file or published name), or the space's MobileNetV2-style member. */
export async function startArchitecture(start: string | undefined, space: SearchSpace, log?: (message: string) => void): Promise<Architecture> {
  if (start === undefined) return mobilenetV2Member(space);
  if (existsSync(start) || start.endsWith('.json')) return readArchFile(start, { onNote: log && ((m) => log(`note: ${m}`)) });
  const { publishedArchitecture } = await import('../../spaces/catalog.js');
  return publishedArchitecture(start, { resolution: space.resolution });
}

/** The architecture for the data: input shape and classes of the images, no space encoding (it is not a space member once pruned). */
export function forData(arch: Architecture, data: { channels: number; height: number; width: number; classes: number }): Architecture {
  const { space: _space, ...adapted } = adaptArchitecture(arch, data, data.classes);
  return adapted;
}
