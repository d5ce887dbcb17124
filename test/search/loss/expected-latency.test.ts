import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.js';
import { expectedLatency, sampledLatency } from '../../../src/search/loss/expected-latency.js';
import { LayerLatencyTable } from '../../../src/search/loss/layer-table.js';
import { expectedLatencyRef, finiteDifferences, logits } from './fixtures.js';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

// Ragged on purpose: 3, 4 and 2 options; the padded entries must be ignored.
const MS = [
  [1.5, 3.0, 4.5],
  [0, 2.0, 6.0, 8.0],
  [2.5, 0.5],
];
const table = LayerLatencyTable.fromMatrix(MS, { overheadMs: 0.4, fixedMs: 1.1 });
const rows = MS.map((r) => r.length);
/** A padded [3, 4] matrix from ragged rows (padding filled with junk that must not matter). */
const matrix = (a: number[][]) => tf.tensor2d(a.map((r) => [...r, ...new Array(4 - r.length).fill(7)]));

describe('expected latency', () => {
  it('with one-hot-ish α equals the chosen path from the table', () => {
    const path = [2, 0, 1];
    const alpha = MS.map((r, l) => r.map((_, o) => (o === path[l] ? 30 : 0)));
    const e = expectedLatency(table, matrix(alpha)).arraySync() as number;
    expect(e).toBeCloseTo(table.latencyOf(path), 4);
    expect(table.latencyOf(path)).toBeCloseTo(1.5 + 4.5 + 0 + 0.5, 12);
  });

  it('matches the float64 reference and its gradient matches central finite differences', () => {
    const alpha = logits(rows, 3);
    const value = expectedLatency(table, matrix(alpha)).arraySync() as number;
    expect(value).toBeCloseTo(expectedLatencyRef(MS, table.constantMs, alpha), 5);
    const grad = tf.grad((a: tf.Tensor) => expectedLatency(table, a as tf.Tensor2D))(matrix(alpha)).arraySync() as number[][];
    const fd = finiteDifferences((a) => expectedLatencyRef(MS, table.constantMs, a), alpha);
    fd.forEach((row, l) => row.forEach((g, o) => expect(grad[l][o]).toBeCloseTo(g, 5)));
    // Padded entries get no gradient.
    expect(grad[2][2]).toBe(0);
    expect(grad[2][3]).toBe(0);
  });

  it('accepts one tensor per layer, with the same value and gradients', () => {
    const alpha = logits(rows, 4);
    const perLayer = alpha.map((r) => tf.tensor1d(r));
    const grads = tf.grads((...a: tf.Tensor[]) => expectedLatency(table, a as tf.Tensor1D[]))(perLayer).map((g) => g.arraySync() as number[]);
    const fd = finiteDifferences((a) => expectedLatencyRef(MS, table.constantMs, a), alpha);
    fd.forEach((row, l) => row.forEach((g, o) => expect(grads[l][o]).toBeCloseTo(g, 5)));
    expect(() => expectedLatency(table, [tf.tensor1d([1, 2])] as tf.Tensor1D[])).toThrow(/1 per-layer tensors, the table 3 layers/);
    expect(() => expectedLatency(table, tf.zeros([3, 3]) as tf.Tensor2D)).toThrow(/must be a \[3, 4\] matrix/);
  });

  it('Gumbel samples: the hard variant is one path; its mean converges to E[LAT]; the soft one does at low τ', () => {
    const alpha = matrix(logits(rows, 5));
    const expected = expectedLatency(table, alpha).arraySync() as number;
    const paths = new Set<number>();
    for (let o0 = 0; o0 < 3; o0++) for (let o1 = 0; o1 < 4; o1++) for (let o2 = 0; o2 < 2; o2++) paths.add(Math.round(table.latencyOf([o0, o1, o2]) * 1e4));
    const mean = (tau: number, hard: boolean, n: number, seed: number) => {
      const rng = new Rng(seed);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const v = sampledLatency(table, alpha, { tau, rng, hard });
        const x = v.arraySync() as number;
        v.dispose();
        if (hard) expect(paths.has(Math.round(x * 1e4))).toBe(true);
        sum += x;
      }
      return sum / n;
    };
    // Gumbel-max: the argmax path is distributed as softmax(α), so the hard mean is unbiased. Path latency spread
    // here is a few ms: 1500 samples give a standard error near 0.07 ms.
    expect(Math.abs(mean(1, true, 1500, 1) - expected)).toBeLessThan(0.25);
    expect(Math.abs(mean(0.05, false, 1500, 2) - expected)).toBeLessThan(0.3);
    // The same seed gives the same samples.
    expect(mean(0.5, false, 3, 9)).toBe(mean(0.5, false, 3, 9));
  });

  it('straight-through: one-hot forward, the soft sample gradient backward', () => {
    const alpha = matrix(logits(rows, 6));
    const g = (hard: boolean) => tf.grad((a: tf.Tensor) => sampledLatency(table, a as tf.Tensor2D, { tau: 0.7, rng: new Rng(4), hard }))(alpha).arraySync() as number[][];
    const hardGrad = g(true);
    const softGrad = g(false);
    hardGrad.forEach((row, l) => row.forEach((v, o) => expect(v).toBeCloseTo(softGrad[l][o], 6)));
    expect(Math.max(...hardGrad.flat().map(Math.abs))).toBeGreaterThan(0.01);
    expect(() => sampledLatency(table, alpha, { tau: 0, rng: new Rng(1) })).toThrow(/temperature τ must be a finite number > 0, got 0/);
  });
});
