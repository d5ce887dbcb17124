/**
 * zero → [Slice with steps when strided, giving ceil(H/s)] then Mul by 0: the result still depends on
 * the input, so no optimiser folds the graph into a constant-only model with nothing to run.
 */
import type { ZeroPrim } from '../../../src/core/graph/index.js';
import type { PrimEmitter } from './types.js';

export const zero: PrimEmitter<ZeroPrim> = (ctx, p, node, [x]) => {
  const { g } = ctx;
  let y = x;
  if (p.stride !== 1) {
    const [, , h, w] = ctx.inputShapes[0];
    const i64 = (part: string, v: number[]) => g.addInt64(`${node.id}.${part}`, v);
    y = g.addNode('Slice', [x, i64('starts', [0, 0]), i64('ends', [h, w]), i64('axes', [2, 3]), i64('steps', [p.stride, p.stride])], `${node.id}.slice`);
  }
  return g.addNode('Mul', [y, g.scalar(0)], node.id);
};
