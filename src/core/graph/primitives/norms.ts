/** layernorm (over C, H, W of a sample) and instancenorm (over H, W of a sample and channel), each with a per-channel scale and shift. */
import type { InstanceNormPrim, LayerNormPrim } from '../types.js';
import { affineParams, elements, type PrimitiveDef } from './def.js';

/** What the two norms share (they differ only in the axes they normalise over): shape kept, 2 ops per element, a per-channel scale and shift. */
const norm = <P extends LayerNormPrim | InstanceNormPrim>(): PrimitiveDef<P> => ({
  arity: [1, 1],
  convLike: false,
  outputs: (_p, [x]) => [x],
  macs: (_p, [x]) => 2 * elements(x),
  params: (_p, [x], id) => affineParams(id, x[1], false),
});

export const layernorm = norm<LayerNormPrim>();
export const instancenorm = norm<InstanceNormPrim>();
