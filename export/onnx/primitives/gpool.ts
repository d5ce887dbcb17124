/** gpool → GlobalAveragePool / GlobalMaxPool. */
import type { GlobalPoolPrim } from '../../../src/core/graph/index.js';
import type { PrimEmitter } from './types.js';

export const gpool: PrimEmitter<GlobalPoolPrim> = ({ g }, p, node, [x]) => g.addNode(p.mode === 'avg' ? 'GlobalAveragePool' : 'GlobalMaxPool', [x], node.id);
