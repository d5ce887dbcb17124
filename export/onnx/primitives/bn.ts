/**
 * bn → BatchNormalization, for a BatchNorm not folded into a conv (emit.ts folds the others). Its
 * tensors `<id>.gamma|beta|mean|var` come from the weight source; generated ones are the identity
 * with a small shift.
 */
import type { BatchNormPrim } from '../../../src/core/graph/index.js';
import type { PrimEmitter } from './types.js';

export const bn: PrimEmitter<BatchNormPrim> = (ctx, p, node, [x]) => {
  const { g, weights } = ctx;
  const c = [ctx.inputShapes[0][1]];
  const t = (part: string, data: Float32Array) => g.addInitializer(`${node.id}.${part}`, c, data);
  return g.addNode(
    'BatchNormalization',
    [x, t('gamma', weights.constant(`${node.id}.gamma`, c, 1)), t('beta', weights.bias(`${node.id}.beta`, c)), t('mean', weights.constant(`${node.id}.mean`, c, 0)), t('var', weights.constant(`${node.id}.var`, c, 1))],
    node.id,
    { epsilon: { f: p.eps } },
  );
};
