/**
 * conv → Conv. Weights `<id>.weight` [cout, cin/groups, kh, kw]; a bias `<id>.bias` when the conv has
 * one or when the BatchNorm after it is folded in (W' = W·s, b' = beta − mean·s: generated weights are
 * drawn as the folded tensors, trained ones arrive folded, see src/train/fold.ts).
 */
import type { ConvPrim } from '../../../src/core/graph/index.js';
import type { PrimEmitter } from './types.js';

export const conv: PrimEmitter<ConvPrim> = (ctx, p, node, [x]) => {
  const { g, weights } = ctx;
  const cin = ctx.inputShapes[0][1];
  const wShape = [p.cout, cin / p.groups, p.kernel[0], p.kernel[1]];
  const fanIn = (cin / p.groups) * p.kernel[0] * p.kernel[1];
  const inputs = [x, g.addInitializer(`${node.id}.weight`, wShape, weights.weight(`${node.id}.weight`, wShape, fanIn, node.init?.gain ?? 1))];
  if (p.bias || ctx.foldsBn) inputs.push(g.addInitializer(`${node.id}.bias`, [p.cout], weights.bias(`${node.id}.bias`, [p.cout])));
  return g.addNode('Conv', inputs, node.id, {
    kernel_shape: [...p.kernel],
    strides: [...p.stride],
    pads: [...p.pads],
    dilations: [...p.dilation],
    group: p.groups,
  });
};
