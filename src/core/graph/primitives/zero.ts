/** zero: zeros of the input subsampled by `stride` (ceil(H/s) × ceil(W/s)), DARTS' / NAS-Bench-201's "none". */
import type { ZeroPrim } from '../types.js';
import { positiveInt, type PrimitiveDef } from './def.js';

export const zero: PrimitiveDef<ZeroPrim> = {
  arity: [1, 1],
  convLike: false,
  outputs(p, [x]) {
    positiveInt('stride', p.stride);
    return [[x[0], x[1], Math.ceil(x[2] / p.stride), Math.ceil(x[3] / p.stride)]];
  },
  macs: () => 0,
  params: () => [],
};
