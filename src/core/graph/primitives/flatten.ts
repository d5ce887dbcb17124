/** flatten: N×C×H×W → N×(C·H·W)×1×1 (C-major, as ONNX Flatten axis 1). */
import type { FlattenPrim } from '../types.js';
import type { PrimitiveDef } from './def.js';

export const flatten: PrimitiveDef<FlattenPrim> = {
  arity: [1, 1],
  convLike: false,
  outputs: (_p, [x]) => [[x[0], x[1] * x[2] * x[3], 1, 1]],
  macs: () => 0,
  params: () => [],
};
