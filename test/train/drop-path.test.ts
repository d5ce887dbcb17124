/**
 * ScheduledDropPath (src/train/nn/drop-path.ts): the masks' keep rate and scaling, the linear schedule, which
 * tensors of a cell the lowering marks as paths (identities and NASNet's FactorizedReduce of a concatenated
 * input are not), per-sample dropping in a training forward and none in evaluation, backward against tfjs
 * autodiff with the same masks, and a training's default (on for nasnet and darts cells, off elsewhere).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { chainArch, classifierHead, convSpec, type Architecture } from '../../src/core/arch.js';
import { GraphBuilder } from '../../src/core/graph/index.js';
import { lowerArchitecture } from '../../src/core/lower/index.js';
import { Rng } from '../../src/core/rng.js';
import { createDartsSpace } from '../../src/spaces/darts.js';
import { createNasnetSpace } from '../../src/spaces/nasnet.js';
import { DEFAULT_DROP_PATH, DropPath, dropPathRate, dropPathSeed, scheduledDropPath } from '../../src/train/nn/drop-path.js';
import { GraphModule } from '../../src/train/nn/graph-module.js';
import { SavedTensors } from '../../src/train/nn/module.js';
import { Network } from '../../src/train/nn/network.js';
import { train } from '../../src/train/trainer.js';
import { expectAutodiffGradients } from './grad-check.js';
import { NASNET_CONCAT_NORMAL, NASNET_CONCAT_REDUCE } from '../fixtures/catalog.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// NASNet-A's normal cell: four identity edges (not paths) among its ten.
const NASNET_A_NORMAL = '|sep_conv_5x5~1|sep_conv_3x3~0|+|sep_conv_5x5~0|sep_conv_3x3~0|+|avg_pool_3x3~1|identity~0|+|avg_pool_3x3~0|avg_pool_3x3~0|+|sep_conv_3x3~1|identity~1|';
const REDUCE = '|sep_conv_5x5~1|sep_conv_7x7~0|+|max_pool_3x3~1|sep_conv_7x7~0|+|avg_pool_3x3~1|sep_conv_5x5~0|+|identity~3|avg_pool_3x3~2|+|sep_conv_3x3~2|max_pool_3x3~1|';
const tinyNasnet = (resolution = 8) => createNasnetSpace({ resolution, normalCells: 1, filters: 4, classes: 3 });

describe('drop-path masks and schedule', () => {
  it('keeps each sample with probability 1 - p and scales kept ones by 1/(1 - p)', () => {
    for (const p of [0.2, 0.5]) {
      const n = 40_000;
      const m = new DropPath(p, 7).mask(n);
      const v = Array.from(m.dataSync());
      expect(m.shape).toEqual([n, 1, 1, 1]);
      m.dispose();
      const kept = v.filter((x) => x !== 0);
      expect(new Set(kept)).toEqual(new Set([Math.fround(1 / (1 - p))]));
      // Binomial: 4 standard deviations of the kept fraction (0.01 at n = 40,000).
      const sd = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(kept.length / n - (1 - p))).toBeLessThan(4 * sd);
      // Expected value unchanged: the mean mask is 1.
      expect(Math.abs(v.reduce((a, b) => a + b, 0) / n - 1)).toBeLessThan((4 * sd) / (1 - p));
    }
  });

  it('draws the same masks for the same seed and others for another step', () => {
    const draw = (seed: number) => Array.from(new DropPath(0.5, seed).mask(64).dataSync());
    expect(draw(dropPathSeed(3, 10))).toEqual(draw(dropPathSeed(3, 10)));
    expect(draw(dropPathSeed(3, 10))).not.toEqual(draw(dropPathSeed(3, 11)));
    expect(Array.from(new DropPath(0, 1).mask(5).dataSync())).toEqual([1, 1, 1, 1, 1]);
  });

  it('rises linearly from 0 at the first step to p (T - 1)/T at the last', () => {
    expect([0, 25, 50, 99].map((t) => scheduledDropPath(0.2, t, 100))).toEqual([0, 0.05, 0.1, (0.2 * 99) / 100]);
    expect(scheduledDropPath(0.3, 0, 0)).toBe(0);
  });

  it('is on by default for nasnet and darts cell networks only, and refuses a probability outside [0, 1)', () => {
    const nasnet = tinyNasnet().build(tinyNasnet().sample(new Rng(1)));
    const darts = createDartsSpace({ resolution: 8 }).build(createDartsSpace({ resolution: 8 }).sample(new Rng(1)));
    const plain = chainArch('plain', [1, 1, 8, 8], { stem: [convSpec(4, 3, 1, 'relu')], blocks: [], head: classifierHead(3) });
    expect([dropPathRate(nasnet), dropPathRate(darts), dropPathRate(plain)]).toEqual([DEFAULT_DROP_PATH, DEFAULT_DROP_PATH, 0]);
    expect([dropPathRate(nasnet, 0), dropPathRate(darts, 0.3), dropPathRate(plain, 0)]).toEqual([0, 0.3, 0]);
    expect(() => dropPathRate(plain, 0.2)).toThrow(/drop-path drops the paths of NASNet and DARTS cells; 'plain' has none/);
    for (const bad of [1, -0.1, Number.NaN]) expect(() => dropPathRate(nasnet, bad)).toThrow(/--drop-path must be a probability in \[0, 1\)/);
  });
});

describe('cell paths in the lowered graph', () => {
  it('marks every non-identity edge of a NASNet cell, not identities nor the FactorizedReduce of a concatenated input', () => {
    const space = tinyNasnet();
    const arch = space.build(space.encode({ normal: NASNET_A_NORMAL, reduce: REDUCE }));
    const graph = lowerArchitecture(arch);
    const paths = graph.dropPaths ?? [];
    const cells = arch.layers.filter((l) => l.spec.kind === 'nasnetcell');
    const normal = cells.filter((l) => l.spec.kind === 'nasnetcell' && !l.spec.reduce).length;
    // Normal: 10 edges, 2 identities. Reduce: 10 edges, its identity reads state 3 (stride 1): 9 paths. The first cell's
    // identity on the 3F-channel stem is a 1×1 conv, and still no path (slim drops no 'none' op).
    expect(paths.length).toBe(normal * 8 + (cells.length - normal) * 9);
    expect(paths.every((p) => /^cell\d+\.edge\d+_\d+/.test(p))).toBe(true);
    expect(graph.nodes.some((n) => n.id === 'cell0.edge4_0.conv')).toBe(true);
    expect(paths.some((p) => p.startsWith('cell0.edge4_0'))).toBe(false);
    // The reduction cell concatenates input 1? REDUCE reads 0..3 only: 4, 5, 6 are concatenated, no FactorizedReduce node.
    const ids = new Set(graph.nodes.map((n) => n.id));
    for (const p of paths) expect(ids.has(p)).toBe(true);
  });

  it('leaves the FactorizedReduce of a concatenated reduction-cell input out', () => {
    // Every block reads states 1..: input 0 is unused, so the reduction cell concatenates it through FactorizedReduce.
    const reduce = '|conv_1x1~1|conv_1x1~1|+|conv_1x1~2|conv_1x1~2|+|conv_1x1~3|conv_1x1~3|+|conv_1x1~4|conv_1x1~4|+|conv_1x1~5|conv_1x1~5|';
    const space = tinyNasnet();
    const graph = lowerArchitecture(space.build(space.encode({ normal: reduce, reduce })));
    const reducers = graph.nodes.filter((n) => /\.edge7_0/.test(n.id));
    expect(reducers.length).toBeGreaterThan(0);
    expect((graph.dropPaths ?? []).some((p) => p.includes('.edge7_'))).toBe(false);
    expect((graph.dropPaths ?? []).length).toBe(5 * 10);
  });

  it('gives graphs without NASNet or DARTS cells no paths (NAS-Bench-201 cells train as they always did)', () => {
    const plain = chainArch('plain', [1, 1, 8, 8], { stem: [convSpec(4, 3, 1, 'relu')], blocks: [{ kind: 'nb201cell', cell: '|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|' }], head: classifierHead(3) });
    expect(lowerArchitecture(plain).dropPaths).toBeUndefined();
  });

  it('marks the edges of DARTS cells', () => {
    const space = createDartsSpace({ resolution: 8, cells: 3, channels: 4 });
    const arch = space.build(space.sample(new Rng(2)));
    const paths = lowerArchitecture(arch).dropPaths ?? [];
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.every((p) => /\.edge\d+_\d+/.test(p))).toBe(true);
  });
});

/** x → two 3×3 convs (paths) → their sum, plus x itself (an identity, not a path). */
function twoPaths(): GraphModule {
  const b = new GraphBuilder();
  const x = b.input('x', [1, 2, 4, 4]);
  const e1 = b.conv(x, 'c.edge2_0', 2, { k: 3 });
  const e2 = b.conv(x, 'c.edge2_0_b', 2, { k: 3 });
  b.dropPath(e1);
  b.dropPath(e2);
  return new GraphModule(b.build([b.add([e1, e2, x], 'c.node2')]), 'two paths', 3);
}

describe('drop-path in the training engine', () => {
  const N = 4;
  const data = new Rng(2).fill(N * 4 * 4 * 2, 1);
  const input = () => tf.tensor4d(data, [N, 4, 4, 2]);

  it('drops each path per sample in a training forward and nothing in evaluation', () => {
    const m = twoPaths();
    const saved = new SavedTensors();
    /** The training forward with path 1 masked by m1 and path 2 by m2 (per sample), as flat arrays per sample. */
    const run = (m1: number[], m2: number[]) => {
      let k = 0;
      const dropPath = { rate: 0.5, mask: (n: number) => tf.tensor4d([m1, m2][k++ % 2].slice(0, n), [n, 1, 1, 1]) };
      const out = tf.tidy(() => m.forward(input(), { save: (t) => saved.save(t), dropPath }).arraySync() as number[][][][]);
      saved.release();
      return out.map((sample) => sample.flat(2));
    };
    const flat = (t: number[][][][]) => t.map((sample) => sample.flat(2));
    const evalOut = flat(tf.tidy(() => m.forward(input()).arraySync() as number[][][][]));
    const plainTrain = flat(tf.tidy(() => m.forward(input(), saved).arraySync() as number[][][][]));
    saved.release();
    const x = flat(tf.tidy(() => input().arraySync() as number[][][][]));
    expect(plainTrain).toEqual(evalOut);
    // Each path alone (the other masked out), less x.
    const e1 = run([1, 1, 1, 1], [0, 0, 0, 0]).map((s, i) => s.map((v, j) => v - x[i][j]));
    const e2 = run([0, 0, 0, 0], [1, 1, 1, 1]).map((s, i) => s.map((v, j) => v - x[i][j]));
    // p = 0.5: path 1 keeps samples 0 and 1, path 2 samples 0 and 2, kept ones scaled by 2; sample 3 drops both.
    const m1 = [2, 2, 0, 0];
    const m2 = [2, 0, 2, 0];
    const got = run(m1, m2);
    got.forEach((s, i) => s.forEach((v, j) => expect(v).toBeCloseTo(x[i][j] + m1[i] * e1[i][j] + m2[i] * e2[i][j], 5)));
    expect(got[3]).toEqual(x[3]);
    // The evaluation forward is the undropped sum x + e1 + e2.
    evalOut.forEach((s, i) => s.forEach((v, j) => expect(v).toBeCloseTo(x[i][j] + e1[i][j] + e2[i][j], 5)));
  });

  it('back-propagates through the same masks (tfjs autodiff, one drawn per forward)', () => {
    expect(expectAutodiffGradients(twoPaths(), data, [N, 4, 4, 2], () => new DropPath(0.5, 11))).toEqual(['c.edge2_0.weight', 'c.edge2_0_b.weight']);
  });

  it('back-propagates through a whole NASNet network with drop-path (tfjs autodiff)', () => {
    const space = tinyNasnet(8);
    const graph = lowerArchitecture(space.build(space.encode({ normal: NASNET_A_NORMAL, reduce: REDUCE })));
    const m = new GraphModule(graph, 'nasnet', 1);
    const images = new Rng(4).fill(3 * 8 * 8 * 3, 1);
    const names = expectAutodiffGradients(m, images, [3, 8, 8, 3], () => new DropPath(0.4, 5));
    expect(names.length).toBeGreaterThan(50);
  }, 120_000);

  it('back-propagates through NASNet cells whose blocks concatenate (tfjs autodiff, with drop-path)', () => {
    const arch: Architecture = {
      name: 'concat-cells',
      input: [1, 3, 8, 8],
      dtype: 'f32',
      layers: [
        { role: 'stem', id: 'stem', spec: { kind: 'conv', cout: 4, k: 3, stride: 1, groups: 1, dilation: 1, act: 'none' } },
        { role: 'block', id: 'cell0', inputs: ['stem', 'stem'], spec: { kind: 'nasnetcell', cell: NASNET_CONCAT_NORMAL, reduce: false } },
        { role: 'block', id: 'cell1_pre1', inputs: ['cell0'], spec: { kind: 'reluconv', cout: 4, k: 1, stride: 1 } },
        { role: 'block', id: 'cell1', inputs: ['stem', 'cell1_pre1'], spec: { kind: 'nasnetcell', cell: NASNET_CONCAT_REDUCE, reduce: true } },
        { role: 'head', spec: { kind: 'gpool', mode: 'avg' } },
        { role: 'head', spec: { kind: 'linear', cout: 3, act: 'none' } },
      ],
    };
    const graph = lowerArchitecture(arch);
    expect(graph.nodes.filter((n) => n.prim.op === 'concat' && /\.node\d$/.test(n.id)).map((n) => n.id)).toEqual(['cell0.node2', 'cell0.node4', 'cell1.node5', 'cell1.node6']);
    const m = new GraphModule(graph, 'nasnet', 1);
    const names = expectAutodiffGradients(m, new Rng(6).fill(3 * 8 * 8 * 3, 1), [3, 8, 8, 3], () => new DropPath(0.4, 5));
    // The 1×1 conv that widens the reduction cell's block 3 to the last block's 2F trains too.
    expect(names).toContain('cell1.edge8_3.conv.weight');
  }, 120_000);

  it('leaves the evaluation of a trained cell network alone (Network.forward(x, false) is deterministic)', async () => {
    const space = tinyNasnet(8);
    const net = new Network(space.build(space.sample(new Rng(3))), { seed: 1 });
    try {
      const x = () => tf.tensor4d(new Rng(6).fill(2 * 8 * 8 * 3, 1), [2, 8, 8, 3]);
      const a = tf.tidy(() => Array.from(net.forward(x(), false).dataSync()));
      const b = tf.tidy(() => Array.from(net.forward(x(), false).dataSync()));
      const dropped = tf.tidy(() => Array.from(net.forward(x(), true, new DropPath(0.9, 2)).dataSync()));
      net.cancelStep();
      expect(a).toEqual(b);
      expect(dropped).not.toEqual(a);
      // The schedule reaches the trainer: the result reports the maximum used.
      const images = new Rng(8).fill(8 * 8 * 8 * 3, 1);
      const r = await train(net, { x: images, labels: Uint8Array.from([0, 1, 2, 0, 1, 2, 0, 1]), count: 8, height: 8, width: 8, channels: 3, classes: 3 }, { steps: 2, batchSize: 4, seed: 1 });
      expect(r.dropPath).toBe(DEFAULT_DROP_PATH);
    } finally {
      net.dispose();
    }
  }, 120_000);
});

describe('drop-path and resuming', () => {
  it('a training stopped after its step-2 checkpoint resumes to the weights of the uninterrupted one', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'hwnas-droppath-'));
    const space = tinyNasnet(4);
    const arch = space.build(space.sample(new Rng(5)));
    const data = { x: new Rng(8).fill(8 * 4 * 4 * 3, 1), labels: Uint8Array.from([0, 1, 2, 0, 1, 2, 0, 1]), count: 8, height: 4, width: 4, channels: 3, classes: 3 };
    const opts = { steps: 4, batchSize: 4, seed: 2, checkpointEvery: 2, dropPath: 0.5 };
    const weights = (net: Network) => net.params().map((p) => Array.from(p.value.dataSync()));
    const nets: Network[] = [];
    try {
      const whole = new Network(arch, { seed: 1 });
      nets.push(whole);
      await train(whole, data, { ...opts, checkpoint: path.join(dir, 'a.ckpt') });
      const cut = new Network(arch, { seed: 1 });
      nets.push(cut);
      const stop = (p: { step: number }) => {
        if (p.step === 3) throw new Error('stopped');
      };
      await expect(train(cut, data, { ...opts, checkpoint: path.join(dir, 'b.ckpt'), onProgress: stop })).rejects.toThrow('stopped');
      const resumed = new Network(arch, { seed: 1 });
      nets.push(resumed);
      const r = await train(resumed, data, { ...opts, checkpoint: path.join(dir, 'b.ckpt') });
      expect(r.resumedFrom).toBe(2);
      expect(weights(resumed)).toEqual(weights(whole));
      // The masks matter: the same training without drop-path ends elsewhere.
      const off = new Network(arch, { seed: 1 });
      nets.push(off);
      await train(off, data, { ...opts, dropPath: 0 });
      expect(weights(off)).not.toEqual(weights(whole));
    } finally {
      for (const n of nets) n.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
