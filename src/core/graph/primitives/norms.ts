/** layernorm (over C, H, W of a sample) and instancenorm (over H, W of a sample and channel), each with a per-channel scale and shift. */
import type { InstanceNormPrim, LayerNormPrim } from '../types.js';
import { affineParams, elements, type PrimitiveDef } from './def.js';

export const layernorm: PrimitiveDef<LayerNormPrim> = {
  arity: [1, 1],
  convLike: false,
  outputs: (_p, [x]) => [x],
  macs: (_p, [x]) => 2 * elements(x),
  params: (_p, [x], id) => affineParams(id, x[1], false),
};

export const instancenorm: PrimitiveDef<InstanceNormPrim> = {
  arity: [1, 1],
  convLike: false,
  outputs: (_p, [x]) => [x],
  macs: (_p, [x]) => 2 * elements(x),
  params: (_p, [x], id) => affineParams(id, x[1], false),
};
