/** pool → MaxPool / AveragePool with explicit pads, ceil_mode and (average) count_include_pad. */
import type { PoolPrim } from '../../../src/core/graph/index.js';
import type { PrimEmitter } from './types.js';

export const pool: PrimEmitter<PoolPrim> = ({ g }, p, node, [x]) => {
  const attrs = { kernel_shape: [...p.kernel], strides: [...p.stride], pads: [...p.pads], ...(p.ceil ? { ceil_mode: 1 } : {}) };
  return p.mode === 'avg'
    ? g.addNode('AveragePool', [x], node.id, { ...attrs, count_include_pad: p.countIncludePad ? 1 : 0 })
    : g.addNode('MaxPool', [x], node.id, attrs);
};
