/** linear → Flatten, Gemm with weight `<id>.weight` [cout, C] (transB) and bias `<id>.bias`, Reshape to N×cout×1×1. */
import type { LinearPrim } from '../../../src/core/graph/index.js';
import type { PrimEmitter } from './types.js';

export const linear: PrimEmitter<LinearPrim> = (ctx, p, node, [x]) => {
  const { g, weights } = ctx;
  const c = ctx.inputShapes[0][1];
  const wShape = [p.cout, c];
  const inputs = [g.addNode('Flatten', [x], `${node.id}.flatten`, { axis: 1 }), g.addInitializer(`${node.id}.weight`, wShape, weights.weight(`${node.id}.weight`, wShape, c, node.init?.gain ?? 1))];
  if (p.bias) inputs.push(g.addInitializer(`${node.id}.bias`, [p.cout], weights.bias(`${node.id}.bias`, [p.cout])));
  const y = g.addNode('Gemm', inputs, `${node.id}.gemm`, { transB: 1 });
  return g.addNode('Reshape', [y, g.addInt64(`${node.id}.shape`, [...ctx.outputShapes[0]])], node.id);
};
