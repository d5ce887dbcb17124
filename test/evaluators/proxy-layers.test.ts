import type * as TF from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { withAliasingCopies } from '../../src/evaluators/proxy/alias-kernels.js';
import { loadTf, proxyEvaluator, ProxyScorer } from '../../src/evaluators/proxy/index.js';
import { proxyBatch } from '../../src/evaluators/proxy/input.js';
import { BASE_PROXY_NAMES, scoreProxies, type BaseProxyName, type ProxyInputTensors } from '../../src/evaluators/proxy/scores.js';
import { batchNormTrain } from '../../src/evaluators/proxy/tf-layers.js';
import { exactAvgPool } from '../../src/train/nn/avg-pool.js';
import { tfProxyNetwork } from '../../src/evaluators/proxy/tf-net.js';
import { Rng } from '../../src/core/rng.js';
import { createNb201Space } from '../../src/spaces/nb201.js';

const relDiff = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));
const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]), Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / scale;
};
const randn = (rng: Rng, n: number) => Float32Array.from({ length: n }, () => rng.normal());

describe('proxy layers with written-out gradients', () => {
  it('BatchNorm: the forward is tf.moments\' formula bit for bit, the gradient is the autodiff\'s up to rounding', async () => {
    const tf = await loadTf('wasm');
    const rng = new Rng(5);
    const shape: [number, number, number, number] = [4, 3, 3, 2];
    const x = tf.tensor4d(randn(rng, 72), shape);
    const r = tf.tensor4d(randn(rng, 72), shape);
    const reference = (v: TF.Tensor4D) => {
      const { mean, variance } = tf.moments(v, [0, 1, 2], true);
      return tf.div(tf.sub(v, mean), tf.sqrt(tf.add(variance, 1e-5))) as TF.Tensor4D;
    };
    expect(Array.from(batchNormTrain(tf, x, 1e-5).dataSync())).toEqual(Array.from(reference(x).dataSync()));
    // A gradient through a non-trivial loss (Σ r·BN(x)²) so that both terms of dx matter.
    const loss = (f: (v: TF.Tensor4D) => TF.Tensor4D) => (v: TF.Tensor) => tf.sum(tf.mul(r, tf.square(f(v as TF.Tensor4D))));
    const mine = tf.grad(loss((v) => batchNormTrain(tf, v, 1e-5)))(x).dataSync();
    const autodiff = tf.grad(loss(reference))(x).dataSync();
    expect(maxRel(mine, autodiff)).toBeLessThan(1e-5);
    tf.dispose([x, r]);
  });

  it('same-size average pool: padding left out of the count, and a gradient that matches the float64 adjoint (tfjs\'s own does not)', async () => {
    const tf = await loadTf('wasm');
    const rng = new Rng(7);
    const [n, h, w, c] = [2, 5, 4, 3];
    const x = tf.tensor4d(randn(rng, n * h * w * c), [n, h, w, c]);
    const dy = randn(rng, n * h * w * c);
    const same = { kernel: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1] } as const;
    const pool = exactAvgPool(tf, x, same);
    expect(Array.from(pool.dataSync())).toEqual(Array.from(tf.avgPool(x, 3, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]).dataSync()));
    // y[o] = Σ over the real pixels p of o's window of x[p] / count(o), so ∂(Σ dy·y)/∂x[p] = Σ over the windows o holding p of dy[o] / count(o).
    const at = (b: number, i: number, j: number, k: number) => ((b * h + i) * w + j) * c + k;
    const count = (i: number, j: number) => (Math.min(i + 1, h - 1) - Math.max(i - 1, 0) + 1) * (Math.min(j + 1, w - 1) - Math.max(j - 1, 0) + 1);
    const expected = new Float64Array(n * h * w * c);
    for (let b = 0; b < n; b++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < w; j++)
          for (let k = 0; k < c; k++)
            for (let oi = Math.max(i - 1, 0); oi <= Math.min(i + 1, h - 1); oi++)
              for (let oj = Math.max(j - 1, 0); oj <= Math.min(j + 1, w - 1); oj++) expected[at(b, i, j, k)] += dy[at(b, oi, oj, k)] / count(oi, oj);
    const seed = tf.tensor4d(dy, [n, h, w, c]);
    const grad = tf.grad((v: TF.Tensor) => tf.sum(tf.mul(seed, exactAvgPool(tf, v as TF.Tensor4D, same))))(x).dataSync();
    expect(maxRel(grad, expected)).toBeLessThan(1e-6);
    tf.dispose([x, pool, seed]);
  });

  it('strided, asymmetrically padded average pool: the gradient matches the float64 adjoint too', async () => {
    const tf = await loadTf('wasm');
    const rng = new Rng(8);
    const [n, h, w, c] = [2, 7, 6, 3];
    const p = { kernel: [3, 2], stride: [2, 2], pads: [1, 0, 2, 1] } as const;
    const [oh, ow] = [Math.floor((h + 3 - 3) / 2) + 1, Math.floor((w + 1 - 2) / 2) + 1];
    const x = tf.tensor4d(randn(rng, n * h * w * c), [n, h, w, c]);
    const dy = randn(rng, n * oh * ow * c);
    // Windows as index lists of the real pixels they hold; y[o] averages them, so dx[p] = Σ over the windows o holding p of dy[o] / |o|.
    const rows = (o: number) => [0, 1, 2].map((d) => 2 * o - 1 + d).filter((i) => i >= 0 && i < h);
    const cols = (o: number) => [0, 1].map((d) => 2 * o + d).filter((j) => j >= 0 && j < w);
    const expected = new Float64Array(n * h * w * c);
    const want = new Float64Array(n * oh * ow * c);
    const xv = x.dataSync();
    for (let b = 0; b < n; b++)
      for (let oi = 0; oi < oh; oi++)
        for (let oj = 0; oj < ow; oj++)
          for (let k = 0; k < c; k++) {
            const cells = rows(oi).flatMap((i) => cols(oj).map((j) => ((b * h + i) * w + j) * c + k));
            const o = ((b * oh + oi) * ow + oj) * c + k;
            for (const q of cells) {
              expected[q] += dy[o] / cells.length;
              want[o] += xv[q] / cells.length;
            }
          }
    const pool = exactAvgPool(tf, x, p);
    expect(pool.shape).toEqual([n, oh, ow, c]);
    expect(maxRel(pool.dataSync(), want)).toBeLessThan(1e-6);
    const seed = tf.tensor4d(dy, [n, oh, ow, c]);
    const grad = tf.grad((v: TF.Tensor) => tf.sum(tf.mul(seed, exactAvgPool(tf, v as TF.Tensor4D, p))))(x).dataSync();
    expect(maxRel(grad, expected)).toBeLessThan(1e-6);
    tf.dispose([x, pool, seed]);
  });
});

describe('the fast all-proxies path gives the per-proxy path\'s scores', () => {
  const space = createNb201Space();
  // Small cells: 8 px, batch 8, noise input. The third has an avg_pool_3x3 edge.
  const cells = [
    [3, 2, 1, 3, 0, 2],
    [2, 1, 3, 1, 3, 0],
    [3, 4, 2, 1, 3, 2],
  ];

  it('all six proxies on one net equal each proxy scored alone, and zero-copy kernels change no bit', async () => {
    const tf = await loadTf('wasm');
    const scorer = new ProxyScorer(tf, { batch: 8, resolution: 8, seed: 0, data: 'normal' });
    const stockIdentity = tf.getKernel('Identity', 'wasm');
    const batch = proxyBatch({ data: 'normal', batch: 8, resolution: 8, channels: 3, classes: 10, seed: 0 });
    const input: ProxyInputTensors = { x: tf.tensor4d(batch.x, batch.shape), labels: tf.tensor1d(batch.labels, 'int32') };
    for (const e of cells.slice(0, 1)) {
      const arch = space.build(e);
      const together = scorer.score(arch, BASE_PROXY_NAMES);
      for (const p of BASE_PROXY_NAMES) expect([p, relDiff(scorer.score(arch, [p])[p]!, together[p]!)]).toEqual([p, 0]);
      // The same computation without the zero-copy Identity/Cast (stock wasm kernels, copies).
      const net = tfProxyNetwork(tf, arch, { weightSeed: 1, resolution: 8 });
      const stock = scoreProxies(net, BASE_PROXY_NAMES, (_: BaseProxyName) => input);
      net.dispose();
      expect(stock).toEqual(together);
    }
    expect(tf.getKernel('Identity', 'wasm')).toBe(stockIdentity); // put back after scoring
    expect(withAliasingCopies(tf, () => tf.getKernel('Identity', 'wasm'))).not.toBe(stockIdentity);
    tf.dispose([input.x, input.labels]);
    scorer.dispose();
  });

  it('matches the scores of the code before the speed-up (commit a558192) up to float32 rounding; with an avg pool, where that code\'s pool gradient was wrong, NASWOT still bit for bit', async () => {
    // Printed by the proxy code at a558192 (ProxyScorer, batch 8, 8 px, noise, seed 0) for the cells above.
    const before: Record<BaseProxyName, number>[] = [
      { naswot: 80.57417296828348, synflow: 7.645298884464013e40, jacob_cov: -8.237965581147119, snip: 2868.81982421875, grad_norm: 704.0494384765625, fisher: 35.29044400941348 },
      { naswot: 78.57174267720107, synflow: 4.0166172974487157e37, jacob_cov: -8.202397181835725, snip: 210.41700744628906, grad_norm: 45.523826599121094, fisher: 0.18086679224506952 },
      { naswot: 80.52297113444699, synflow: 5.797384786482026e51, jacob_cov: -8.175749531364943, snip: 144.92213439941406, grad_norm: 32.08565902709961, fisher: 0.06719190369767603 },
    ];
    const scorer = new ProxyScorer(await loadTf('wasm'), { batch: 8, resolution: 8, seed: 0, data: 'normal' });
    cells.forEach((e, i) => {
      const now = scorer.score(space.build(e), BASE_PROXY_NAMES);
      if (i < 2) {
        expect(now.naswot).toBe(before[i].naswot);
        expect(now.synflow).toBe(before[i].synflow); // no BatchNorm, no avg pool: the same ops
        // fisher is left out: its channels are weighted by fan-in since (test/evaluators/proxy-gradient.test.ts).
        for (const p of ['jacob_cov', 'snip', 'grad_norm'] as const) expect([p, relDiff(now[p]!, before[i][p]) < 1e-4]).toEqual([p, true]);
      } else {
        expect(now.naswot).toBe(before[i].naswot);
        expect(relDiff(now.snip!, before[i].snip)).toBeGreaterThan(0.05);
      }
    });
    scorer.dispose();
    // So a score file from before the correction is not resumed with gradient-based scores.
    expect(proxyEvaluator({ proxy: 'snip' }).provenance.avgPoolGradient).toBe('exact');
    expect(proxyEvaluator({ proxy: 'vote', space }).provenance.avgPoolGradient).toBe('exact');
    expect(proxyEvaluator({ proxy: 'naswot' }).provenance.avgPoolGradient).toBeUndefined();
  });
});
