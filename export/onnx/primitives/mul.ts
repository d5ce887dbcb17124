/** mul → Mul (ONNX broadcasts an N×C×1×1 gate over H×W). */
import type { MulPrim } from '../../../src/core/graph/index.js';
import type { PrimEmitter } from './types.js';

export const mul: PrimEmitter<MulPrim> = ({ g }, _p, node, xs) => g.addNode('Mul', xs, node.id);
