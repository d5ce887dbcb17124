/**
 * Training on every seed block kind (issue 11): each single-input kind of the catalog fixture, plus the forms its
 * one instance does not reach (the other ShuffleNetV2 branch form and SPOS's Xception block, a strided grouped
 * bottleneck with SE, instance norm, the hard-sigmoid SE gate, FBNet's group-2 pointwise mbconv, 5×5 and 7×7 max
 * pools, an unpadded ceil-mode pool), lowered to primitives and run by the training engine: the hand-written
 * backward of every parameter and of the input equals tfjs autodiff of the same forward. The two-input cells
 * (dartscell, nasnetcell) are layers of a DAG network, so they are checked in a small darts network here and a
 * NASNet network in drop-path.test.ts. SqueezeNet's Fire convs carry their own bias (no BatchNorm): a net with
 * Fire blocks trains and its trained ONNX export (the biases exported as the convs') matches it.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { lowerArchitecture } from '../../src/core/lower/index.js';
import { blockInputShapes } from '../../src/core/lower/table.js';
import { instance, SEED_KINDS, type OpInstance } from '../../src/core/ops.js';
import { Rng } from '../../src/core/rng.js';
import { createDartsSpace } from '../../src/spaces/darts.js';
import { chainArch, classifierHead, convSpec } from '../../src/core/arch.js';
import { checkTrainedExport, trainedModel } from '../../src/train/export-trained.js';
import { GraphModule, layerGraph } from '../../src/train/nn/graph-module.js';
import { Network } from '../../src/train/nn/network.js';
import { train } from '../../src/train/trainer.js';
import { CATALOG, SEED_VARIANTS } from '../fixtures/catalog.js';
import { expectAutodiffGradients } from './grad-check.js';

const N = 2;
const x = [1, 8, 9, 9] as const;
const SINGLE_INPUT: OpInstance[] = [
  ...SEED_KINDS.map((k) => CATALOG[k]).filter((inst) => blockInputShapes(inst.spec, inst.input).length === 1),
  ...SEED_VARIANTS,
  instance({ kind: 'shufflev2', cout: 16, k: 3, stride: 2, mid: 6, side: 8, xception: true }, x),
  instance({ kind: 'bottleneck', cout: 16, stride: 2, mid: 8, groups: 4, se: 0.25 }, x),
];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('training on the seed block kinds', () => {
  it('covers every single-input seed kind', () => {
    const two = SEED_KINDS.filter((k) => blockInputShapes(CATALOG[k].spec, CATALOG[k].input).length > 1);
    expect(two.sort()).toEqual(['dartscell', 'nasnetcell']);
    expect(new Set(SINGLE_INPUT.map((c) => c.spec.kind))).toEqual(new Set([...SEED_KINDS.filter((k) => !two.includes(k)), 'mbconv', 'pool']));
  });

  it.each(SINGLE_INPUT.map((c, i) => [`${i}:${c.spec.kind}`, c] as const))('%s: gradients equal tfjs autodiff', (_name, inst) => {
    const [, c, h, w] = inst.input;
    const m = new GraphModule(layerGraph(inst.spec, [N, c, h, w], 'b'), 'b', 3);
    const names = expectAutodiffGradients(m, new Rng(7).fill(N * c * h * w, 1), [N, h, w, c]);
    // Every kind but a pool has weights, and they all took part.
    if (inst.spec.kind !== 'pool' && inst.spec.kind !== 'norm') expect(names.some((n) => n.endsWith('.weight')), names.join(' ')).toBe(true);
  });

  it('a small darts network (normal and reduction dartscells): gradients equal tfjs autodiff', () => {
    const space = createDartsSpace({ resolution: 8, cells: 3, channels: 4, classes: 3 });
    const arch = space.build(space.sample(new Rng(2)));
    const cells = arch.layers.filter((l) => l.spec.kind === 'dartscell').map((l) => (l.spec.kind === 'dartscell' ? l.spec.reduce : undefined));
    expect(new Set(cells)).toEqual(new Set([false, true]));
    const m = new GraphModule(lowerArchitecture(arch), 'darts', 1);
    expect(expectAutodiffGradients(m, new Rng(4).fill(N * 8 * 8 * 3, 1), [N, 8, 8, 3]).length).toBeGreaterThan(20);
  }, 120_000);

  it('a net of Fire blocks (convs with their own bias) trains, and its trained ONNX export matches (≤ 1e-4)', async () => {
    const arch = chainArch('fires', [1, 3, 12, 12], {
      stem: [convSpec(8, 3, 2, 'relu')],
      blocks: [{ kind: 'fire', squeeze: 4, e1: 8, e3: 8 }, { kind: 'fire', squeeze: 4, e1: 6, e3: 6 }],
      head: classifierHead(10),
    });
    const count = 16;
    const rng = new Rng(11);
    const data = { count, height: 12, width: 12, channels: 3, classes: 10, x: rng.fill(count * 12 * 12 * 3, 1), labels: Uint8Array.from({ length: count }, (_, i) => i % 10) };
    const net = new Network(arch, { seed: 3 });
    try {
      expect(net.params().map((p) => p.name)).toEqual(expect.arrayContaining(['layer1.squeeze.weight', 'layer1.squeeze.bias', 'layer2.e3.bias']));
      const r = await train(net, data, { steps: 3, batchSize: 8, seed: 1 });
      expect(Number.isFinite(r.loss)).toBe(true);
      // Training moved the biases off their zero start, so the export's biases are the trained ones.
      expect(Math.max(...Array.from(net.params().find((p) => p.name === 'layer1.squeeze.bias')!.value.dataSync()).map(Math.abs))).toBeGreaterThan(0);
      const check = await checkTrainedExport(net, trainedModel(net).onnx, data);
      expect(check.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    } finally {
      net.dispose();
    }
  }, 120_000);
});
