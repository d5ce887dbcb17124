/**
 * pool: k×k average or max pooling with same padding. Average pooling leaves padding out of the
 * mean (count_include_pad=0), as NAS-Bench-201's avg_pool_3x3 does, so the LUT's pool entry is
 * exactly the op a cell runs.
 */
import type { PoolSpec } from '../../src/core/ops.js';
import type { BlockEmitter } from './layers.js';

export const emitPool: BlockEmitter<PoolSpec> = (ctx, spec, x, _shape, prefix) => {
  const pad = Math.floor((spec.k - 1) / 2);
  const attrs = { kernel_shape: [spec.k, spec.k], strides: [spec.stride, spec.stride], pads: [pad, pad, pad, pad] };
  return spec.mode === 'avg'
    ? ctx.g.addNode('AveragePool', [x], `${prefix}.avgpool`, { ...attrs, count_include_pad: 0 })
    : ctx.g.addNode('MaxPool', [x], `${prefix}.maxpool`, attrs);
};
