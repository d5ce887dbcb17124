/**
 * GeneralConv (src/train/nn/general-conv.ts): dilated, non-square, explicitly padded and grouped convs.
 * Each case is a conv → BatchNorm → ReLU graph trained through GraphModule; its forward equals tfjs's own
 * conv with the same attributes (native dilation, explicit pads, a block-diagonal weight for the groups),
 * and its hand-written backward equals tfjs autodiff (< 2e-3 relative error). The module's forward uses
 * only dilation-1 ops (a zero-inserted kernel), so autodiff runs through it where tfjs's dilated-conv
 * gradient does not exist.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, type ConvOptions } from '../../src/core/graph/index.js';
import { Rng } from '../../src/core/rng.js';
import { GeneralConv, dilateKernel, undilateGrad } from '../../src/train/nn/general-conv.js';
import { GraphModule } from '../../src/train/nn/graph-module.js';
import type { Sequence } from '../../src/train/nn/module.js';
import { expectAutodiffGradients, relErr } from './grad-check.js';

const N = 2;


/** w [kh, kw, cin/g, cout] as the block-diagonal [kh, kw, cin, cout] of an ungrouped conv. */
function blockDiagonal(w: tf.Tensor4D, groups: number): tf.Tensor4D {
  const [kh, kw, ci, cout] = w.shape;
  const co = cout / groups;
  const blocks = Array.from({ length: groups }, (_, i) => tf.pad(tf.slice(w, [0, 0, 0, i * co], [-1, -1, -1, co]), [[0, 0], [0, 0], [i * ci, (groups - 1 - i) * ci], [0, 0]]));
  return tf.concat(blocks, 3) as tf.Tensor4D;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const CASES: { name: string; cin: number; cout: number; hw: [number, number]; o: ConvOptions }[] = [
  { name: 'depthwise 3x3 dilation 2 (DARTS dil_conv_3x3)', cin: 4, cout: 4, hw: [7, 7], o: { k: 3, dilation: 2, groups: 4 } },
  { name: 'depthwise 5x5 dilation 2 stride 2 (dil_conv_5x5 in a reduction cell)', cin: 3, cout: 3, hw: [9, 8], o: { k: 5, dilation: 2, stride: 2, groups: 3 } },
  { name: 'plain 3x3 dilation 2x1 stride 2', cin: 3, cout: 5, hw: [8, 7], o: { k: 3, dilation: [2, 1], stride: 2 } },
  { name: '1x3 (factorized)', cin: 3, cout: 4, hw: [6, 6], o: { k: [1, 3] } },
  { name: '3x1 stride 2x1', cin: 3, cout: 4, hw: [7, 6], o: { k: [3, 1], stride: [2, 1] } },
  { name: '2x2 stride 2 asymmetric pads', cin: 3, cout: 4, hw: [7, 7], o: { k: 2, stride: 2, pads: [0, 1, 1, 0] } },
  { name: 'group-2 pointwise (FBNet)', cin: 4, cout: 6, hw: [5, 5], o: { k: 1, groups: 2 } },
  { name: 'grouped 3x3 stride 2 (RegNet / ResNeXt group width 2)', cin: 6, cout: 6, hw: [8, 8], o: { k: 3, stride: 2, groups: 3 } },
  { name: 'depthwise with channel multiplier 2', cin: 3, cout: 6, hw: [5, 5], o: { k: 3, groups: 3 } },
];

describe('GeneralConv', () => {
  for (const c of CASES)
    it(`${c.name}: forward equals tfjs's conv, backward equals tfjs autodiff`, () => {
      const b = new GraphBuilder();
      const x = b.input('x', [N, c.cin, ...c.hw]);
      const y = b.act(b.bn(b.conv(x, 'g.conv', c.cout, c.o), 'g.conv.bn'), 'relu', 'g.relu');
      const graph = b.build([y]);
      const node = graph.nodes[0];
      if (node.prim.op !== 'conv') throw new Error('expected a conv');
      const p = node.prim;
      const m = new GraphModule(graph, 'g', 3);
      const conv = (m.modules()[0] as Sequence).modules[0];
      expect(conv).toBeInstanceOf(GeneralConv);
      const data = new Rng(7).fill(N * c.hw[0] * c.hw[1] * c.cin, 1);
      const input = () => tf.tensor4d(data, [N, c.hw[0], c.hw[1], c.cin]);

      // Forward: tfjs's conv with native dilation, explicit pads and the block-diagonal weight.
      const got = tf.tidy(() => (conv as GeneralConv).forward(input()).dataSync() as Float32Array);
      const want = tf.tidy(() => {
        const [t, l, bt, r] = p.pads;
        const w = blockDiagonal((conv as GeneralConv).weight.value as tf.Tensor4D, p.groups);
        // tfjs has no dilated conv with a stride: the stride-1 result subsampled.
        const full = tf.conv2d(input(), w, 1, [[0, 0], [t, bt], [l, r], [0, 0]], 'NHWC', [...p.dilation] as [number, number]);
        return tf.stridedSlice(full, [0, 0, 0, 0], full.shape, [1, p.stride[0], p.stride[1], 1]).dataSync() as Float32Array;
      });
      expect(got.length).toBe(want.length);
      expect(relErr(want, got, Math.max(...want.map(Math.abs)))).toBeLessThan(1e-4);

      // Backward of the whole conv → BN → ReLU unit against autodiff.
      expect(expectAutodiffGradients(m, data, [N, c.hw[0], c.hw[1], c.cin])).toEqual(['g.conv.weight', 'g.conv.bn.gamma', 'g.conv.bn.beta']);
    });

  it('gathers the dilated kernel gradient back to the k x k taps (the adjoint of zero insertion)', () => {
    const w = tf.tensor4d(new Rng(1).fill(3 * 2 * 2 * 2, 1), [3, 2, 2, 2]);
    const d = dilateKernel(w, [2, 3]);
    expect(d.shape).toEqual([5, 4, 2, 2]);
    // <dilate(w), g> = <w, undilate(g)> for any g: the gather is the transpose of the insertion.
    const g = tf.tensor4d(new Rng(2).fill(5 * 4 * 2 * 2, 1), [5, 4, 2, 2]);
    const lhs = tf.sum(tf.mul(d, g)).dataSync()[0];
    const rhs = tf.sum(tf.mul(w, undilateGrad(g, [3, 2], [2, 3]))).dataSync()[0];
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-5);
    expect(tf.sum(tf.abs(d)).dataSync()[0]).toBeCloseTo(tf.sum(tf.abs(w)).dataSync()[0], 4);
  });
});
