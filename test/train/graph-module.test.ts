/**
 * Training on primitives (src/train/nn/graph-module.ts): every layer is its block lowered to primitives,
 * each primitive a module with an explicit backward. The gradients equal tfjs autodiff for the kinds
 * training could not run before (reluconv, nb201 cells with zero and pool edges, sum) and for a hand-built
 * graph of the primitives no block of the chain used (split, concat, shuffle, broadcast mul, flatten,
 * sigmoid, hard sigmoid); what has no backward is refused naming the primitive.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { chainArch, classifierHead, convSpec, type Architecture } from '../../src/core/arch.js';
import { GraphBuilder, type Graph } from '../../src/core/graph/index.js';
import { Rng } from '../../src/core/rng.js';
import { softmaxCrossEntropy } from '../../src/train/loss.js';
import { GraphModule } from '../../src/train/nn/graph-module.js';
import { SavedTensors, type Param } from '../../src/train/nn/module.js';
import { Network } from '../../src/train/nn/network.js';
import { checkTrainedExport, trainedModel } from '../../src/train/export-trained.js';
import { train } from '../../src/train/trainer.js';
import { INCEPTION_DAG } from '../core/dag-fixtures.js';

const CELL = '|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|';
const ARCH = chainArch('new-kinds', [1, 2, 8, 8], {
  stem: [convSpec(6, 3, 1, 'none')],
  blocks: [
    { kind: 'reluconv', cout: 6, k: 3, stride: 1 },
    { kind: 'nb201cell', cell: CELL },
    { kind: 'resblock', cout: 8, stride: 1 },
    { kind: 'sum', arity: 2 },
  ],
  head: classifierHead(3),
});
const N = 4;
const images = new Rng(9).fill(N * 8 * 8 * 2, 2);
const labels = [0, 1, 2, 1];

function relErr(want: Float32Array, got: Float32Array, scale: number): number {
  return Math.max(...want.map((w: number, i: number) => Math.abs(w - got[i]) / (Math.abs(w) + 1e-3 * scale)));
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('training on primitives', () => {
  it('gives tfjs autodiff gradients for reluconv, an nb201 cell, a resblock and a sum', () => {
    const net = new Network(ARCH, { seed: 4 });
    const trainable = net.params().filter((p) => p.trainable);
    expect(trainable.map((p) => p.name)).toContain('layer2.edge1_0.conv.weight');
    const expected = new Map<string, Float32Array>();
    tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 3), net.forward(tf.tensor4d(images, [N, 8, 8, 2]), true)) as tf.Scalar,
        trainable.map((p) => p.variable),
      );
      for (const p of trainable) expected.set(p.name, grads[p.variable.name].dataSync() as Float32Array);
    });
    net.cancelStep();
    tf.tidy(() => {
      const logits = net.forward(tf.tensor4d(images, [N, 8, 8, 2]), true);
      net.backward(tf.tensor2d(softmaxCrossEntropy(logits.dataSync() as Float32Array, labels, 3).grad, [N, 3]));
    });
    const scale = Math.max(...[...expected.values()].map((g) => Math.max(...g.map(Math.abs))));
    for (const p of trainable) expect(relErr(expected.get(p.name)!, p.grad!.dataSync() as Float32Array, scale), p.name).toBeLessThan(2e-3);
    net.dispose();
  });

  it('gives tfjs autodiff gradients through split, shuffle, concat, broadcast mul, flatten, sigmoid and hard sigmoid', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [N, 6, 4, 4]);
    const c = b.act(b.bn(b.conv(x, 'g.conv', 8, { k: 3 }), 'g.conv.bn'), 'relu6', 'g.conv.relu6');
    const [l, r] = b.split(c, [3, 5], 'g.split');
    const gate = b.act(b.conv(b.node('g.pool', { op: 'gpool', mode: 'avg' }, [r]), 'g.gate', 5, { k: 1, bias: true }), 'hsigmoid', 'g.hsig');
    const cat = b.concat([b.act(l, 'sigmoid', 'g.sig'), b.mul(r, gate, 'g.mul')], 'g.cat');
    const shuffled = b.node('g.shuffle', { op: 'shuffle', groups: 2 }, [cat]);
    const flat = b.node('g.flatten', { op: 'flatten' }, [shuffled]);
    const graph: Graph = b.build([b.node('g.fc', { op: 'linear', cout: 3, bias: true }, [flat])]);
    const m = new GraphModule(graph, 'g', 1);
    // A training forward keeps (and the step then disposes) its input: each pass gets its own copy.
    const data = new Rng(2).fill(N * 4 * 4 * 6, 2);
    const input = () => tf.tensor4d(data, [N, 4, 4, 6]);
    const r3 = tf.tensor4d(new Rng(5).fill(N * 3, 1), [N, 1, 1, 3]);
    const params: Param[] = m.params().filter((p) => p.trainable);
    const saved = new SavedTensors();
    const expected = new Map<string, Float32Array>();
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(m.forward(input(), saved), r3)) as tf.Scalar, params.map((p) => p.variable));
      for (const p of params) expected.set(p.name, grads[p.variable.name].dataSync() as Float32Array);
    });
    const wantDx = tf.tidy(() => tf.grad((z: tf.Tensor) => tf.sum(tf.mul(m.forward(tf.clone(z) as tf.Tensor4D, saved), r3)))(input()).dataSync() as Float32Array);
    saved.release();
    const dx = tf.tidy(() => {
      m.forward(input(), saved);
      return m.backward(r3, true)!.dataSync() as Float32Array;
    });
    saved.release();
    const scale = Math.max(...[...expected.values()].map((g) => Math.max(...g.map(Math.abs))));
    expect(params.map((p) => p.name)).toEqual(['g.conv.weight', 'g.conv.bn.gamma', 'g.conv.bn.beta', 'g.gate.weight', 'g.gate.bias', 'g.fc.weight', 'g.fc.bias']);
    for (const p of params) expect(relErr(expected.get(p.name)!, p.grad!.dataSync() as Float32Array, scale), p.name).toBeLessThan(2e-3);
    expect(relErr(wantDx, dx, Math.max(...wantDx.map(Math.abs)))).toBeLessThan(2e-3);
  });

  it('refuses what it has no backward for, naming the primitive', () => {
    const b2 = new GraphBuilder();
    const biased = b2.conv(b2.input('x', [1, 4, 4, 4]), 'g.conv', 4, { k: 3, bias: true });
    expect(() => new GraphModule(b2.build([biased]), 'g', 0)).toThrow(/g: training supports a conv with its own bias only as a 1x1 conv on a 1x1 tensor .*\(primitive conv 'g.conv'\)/);
  });
});

describe('training a DAG architecture', () => {
  it('trains the whole lowered graph (three branches joined by concat, a two-input sum) and its trained ONNX export matches (≤ 1e-4)', async () => {
    const arch: Architecture = { ...INCEPTION_DAG, input: [1, 3, 12, 12] };
    const count = 16;
    const rng = new Rng(11);
    const data = { count, height: 12, width: 12, channels: 3, classes: 10, x: rng.fill(count * 12 * 12 * 3, 1), labels: Uint8Array.from({ length: count }, (_, i) => i % 10) };
    const net = new Network(arch, { seed: 3 });
    expect(net.params().map((p) => p.name)).toEqual(expect.arrayContaining(['branch1x1.conv.weight', 'branch3x3.expand.bn.gamma', 'layer9.fc.weight']));
    const r = await train(net, data, { steps: 3, batchSize: 8, seed: 1 });
    expect(r.steps).toBe(3);
    expect(Number.isFinite(r.loss)).toBe(true);
    const check = await checkTrainedExport(net, trainedModel(net).onnx, data);
    expect(check.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    net.dispose();
  });
});
