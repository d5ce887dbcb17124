/** pool: k×k max or average pooling with explicit pads, ceil mode and count_include_pad. */
import type { PoolPrim } from '../types.js';
import { nonNegativeInt, positiveInt, windowOut, type PrimitiveDef } from './def.js';

export const pool: PrimitiveDef<PoolPrim> = {
  arity: [1, 1],
  convLike: false,
  outputs(p, [x]) {
    const [n, c, h, w] = x;
    p.kernel.forEach((k) => positiveInt('kernel', k));
    p.stride.forEach((s) => positiveInt('stride', s));
    p.pads.forEach((v) => nonNegativeInt('pad', v));
    if (p.pads[0] >= p.kernel[0] || p.pads[2] >= p.kernel[0] || p.pads[1] >= p.kernel[1] || p.pads[3] >= p.kernel[1])
      throw new Error(`pads ${p.pads.join(',')} must be smaller than the kernel ${p.kernel.join('x')}`);
    return [[n, c, windowOut(h, p.kernel[0], p.stride[0], p.pads[0], p.pads[2], 1, p.ceil), windowOut(w, p.kernel[1], p.stride[1], p.pads[1], p.pads[3], 1, p.ceil)]];
  },
  macs: (p, _x, [y]) => y[0] * y[1] * y[2] * y[3] * p.kernel[0] * p.kernel[1],
  params: () => [],
};
