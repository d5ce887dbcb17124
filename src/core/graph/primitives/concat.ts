/** concat: channel concatenation of tensors with equal N, H, W. */
import type { ConcatPrim } from '../types.js';
import { show, type PrimitiveDef } from './def.js';

export const concat: PrimitiveDef<ConcatPrim> = {
  arity: [1, Infinity],
  convLike: false,
  outputs(_p, xs) {
    const [n, , h, w] = xs[0];
    for (const s of xs) if (s[0] !== n || s[2] !== h || s[3] !== w) throw new Error(`inputs must agree in N, H, W, got ${xs.map(show).join(' and ')}`);
    return [[n, xs.reduce((sum, s) => sum + s[1], 0), h, w]];
  },
  macs: () => 0,
  params: () => [],
};
