/** slice: a crop of H and W (end exclusive), every channel kept; no arithmetic, so no MACs. */
import type { SlicePrim } from '../types.js';
import { nonNegativeInt, type PrimitiveDef } from './def.js';

export const slice: PrimitiveDef<SlicePrim> = {
  arity: [1, 1],
  convLike: false,
  outputs(p, [x]) {
    const [n, c, h, w] = x;
    [h, w].forEach((size, axis) => {
      const what = axis === 0 ? 'rows' : 'columns';
      nonNegativeInt(`${what} begin`, p.begin[axis]);
      nonNegativeInt(`${what} end`, p.end[axis]);
      if (!(p.begin[axis] < p.end[axis] && p.end[axis] <= size))
        throw new Error(`${what} ${p.begin[axis]}..${p.end[axis]} must be a non-empty range within the ${size} ${what} (end exclusive)`);
    });
    return [[n, c, p.end[0] - p.begin[0], p.end[1] - p.begin[1]]];
  },
  macs: () => 0,
  params: () => [],
};
