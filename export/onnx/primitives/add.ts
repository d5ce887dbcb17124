/** add → Add for two inputs, Sum for more. */
import type { AddPrim } from '../../../src/core/graph/index.js';
import type { PrimEmitter } from './types.js';

export const add: PrimEmitter<AddPrim> = ({ g }, _p, node, xs) => g.addNode(xs.length === 2 ? 'Add' : 'Sum', xs, node.id);
