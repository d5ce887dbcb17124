/** concat → Concat on axis 1 (channels). */
import type { ConcatPrim } from '../../../src/core/graph/index.js';
import type { PrimEmitter } from './types.js';

export const concat: PrimEmitter<ConcatPrim> = ({ g }, _p, node, xs) => g.addNode('Concat', xs, node.id, { axis: 1 });
