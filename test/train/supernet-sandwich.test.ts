/**
 * Sandwich sampling, in-place distillation and per-sub-network BatchNorm recalibration of the supernet
 * (the options measured in docs/benchmarks.md, "Supernet ranking: what makes it rank").
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { createSpace } from '../../src/spaces/registry.js';
import { orderedBatches } from '../../src/data/batches.js';
import { useTrainingBackend } from '../../src/train/backend.js';
import { softmaxCrossEntropy, softmaxRows, softTargetCrossEntropy } from '../../src/train/loss.js';
import { CandidateTable } from '../../src/train/supernet/candidates.js';
import { extremes, pathsPerStep, samplePaths, SANDWICH_RANDOM } from '../../src/train/supernet/sampler.js';
import { Supernet } from '../../src/train/supernet/supernet.js';
import { backpropBatch } from '../../src/train/trainer.js';
import { syntheticData, TinySpace } from './supernet-fixtures.js';

const data = syntheticData();
const space = new TinySpace();
const tiny = (seed = 1, sharing: 'independent' | 'nested' = 'independent') => new Supernet(CandidateTable.build(space, data.train, 10, seed, sharing));

beforeAll(async () => {
  await useTrainingBackend('wasm');
});

describe('sandwich sampler', () => {
  it('picks the largest, then the smallest, then random paths; the same for the same (seed, step)', () => {
    // tiny: layer1 k3e2 < k5e2; layer2 k3e2 < k5e3, skip = 0; layer3 k3e2 < k3e4, skip = 0
    const costs = tiny().table.optionMacs();
    costs.forEach((c, i) => expect(c).toHaveLength(space.decisions()[i].options.length));
    expect(costs[1][2]).toBe(0);
    expect(extremes(costs)).toEqual({ largest: [1, 1, 1], smallest: [0, 2, 2] });
    const counts = [2, 3, 3];
    expect(pathsPerStep('sandwich', counts)).toBe(2 + SANDWICH_RANDOM);
    const randoms = new Set<string>();
    for (let step = 0; step < 40; step++) {
      const paths = samplePaths('sandwich', counts, 4, step, costs);
      expect(paths).toHaveLength(2 + SANDWICH_RANDOM);
      expect(paths[0]).toEqual([1, 1, 1]);
      expect(paths[1]).toEqual([0, 2, 2]);
      for (const p of paths.slice(2)) {
        p.forEach((o, i) => expect(o >= 0 && o < counts[i] && Number.isInteger(o)).toBe(true));
        randoms.add(p.join(''));
      }
      expect(samplePaths('sandwich', counts, 4, step, costs)).toEqual(paths);
    }
    expect(randoms.size).toBeGreaterThan(5); // 18 paths in all: random ones vary
    expect(() => samplePaths('sandwich', counts, 4, 0)).toThrow(/cost/);
  });

  it('on mbv2: the largest path is k7e6 everywhere, the smallest k3e3 with every skippable layer skipped', () => {
    const mbv2 = createSpace('mbv2', { resolution: 32 });
    const t = CandidateTable.build(mbv2, data.train, 10, 0, 'nested');
    const { largest, smallest } = extremes(t.optionMacs());
    const labels = (v: number[]) => v.map((o, i) => t.layers[i].options[o]);
    expect(new Set(labels(largest))).toEqual(new Set(['k7e6']));
    labels(smallest).forEach((l, i) => expect(l).toBe(t.layers[i].options.includes('skip') ? 'skip' : 'k3e3'));
    t.dispose();
  });
});

describe('in-place distillation', () => {
  it('soft-target cross-entropy: equals the labels loss for one-hot targets; no gradient when the targets are the own predictions', () => {
    const logits = Float32Array.from([1, -2, 0.5, 3, 0.1, 0.2, -1, 2, 0]);
    const labels = [2, 0, 1];
    const onehot = new Float32Array(9);
    labels.forEach((l, i) => (onehot[i * 3 + l] = 1));
    const hard = softmaxCrossEntropy(logits, labels, 3);
    const soft = softTargetCrossEntropy(logits, onehot, 3);
    expect(soft.loss).toBeCloseTo(hard.loss, 6);
    soft.grad.forEach((g, i) => expect(g).toBeCloseTo(hard.grad[i], 7));
    expect(soft.correct).toBe(hard.correct);
    const self = softTargetCrossEntropy(logits, softmaxRows(logits, 3), 3);
    self.grad.forEach((g) => expect(Math.abs(g)).toBeLessThan(1e-7));
    // rows of softmaxRows sum to 1
    for (let r = 0; r < 3; r++) expect(softmaxRows(logits, 3).slice(r * 3, r * 3 + 3).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('a student learns from the targets it is given, not the labels: its own predictions as targets give zero gradients', () => {
    const s = tiny(2);
    const net = s.network([1, 0, 1]);
    const batch = orderedBatches(data.train, 32).next().value!;
    let mine: Float32Array | undefined;
    backpropBatch(net, batch, { onLogits: (l) => (mine = softmaxRows(l, 10)) });
    const withLabels = net.params().filter((p) => p.grad).map((p) => Math.max(...Array.from(p.grad!.abs().dataSync())));
    expect(Math.max(...withLabels)).toBeGreaterThan(1e-4);
    for (const p of s.table.params()) p.clearGrad();
    backpropBatch(net, batch, { targets: mine });
    for (const p of net.params()) if (p.grad) expect(Math.max(...Array.from(p.grad.abs().dataSync()))).toBeLessThan(1e-5);
    for (const p of s.table.params()) p.clearGrad();
    s.dispose();
  });

  it('trains sandwich + distillation (4 paths a step, the extremes every step) and refuses distillation with one path a step', async () => {
    const s = tiny(3, 'nested');
    const r = await s.train(data.train, { steps: 3, batchSize: 32, seed: 1, sampler: 'sandwich', distill: true });
    expect(r.paths).toBe(3 * (2 + SANDWICH_RANDOM));
    expect(r.optionCounts[0][1]).toBeGreaterThanOrEqual(3); // the largest, k5e2, every step
    expect(r.optionCounts[1][2]).toBeGreaterThanOrEqual(3); // the smallest skips layer 2 every step
    expect(Number.isFinite(r.loss)).toBe(true);
    await expect(s.train(data.train, { steps: 2, batchSize: 32, sampler: 'uniform', distill: true })).rejects.toThrow(UserError);
    s.dispose();
  });
});

describe('BatchNorm recalibration per sub-network', () => {
  it("sets the path's running statistics to that sub-network's batch statistics (inference = training mode on the batch), per path", () => {
    const s = tiny(5);
    const batch = orderedBatches(data.train, 32).next().value!;
    const x = () => tf.tensor4d(batch.x, [batch.count, data.train.height, data.train.width, data.train.channels]);
    const bnVar = (name: string) => Array.from(s.table.params().find((p) => p.name === name)!.value.dataSync());
    // layer3's option 0 is on both paths; layer 1 differs, so its input differs
    const shared = s.table.params().find((p) => p.name.startsWith('layer3.op0') && p.name.endsWith('.var'))!.name;
    const stats: number[][] = [];
    for (const choices of [[0, 0, 0], [1, 0, 0]]) {
      const net = s.network(choices);
      const before = tf.tidy(() => net.forward(x(), false).dataSync() as Float32Array);
      const train = tf.tidy(() => net.forward(x(), true).dataSync() as Float32Array);
      net.cancelStep();
      // evaluate recalibrates on the first calibrationImages training images (one batch here)
      s.evaluate(space.build(choices), data, { calibrationImages: 32, batchSize: 32 });
      const after = tf.tidy(() => net.forward(x(), false).dataSync() as Float32Array);
      const gap = (a: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - train[i])));
      expect(gap(before)).toBeGreaterThan(1e-2); // initial statistics (0, 1) are not the batch's
      // what is left is the unbiased variance the running statistic keeps (m/(m-1)) and rounding: 375x below the gap before, measured
      expect(gap(after)).toBeLessThan(0.01 * gap(before));
      stats.push(bnVar(shared));
    }
    // the same BatchNorm holds the statistics of the path last recalibrated: its input differs with layer 1's option
    expect(Math.max(...stats[0].map((m, i) => Math.abs(m - stats[1][i]) / m))).toBeGreaterThan(0.01);
    s.dispose();
  });
});
