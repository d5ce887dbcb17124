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
import { GraphModule } from '../../src/train/nn/graph-module.js';
import { Network } from '../../src/train/nn/network.js';
import { checkTrainedExport, trainedModel } from '../../src/train/export-trained.js';
import { train } from '../../src/train/trainer.js';
import { INCEPTION_DAG } from '../core/dag-fixtures.js';
import { expectAutodiffGradients, expectNetworkGradients } from './grad-check.js';

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

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('training on primitives', () => {
  it('gives tfjs autodiff gradients for reluconv, an nb201 cell, a resblock and a sum', () => {
    const net = new Network(ARCH, { seed: 4 });
    expect(expectNetworkGradients(net, images, labels, [N, 8, 8, 2], 3)).toContain('layer2.edge1_0.conv.weight');
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
    const data = new Rng(2).fill(N * 4 * 4 * 6, 2);
    expect(expectAutodiffGradients(m, data, [N, 4, 4, 6])).toEqual(['g.conv.weight', 'g.conv.bn.gamma', 'g.conv.bn.beta', 'g.gate.weight', 'g.gate.bias', 'g.fc.weight', 'g.fc.bias']);
  });

  it('refuses what it has no backward for, naming the primitive', () => {
    const b2 = new GraphBuilder();
    const biased = b2.conv(b2.input('x', [1, 4, 4, 4]), 'g.conv', 4, { k: 3, bias: true });
    const bn = b2.bn(biased, 'g.conv.bn');
    expect(() => new GraphModule(b2.build([bn]), 'g', 0)).toThrow(/g: training supports a conv with its own bias only without a BatchNorm after it \(primitive conv 'g.conv'\)/);
    const b3 = new GraphBuilder();
    const flat = b3.node('g.flatten', { op: 'flatten' }, [b3.input('x', [1, 4, 1, 1])]);
    expect(() => new GraphModule(b3.build([b3.node('g.fc', { op: 'linear', cout: 3, bias: false }, [flat])]), 'g', 0)).toThrow(/g: training supports linear layers with a bias \(primitive linear 'g.fc'\)/);
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
