/** gpool: global average or max pooling to N x C x 1 x 1. */
import type { GlobalPoolSpec } from '../../src/core/ops.js';
import type { BlockEmitter } from './layers.js';

export const emitGPool: BlockEmitter<GlobalPoolSpec> = (ctx, spec, x, _shape, prefix) =>
  ctx.g.addNode(spec.mode === 'avg' ? 'GlobalAveragePool' : 'GlobalMaxPool', [x], `${prefix}.gpool`);
