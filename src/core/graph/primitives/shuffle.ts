/** shuffle: ShuffleNet channel shuffle with `groups` groups (C must be a multiple of it). */
import type { ShufflePrim } from '../types.js';
import { positiveInt, type PrimitiveDef } from './def.js';

export const shuffle: PrimitiveDef<ShufflePrim> = {
  arity: [1, 1],
  convLike: false,
  outputs(p, [x]) {
    positiveInt('groups', p.groups);
    if (x[1] % p.groups !== 0) throw new Error(`groups ${p.groups} must divide the ${x[1]} channels`);
    return [x];
  },
  macs: () => 0,
  params: () => [],
};
