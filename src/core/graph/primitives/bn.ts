/** bn: inference BatchNorm, per-channel gamma, beta, running mean and variance. */
import type { BatchNormPrim } from '../types.js';
import { affineParams, elements, type PrimitiveDef } from './def.js';

export const bn: PrimitiveDef<BatchNormPrim> = {
  arity: [1, 1],
  convLike: false,
  outputs: (_p, [x]) => [x],
  // Folded into the conv in front of it at inference; counted as one multiply-add per element otherwise.
  macs: (_p, [x]) => elements(x),
  params: (_p, [x], id) => affineParams(id, x[1], true),
};
