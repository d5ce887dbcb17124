import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectedLatency } from '../../../src/search/loss/expected-latency.js';
import { fbnetLoss, proxylessAdditiveLoss, proxylessMultiplicativeLoss, tunasAbsoluteLoss, tunasAbsoluteReward } from '../../../src/search/loss/forms.js';
import { LayerLatencyTable } from '../../../src/search/loss/layer-table.js';
import { expectedLatencyRef, finiteDifferences, logits } from './fixtures.js';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const s = (x: number) => tf.scalar(x);
const value = (t: tf.Tensor) => t.arraySync() as number;

describe('loss forms: values', () => {
  it('ProxylessNAS additive and multiplicative', () => {
    expect(value(proxylessAdditiveLoss(s(2), s(12), { targetMs: 10 }))).toBeCloseTo(2 + 0.1 * 0.2, 6);
    expect(value(proxylessAdditiveLoss(s(2), s(8), { lambda: 0.5, targetMs: 10 }))).toBeCloseTo(2 - 0.5 * 0.2, 6);
    expect(value(proxylessMultiplicativeLoss(s(2), s(12), { targetMs: 10 }))).toBeCloseTo(2 * 0.2 * (Math.log(12) / Math.log(10)) ** 0.3, 6);
    // A sub-millisecond target works in a smaller unit: the log is of latency in units of 10 µs.
    expect(value(proxylessMultiplicativeLoss(s(1), s(0.6), { targetMs: 0.5, unitMs: 0.01, alpha: 1, beta: 1 }))).toBeCloseTo(Math.log(60) / Math.log(50), 6);
    expect(() => proxylessMultiplicativeLoss(s(1), s(0.6), { targetMs: 0.5 })).toThrow(/target 0.5 ms must exceed the log unit 1 ms/);
  });

  it('FBNet: the exponent is on the log of the latency, not on the latency', () => {
    const ce = 2;
    const lat = 20;
    const got = value(fbnetLoss(s(ce), s(lat), { alpha: 0.2, beta: 0.6 }));
    const paper = ce * 0.2 * Math.log(lat) ** 0.6; // (log LAT)^β
    const buggy = ce * 0.2 * Math.log(lat ** 0.6); // log(LAT^β) = β log LAT
    expect(got).toBeCloseTo(paper, 6);
    expect(got).toBeCloseTo(0.77261, 4);
    expect(Math.abs(got - buggy)).toBeGreaterThan(0.05);
    // d/dLAT = CE·α·β·(log LAT)^(β−1) / LAT, where the buggy form would give CE·α·β / LAT.
    const dLat = value(tf.grad((l: tf.Tensor) => fbnetLoss(s(ce), l as tf.Scalar, { alpha: 0.2, beta: 0.6 }))(s(lat)));
    expect(dLat).toBeCloseTo((ce * 0.2 * 0.6 * Math.log(lat) ** -0.4) / lat, 6);
    // Defaults are the paper's α = 0.2, β = 0.6.
    expect(value(fbnetLoss(s(ce), s(lat)))).toBeCloseTo(paper, 6);
  });

  it('TuNAS absolute reward and its loss', () => {
    expect(value(tunasAbsoluteReward(s(0.75), s(12), { beta: -0.5, targetMs: 10 }))).toBeCloseTo(0.75 - 0.5 * 0.2, 6);
    expect(value(tunasAbsoluteReward(s(0.75), s(8), { beta: -0.5, targetMs: 10 }))).toBeCloseTo(0.75 - 0.5 * 0.2, 6);
    expect(value(tunasAbsoluteLoss(s(1.3), s(12), { beta: -0.5, targetMs: 10 }))).toBeCloseTo(1.3 + 0.5 * 0.2, 6);
    expect(() => tunasAbsoluteReward(s(1), s(1), { beta: 0.1, targetMs: 10 })).toThrow(/β must be a finite negative number/);
  });
});

describe('loss forms: gradients w.r.t. α match central finite differences', () => {
  const MS = [
    [3, 6, 9],
    [0, 4, 8, 12],
    [5, 2],
  ];
  const table = LayerLatencyTable.fromMatrix(MS, { overheadMs: 0.5, fixedMs: 2 });
  const rows = MS.map((r) => r.length);
  const pad = (a: number[][]) => tf.tensor2d(a.map((r) => [...r, ...new Array(4 - r.length).fill(0)]));
  // CE depends on α too (0.01·Σα² + 1.2), so the product rule in the multiplicative forms is exercised.
  const ceRef = (a: number[][]) => 1.2 + 0.01 * a.flat().reduce((x, y) => x + y * y, 0);
  const ceTf = (a: tf.Tensor2D) => tf.add(1.2, tf.mul(0.01, tf.sum(tf.square(a)))) as tf.Scalar;
  const masked = (a: tf.Tensor2D) => tf.mul(a, tf.tensor2d(MS.map((r) => [0, 1, 2, 3].map((o) => (o < r.length ? 1 : 0))))) as tf.Tensor2D;
  const T = 12;

  const cases: [string, (ce: tf.Scalar, lat: tf.Scalar) => tf.Scalar, (ce: number, lat: number) => number][] = [
    ['proxyless additive', (ce, lat) => proxylessAdditiveLoss(ce, lat, { lambda: 0.3, targetMs: T }), (ce, lat) => ce + (0.3 * (lat - T)) / T],
    ['proxyless multiplicative', (ce, lat) => proxylessMultiplicativeLoss(ce, lat, { targetMs: T }), (ce, lat) => ce * 0.2 * (Math.log(lat) / Math.log(T)) ** 0.3],
    ['fbnet', (ce, lat) => fbnetLoss(ce, lat), (ce, lat) => ce * 0.2 * Math.log(lat) ** 0.6],
    ['tunas', (ce, lat) => tunasAbsoluteLoss(ce, lat, { beta: -0.4, targetMs: T }), (ce, lat) => ce + 0.4 * Math.abs(lat / T - 1)],
  ];
  for (const [name, lossTf, lossRef] of cases) {
    it(name, () => {
      const alpha = logits(rows, 8);
      const f = (a: number[][]) => lossRef(ceRef(a), expectedLatencyRef(MS, table.constantMs, a));
      const grad = tf.grad((a: tf.Tensor) => lossTf(ceTf(masked(a as tf.Tensor2D)), expectedLatency(table, a as tf.Tensor2D)))(pad(alpha)).arraySync() as number[][];
      const fd = finiteDifferences(f, alpha);
      const scale = Math.max(...fd.flat().map(Math.abs));
      expect(scale).toBeGreaterThan(1e-3);
      fd.forEach((row, l) => row.forEach((g, o) => expect(Math.abs(grad[l][o] - g)).toBeLessThan(1e-4 + 1e-3 * scale)));
      expect(value(lossTf(ceTf(masked(pad(alpha))), expectedLatency(table, pad(alpha))))).toBeCloseTo(f(alpha), 4);
    });
  }
});
