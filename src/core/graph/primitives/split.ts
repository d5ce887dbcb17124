/** split: channel split into parts of the given sizes; output k is referenced as `<id>:<k>`. */
import type { SplitPrim } from '../types.js';
import { positiveInt, type PrimitiveDef } from './def.js';

export const split: PrimitiveDef<SplitPrim> = {
  arity: [1, 1],
  convLike: false,
  outputs(p, [x]) {
    const [n, c, h, w] = x;
    if (p.sizes.length < 1) throw new Error('split needs at least one part');
    p.sizes.forEach((s) => positiveInt('split size', s));
    const total = p.sizes.reduce((a, b) => a + b, 0);
    if (total !== c) throw new Error(`split sizes ${p.sizes.join('+')} = ${total} must add up to the ${c} input channels`);
    return p.sizes.map((s) => [n, s, h, w] as const);
  },
  macs: () => 0,
  params: () => [],
};
