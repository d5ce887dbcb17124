/**
 * linear: Flatten -> Gemm (weight [cout, C], PyTorch layout, transB) -> act, reshaped back to
 * N x cout x 1 x 1 so that every op in a chain sees and produces NCHW (outputShape in ops.ts).
 */
import type { LinearSpec } from '../../src/core/ops.js';
import { actGain } from '../weights.js';
import { activation, type BlockEmitter } from './layers.js';

export const emitLinear: BlockEmitter<LinearSpec> = (ctx, spec, x, shape, prefix) => {
  const { g, weights } = ctx;
  const [n, c] = shape;
  const name = `${prefix}.fc`;
  const wShape = [spec.cout, c];
  const w = g.addInitializer(`${name}.weight`, wShape, weights.weight(`${name}.weight`, wShape, c, actGain(spec.act)));
  const b = g.addInitializer(`${name}.bias`, [spec.cout], weights.bias(`${name}.bias`, [spec.cout]));
  const flat = g.addNode('Flatten', [x], `${prefix}.flatten`, { axis: 1 });
  const y = activation(ctx, g.addNode('Gemm', [flat, w, b], name, { transB: 1 }), spec.act, name);
  return g.addNode('Reshape', [y, g.addInt64(`${prefix}.shape`, [n, spec.cout, 1, 1])], `${prefix}.reshape`);
};
