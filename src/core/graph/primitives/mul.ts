/** mul: element-wise product; the second input may be N×C×1×1 and is broadcast over H×W (SE gating). */
import type { MulPrim } from '../types.js';
import { elements, sameShape, show, type PrimitiveDef } from './def.js';

export const mul: PrimitiveDef<MulPrim> = {
  arity: [2, 2],
  convLike: false,
  outputs(_p, [a, b]) {
    const channelGate = b[0] === a[0] && b[1] === a[1] && b[2] === 1 && b[3] === 1;
    if (!sameShape(a, b) && !channelGate) throw new Error(`second input must be ${show(a)} or ${a[0]}x${a[1]}x1x1, got ${show(b)}`);
    return [a];
  },
  macs: (_p, [a]) => elements(a),
  params: () => [],
};
