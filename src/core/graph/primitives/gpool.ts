/** gpool: global average or max pooling to N×C×1×1. */
import type { GlobalPoolPrim } from '../types.js';
import { elements, type PrimitiveDef } from './def.js';

export const gpool: PrimitiveDef<GlobalPoolPrim> = {
  arity: [1, 1],
  convLike: false,
  outputs: (_p, [x]) => [[x[0], x[1], 1, 1]],
  macs: (_p, [x]) => elements(x),
  params: () => [],
};
