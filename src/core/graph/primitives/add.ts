/** add: element-wise sum of two or more tensors of one shape. */
import type { AddPrim } from '../types.js';
import { elements, sameShape, show, type PrimitiveDef } from './def.js';

export const add: PrimitiveDef<AddPrim> = {
  arity: [2, Infinity],
  convLike: false,
  outputs(_p, xs) {
    for (const s of xs) if (!sameShape(s, xs[0])) throw new Error(`inputs must have one shape, got ${xs.map(show).join(' and ')}`);
    return [xs[0]];
  },
  macs: (_p, xs) => elements(xs[0]) * (xs.length - 1),
  params: () => [],
};
