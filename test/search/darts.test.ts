/**
 * DARTS (--strategy darts): derivation, the relaxed cells' latency table against the LUT predictor, the
 * architecture gradients (first order, unrolled second order, the latency term) against central finite
 * differences of the losses they are the gradients of, and a tiny search with kill and resume.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { lutLatencySource } from '../../src/predict/latency-source.js';
import { DartsSearch, type DartsEpochStats, type DartsOptions } from '../../src/search/differentiable/darts-search.js';
import { deriveCell, deriveGenotype } from '../../src/search/differentiable/darts-derive.js';
import { dartsLatencyTable, derivedLatency } from '../../src/search/differentiable/darts-latency.js';
import { DartsPasses, type DartsBatch } from '../../src/search/differentiable/darts-step.js';
import { DartsSupernet } from '../../src/search/differentiable/darts-supernet.js';
import { softmax } from '../../src/search/differentiable/alpha.js';
import { latencyLoss, latencyLossGrads, type LatencyTerm } from '../../src/search/differentiable/latency-term.js';
import { expectedLatency } from '../../src/search/loss/index.js';
import type { SearchContext } from '../../src/search/types.js';
import { DartsSpace } from '../../src/spaces/darts.js';
import { softmaxCrossEntropy } from '../../src/train/loss.js';
import { readLut } from '../../lut/store.js';
import { MOCK_DARTS_8, sharedMockLut } from '../cli/helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'nas-darts-search-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lut = path.join(dir, 'mock-darts-8.lut.json');
const space = new DartsSpace({ resolution: 8 });

// The darts space at 8 px from the mock device (synthetic timings: a fixture, not a measurement), profiled once per run.
beforeAll(() => sharedMockLut(MOCK_DARTS_8, lut), 120_000);

const rows = (rng: Rng, scale: number) => Array.from({ length: 28 }, () => Array.from({ length: 8 }, () => scale * (2 * rng.next() - 1)));

describe('derivation', () => {
  it('keeps per node the two edges with the strongest non-none op; a dominant none does not make its edge win', () => {
    const a = Array.from({ length: 14 }, () => new Array<number>(8).fill(0));
    // Edge order: 2←0, 2←1, 3←0, 3←1, 3←2, 4←0..3, 5←0..4. Op order: none, max, avg, skip, sep3, sep5, dil3, dil5.
    a[0][4] = 2; // 2←0 sep_conv_3x3
    a[1][3] = 1; // 2←1 skip
    a[2][0] = 9; // 3←0: none dominates, so its best real op weighs almost nothing
    a[2][5] = 3;
    a[3][6] = 1; // 3←1 dil3
    a[4][1] = 2; // 3←2 max pool
    a[8][7] = 4; // 4←3 dil5
    a[5][2] = 3; // 4←0 avg
    a[13][5] = 5; // 5←4 sep5
    a[10][4] = 1; // 5←1 sep3
    expect(deriveCell(a)).toBe('|sep_conv_3x3~0|skip_connect~1|+|max_pool_3x3~2|dil_conv_3x3~1|+|dil_conv_5x5~3|avg_pool_3x3~0|+|sep_conv_5x5~4|sep_conv_3x3~1|');
  });

  it('every derived genotype is a member of the darts space', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 20; i++) {
      const enc = space.encode(deriveGenotype(rows(rng, 3)));
      // The space writes a node's two edges lower source first; the derivation strongest first.
      expect(space.encode(space.genotype(enc))).toEqual(enc);
      expect(space.build(enc).space?.id).toBe('darts');
    }
  });
});

describe('latency of the relaxed cells', () => {
  it('a derived genotype’s table latency is the LUT predictor’s; E[LAT] at uniform α is the mean over ops', async () => {
    const table = dartsLatencyTable(readLut(lut), space);
    const predictor = await lutLatencySource(lut, space);
    const rng = new Rng(4);
    for (let i = 0; i < 5; i++) {
      const g = deriveGenotype(rows(rng, 3));
      expect(derivedLatency(table, g)).toBeCloseTo(predictor.latency(space.build(space.encode(g))).ms, 6);
    }
    const uniform = table.constantMs + table.ms.flat().reduce((s, v) => s + v, 0) / 8;
    const zeros = Array.from({ length: 28 }, () => tf.zeros([8]) as tf.Tensor1D);
    expect(tf.tidy(() => expectedLatency(table, zeros).dataSync()[0])).toBeCloseTo(uniform, 4);
    zeros.forEach((t) => t.dispose());
    // `none` costs nothing; every other op something.
    for (const row of table.ms) expect([row[0], row.slice(1).every((v) => v > 0)]).toEqual([0, true]);
  });

  it.each(['proxyless-add', 'proxyless-mul', 'fbnet'] as const)('the %s latency term’s gradient in α matches finite differences', (kind) => {
    const table = dartsLatencyTable(readLut(lut), space);
    const uniform = table.constantMs + table.ms.flat().reduce((s, v) => s + v, 0) / 8;
    const term: LatencyTerm = { kind, weight: 2, targetMs: uniform * 0.8, unitMs: table.constantMs / 2 };
    const values = rows(new Rng(5), 1);
    const ce = 1.7;
    const loss = (v: number[][]) => tf.tidy(() => latencyLoss(term, tf.scalar(ce), expectedLatency(table, v.map((r) => tf.tensor1d(r)))).dataSync()[0]);
    const tensors = values.map((r) => tf.tensor1d(r));
    const g = latencyLossGrads(term, ce, tensors, (a) => expectedLatency(table, a));
    tensors.forEach((t) => t.dispose());
    expect(g.loss).toBeCloseTo(loss(values), 4);
    const h = 1e-2;
    // Each of a few coordinates, and the direction of the gradient itself.
    for (const [e, o] of [[0, 4], [9, 7], [20, 5], [27, 1]]) {
      const at = (d: number) => values.map((r, i) => r.map((v, j) => (i === e && j === o ? v + d : v)));
      const fd = (loss(at(h)) - loss(at(-h))) / (2 * h);
      expect(Math.abs(fd - g.dAlpha[e][o])).toBeLessThan(2e-2 * Math.abs(g.dAlpha[e][o]) + 1e-4);
    }
    const norm = Math.hypot(...g.dAlpha.flat());
    expect(norm).toBeGreaterThan(1e-3);
    const along = (d: number) => values.map((r, i) => r.map((v, j) => v + (d * g.dAlpha[i][j]) / norm));
    expect((loss(along(h)) - loss(along(-h))) / (2 * h)).toBeCloseTo(norm, 2);
  });
});

describe('architecture gradients', () => {
  // A tiny search network: 3 cells of C = 2 on 8x8 single-channel images, 3 classes, batches of 6.
  const net = new DartsSupernet({ cells: 3, channels: 2, image: [8, 8, 1], classes: 3, seed: 2 });
  const passes = new DartsPasses(net);
  const batch = (seed: number): DartsBatch => {
    const rng = new Rng(seed);
    return { x: Float32Array.from({ length: 6 * 64 }, () => 2 * rng.next() - 1), labels: Uint8Array.from({ length: 6 }, (_, i) => i % 3), count: 6 };
  };
  const [train, val] = [batch(11), batch(12)];
  const alpha = rows(new Rng(13), 1);
  afterAll(() => net.dispose());

  const weights = () => net.params().map((p) => tf.clone(p.variable));
  const restore = (w: tf.Tensor[]) => {
    net.params().forEach((p, i) => p.variable.assign(w[i]));
    w.forEach((t) => t.dispose());
  };
  /**
   * Cross-entropy of a batch at gates softmax(α), forward only: the training-mode forward (batch statistics) whose
   * loss DartsPasses.pass returns (the same number, to the last bit), without the backward that finite differences
   * of the loss do not need: measured 0.13-0.18 s CPU against 1.0-1.4 s for a whole pass of this network, and the
   * objectives below are evaluated 13 times per check.
   */
  const lossOnly = (a: number[][], b: DartsBatch) => {
    net.setGates(a.map(softmax), false);
    const logits = tf.tidy(() => net.forward(tf.tensor4d(b.x, [b.count, ...net.imageShape]), true).dataSync() as Float32Array);
    net.cancelStep();
    return softmaxCrossEntropy(logits, b.labels, net.classes).loss;
  };
  /** L_val(w, α): the first-order objective. */
  const valLoss = (a: number[][]) => {
    const w = weights();
    const l = lossOnly(a, val);
    restore(w);
    return l;
  };
  /** L_val(w − ξ ∇w L_train(w, α), α): the unrolled objective of the second-order gradient. */
  const unrolledLoss = (a: number[][], xi: number) => {
    const w = weights();
    passes.clearGrads();
    passes.pass(a, train, false);
    tf.tidy(() => net.params().forEach((p) => p.trainable && p.grad && p.variable.assign(tf.sub(p.variable, tf.mul(p.grad, xi)))));
    passes.clearGrads();
    const l = lossOnly(a, val);
    restore(w);
    return l;
  };
  /**
   * The slope of f along the unit vector of `dir` (least squares over ±0.005, ±0.01, ±0.02: the losses are
   * only piecewise smooth, ReLU masks and max-pool choices flip along the way), and `grad`·that unit vector.
   */
  const directional = (f: (a: number[][]) => number, grad: number[][], dir: number[][]) => {
    const norm = Math.hypot(...dir.flat());
    const ts = [-0.02, -0.01, -0.005, 0.005, 0.01, 0.02];
    const ys = ts.map((t) => f(alpha.map((r, i) => r.map((v, j) => v + (t * dir[i][j]) / norm))));
    return { fd: ts.reduce((s, t, k) => s + t * ys[k], 0) / ts.reduce((s, t) => s + t * t, 0), analytic: grad.flat().reduce((s, g, k) => s + (g * dir.flat()[k]) / norm, 0) };
  };

  it('first order: ∇α L_val(w, α) matches finite differences, and leaves the weights as they were', () => {
    const before = net.params().map((p) => Array.from(p.variable.dataSync()));
    const g = passes.firstOrder(alpha, val);
    expect(net.params().map((p) => Array.from(p.variable.dataSync()))).toEqual(before);
    expect(g.loss).toBeCloseTo(valLoss(alpha), 5);
    // Measured: slope 0.309 against 0.298 along the gradient, 0.0021 against 0.0035 along a random direction.
    const own = directional(valLoss, g.grad, g.grad);
    expect(Math.abs(own.fd - own.analytic)).toBeLessThan(0.08 * own.analytic);
    const random = directional(valLoss, g.grad, rows(new Rng(14), 1));
    expect(Math.abs(random.fd - random.analytic)).toBeLessThan(0.01 * own.analytic);
  });

  it('second order: the unrolled gradient (finite-difference Hessian-vector product) matches finite differences of the unrolled loss', () => {
    // The unrolled loss L_val(w − ξ∇w L_train, α) jumps where a ReLU mask flips (∇w L_train is discontinuous
    // there), so the finite differences are meaningful only at a ξ whose line search stays off a kink. Slope
    // along the gradient, finite differences against the analytic one, measured after the training pools'
    // gradient became exact (padded averages through GeneralPool): ξ 0.0005 0.308/0.310, 0.001 0.303/0.310,
    // 0.005 0.266/0.314 and 0.01 0.262/0.318 (kinks), 0.02 0.363/0.349. At 0.02 the second-order term moves
    // the slope by ~12% from its ξ → 0 value and the finite differences follow it within 4%, so the
    // Hessian-vector product is what is checked, not only the first-order gradient.
    const xi = 0.02;
    const before = net.params().map((p) => Array.from(p.variable.dataSync()));
    const g2 = passes.secondOrder(alpha, train, val, xi);
    expect(net.params().map((p) => Array.from(p.variable.dataSync()))).toEqual(before);
    expect(g2.loss).toBeCloseTo(unrolledLoss(alpha, xi), 5);
    const f = (a: number[][]) => unrolledLoss(a, xi);
    const own = directional(f, g2.grad, g2.grad);
    expect(Math.abs(own.fd - own.analytic)).toBeLessThan(0.15 * own.analytic);
    const random = directional(f, g2.grad, rows(new Rng(15), 1));
    expect(Math.abs(random.fd - random.analytic)).toBeLessThan(0.02 * own.analytic);
  });
});

describe('darts search', () => {
  // 40 images: 8 for validation, 16 + 16 (weights / α): two steps of 8 per epoch, so a resumed epoch still runs
  // more than one step (56 images gave three; the search is the suite's slowest part, a step is ~5 passes in order 2).
  const TRAINING = { limit: 40, validation: 8, batchSize: 8, downscale: 4, seed: 1 };
  async function search(opts: DartsOptions, extra: Partial<SearchContext> = {}) {
    const epochs: DartsEpochStats[] = [];
    const ctx: SearchContext = {
      space,
      latency: await lutLatencySource(lut, space),
      evaluator: { id: 'unused', provenance: {}, evaluate: () => Promise.reject(new Error('darts evaluates no candidates')) },
      budget: 1,
      seed: 0,
      lutFile: lut,
      training: TRAINING,
      ...extra,
    };
    const result = await new DartsSearch({ cells: 3, channels: 2, archLr: 0.1, ...opts, onEpoch: (e) => epochs.push(e) }).run(ctx);
    return { result, epochs };
  }

  it('a heavy latency term brings E[LAT] of the relaxed cells below the uniform start; each epoch’s genotype has the predictor’s latency', async () => {
    const { result, epochs } = await search({ searchEpochs: 2, latencyWeight: 20 });
    const table = dartsLatencyTable(readLut(lut), space);
    const uniform = table.constantMs + table.ms.flat().reduce((s, v) => s + v, 0) / 8;
    expect(epochs.at(-1)!.expectedMs).toBeLessThan(uniform);
    expect(result.history).toHaveLength(2);
    const predictor = await lutLatencySource(lut, space);
    for (const c of result.history) expect(c.latency.ms).toBeCloseTo(predictor.latency(space.build(c.encoding)).ms, 9);
    expect(result.front).toEqual([result.history[1]]);
    expect(result.best).toEqual(result.history[1]);
    expect(result.best!.encoding).toEqual(space.encode(deriveGenotype(epochs[1].alpha)));
  }, 180_000);

  it('second order: a killed search resumes from its checkpoint and ends exactly where an uninterrupted one does', async () => {
    const opts = { searchEpochs: 2, order: 2 as const, latencyWeight: 1 };
    const whole = await search({ ...opts, checkpointFile: path.join(dir, 'whole.ckpt') });
    const file = path.join(dir, 'killed.ckpt');
    const kill = (p: { done: number }) => {
      if (p.done === 1) throw new Error('killed');
    };
    await expect(search({ ...opts, checkpointFile: file }, { onProgress: kill })).rejects.toThrow('killed');
    expect(existsSync(file)).toBe(true);
    const resumed = await search({ ...opts, checkpointFile: file });
    expect(resumed.epochs.map((e) => e.epoch)).toEqual([1]);
    expect(resumed.result.history).toEqual(whole.result.history);
    expect(resumed.epochs[0]).toEqual(whole.epochs[1]);
    expect(existsSync(file)).toBe(false);
  }, 240_000);

  it('refuses another space, and a search without the LUT file', async () => {
    const { createSpace } = await import('../../src/spaces/registry.js');
    await expect(search({}, { space: createSpace('mbv2', { resolution: 32 }) })).rejects.toThrow(/--strategy darts searches the DARTS cell space, not 'mbv2'/);
    await expect(search({}, { lutFile: undefined })).rejects.toThrow(/needs the latency table itself/);
  });
});
