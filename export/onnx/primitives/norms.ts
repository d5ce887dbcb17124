/**
 * layernorm → LayerNormalization over C, H, W (unit scale) then the per-channel scale and shift
 * `<id>.gamma|beta` (stored [C, 1, 1] to broadcast); instancenorm → InstanceNormalization.
 * Generated: gamma 1, beta 0.
 */
import type { InstanceNormPrim, LayerNormPrim } from '../../../src/core/graph/index.js';
import type { PrimEmitter } from './types.js';

export const layernorm: PrimEmitter<LayerNormPrim> = (ctx, p, node, [x]) => {
  const { g, weights } = ctx;
  const [, c, h, w] = ctx.inputShapes[0];
  const ones = g.addInitializer(`${node.id}.unit`, [c, h, w], new Float32Array(c * h * w).fill(1));
  const normed = g.addNode('LayerNormalization', [x, ones], `${node.id}.norm`, { axis: 1, epsilon: { f: p.eps } });
  const gamma = g.addInitializer(`${node.id}.gamma`, [c, 1, 1], weights.constant(`${node.id}.gamma`, [c], 1));
  const beta = g.addInitializer(`${node.id}.beta`, [c, 1, 1], weights.constant(`${node.id}.beta`, [c], 0));
  return g.addNode('Add', [g.addNode('Mul', [normed, gamma], `${node.id}.scale`), beta], node.id);
};

export const instancenorm: PrimEmitter<InstanceNormPrim> = (ctx, p, node, [x]) => {
  const { g, weights } = ctx;
  const c = [ctx.inputShapes[0][1]];
  const gamma = g.addInitializer(`${node.id}.gamma`, c, weights.constant(`${node.id}.gamma`, c, 1));
  const beta = g.addInitializer(`${node.id}.beta`, c, weights.constant(`${node.id}.beta`, c, 0));
  return g.addNode('InstanceNormalization', [x, gamma, beta], node.id, { epsilon: { f: p.eps } });
};
