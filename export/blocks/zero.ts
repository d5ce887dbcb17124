/**
 * zero: zeros of the output shape. Stride s keeps every s-th row and column (Slice with steps, giving
 * ceil(H/s) like convOut with k=1), then multiplies by 0: the result still depends on the input, so
 * no optimiser folds the graph into a constant-only model with nothing to run.
 */
import type { ZeroSpec } from '../../src/core/ops.js';
import { zerosLike, type BlockEmitter } from './layers.js';

export const emitZero: BlockEmitter<ZeroSpec> = (ctx, spec, x, shape, prefix) => {
  const { g } = ctx;
  let y = x;
  if (spec.stride !== 1) {
    const [, , h, w] = shape;
    y = g.addNode(
      'Slice',
      [x, g.addInt64(`${prefix}.starts`, [0, 0]), g.addInt64(`${prefix}.ends`, [h, w]), g.addInt64(`${prefix}.axes`, [2, 3]), g.addInt64(`${prefix}.steps`, [spec.stride, spec.stride])],
      `${prefix}.slice`,
    );
  }
  return zerosLike(ctx, y, `${prefix}.zero`);
};
