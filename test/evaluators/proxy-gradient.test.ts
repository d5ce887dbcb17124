import type * as TF from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../src/core/arch.js';
import { Rng } from '../../src/core/rng.js';
import { lossGradientScores } from '../../src/evaluators/proxy/gradient.js';
import { loadTf, proxyEvaluator } from '../../src/evaluators/proxy/index.js';
import { tfProxyNetwork } from '../../src/evaluators/proxy/tf-net.js';
import { createNb201Space } from '../../src/spaces/nb201.js';

const relDiff = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));

/** conv 3×3 (8 ch) → grouped conv 3×3 (8 ch, 2 groups: one weight tensor per group) → pool → dense 4. */
const grouped: Architecture = {
  name: 'grouped',
  input: [1, 3, 8, 8],
  dtype: 'f32',
  layers: [
    { role: 'stem', spec: { kind: 'conv', cout: 8, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' } },
    { role: 'block', spec: { kind: 'conv', cout: 8, k: 3, stride: 1, groups: 2, dilation: 1, act: 'relu' } },
    { role: 'head', spec: { kind: 'gpool', mode: 'avg' } },
    { role: 'head', spec: { kind: 'linear', cout: 4, act: 'none' } },
  ],
};

describe('snip, grad_norm and fisher as the reference code (zero-cost-nas) sums them', () => {
  it('equal sums computed independently: snip over weights, grad_norm per layer (groups of one conv together), fisher per channel × fan-in', async () => {
    const tf = await loadTf('wasm');
    const net = tfProxyNetwork(tf, grouped, { weightSeed: 2 });
    const rng = new Rng(4);
    const n = 6;
    const x = tf.tensor4d(Float32Array.from({ length: n * 8 * 8 * 3 }, () => rng.normal()), [n, 8, 8, 3]);
    const labels = tf.tensor1d(Int32Array.from({ length: n }, () => rng.int(4)), 'int32');
    try {
      expect(net.params.length).toBe(4); // stem, two groups, dense
      const loss = (logits: TF.Tensor2D) => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 4), logits) as TF.Scalar;

      // Weight gradients of the batch's mean cross-entropy.
      const grads = tf.tidy(() => tf.grads((...p: TF.Tensor[]) => loss(net.forward(x, p)))(net.params as TF.Tensor[]).map((g) => g.dataSync() as Float32Array));
      const weights = net.params.map((p) => p.dataSync());
      let snip = 0;
      grads.forEach((g, i) => g.forEach((v, k) => (snip += Math.abs(v * weights[i][k]))));
      const norm = (idx: number[]) => Math.sqrt(idx.reduce((s, i) => s + grads[i].reduce((t, v) => t + v * v, 0), 0));
      const gradNorm = norm([0]) + norm([1, 2]) + norm([3]);

      // Fisher through a different route: a per-(image, channel) scale s = 1 on every conv/dense output,
      // whose gradient is Σ over positions of activation × its gradient.
      const taps: { shape: number[]; fanIn: number }[] = [];
      tf.tidy(() => void net.forward(x, net.params, { tapWeighted: (y, fanIn) => (taps.push({ shape: y.shape, fanIn }), y) }));
      expect(taps.map((t) => t.fanIn)).toEqual([27, 36, 8]); // 3·3·3, (8/2)·3·3, 8
      const scales = taps.map((t) => tf.ones([t.shape[0], 1, 1, t.shape[3]]));
      const perChannel = tf.tidy(() =>
        tf
          .grads((...s: TF.Tensor[]) => {
            let k = 0;
            return loss(net.forward(x, net.params, { tapWeighted: (y) => tf.mul(y, s[k++]) }));
          })(scales)
          .map((g) => g.dataSync()),
      );
      let fisher = 0;
      perChannel.forEach((g, t) => {
        const c = taps[t].shape[3];
        for (let ch = 0; ch < c; ch++) {
          let meanSq = 0;
          for (let i = 0; i < n; i++) meanSq += g[i * c + ch] ** 2 / n;
          fisher += taps[t].fanIn * 0.5 * meanSq;
        }
      });
      tf.dispose(scales);

      const s = lossGradientScores(net, x, labels);
      expect(relDiff(s.snip, snip)).toBeLessThan(1e-5);
      expect(relDiff(s.grad_norm, gradNorm)).toBeLessThan(1e-5);
      expect(relDiff(s.fisher, fisher)).toBeLessThan(1e-4);
      // The sums these replaced (a norm per weight tensor, channels counted once) are far off.
      expect(relDiff(s.grad_norm, norm([0]) + norm([1]) + norm([2]) + norm([3]))).toBeGreaterThan(1e-3);
    } finally {
      tf.dispose([x, labels]);
      net.dispose();
    }
  });

  it('marks fisher scores, so a score file from before the fan-in weighting is not resumed', () => {
    expect(proxyEvaluator({ proxy: 'fisher' }).provenance.fisher).toBe('channel × fan-in');
    expect(proxyEvaluator({ proxy: 'snip' }).provenance.fisher).toBeUndefined();
  });
});

describe('weight init of the proxy net', () => {
  const cell = createNb201Space({ resolution: 8 }).build([3, 3, 3, 3, 3, 3]);

  it('torch-default is PyTorch\'s: U(±1/√fan-in) weights and a dense bias; kaiming-normal (the default) has std √(2/fan-in) and no bias', async () => {
    const tf = await loadTf('wasm');
    const torch = tfProxyNetwork(tf, cell, { weightSeed: 1, init: 'torch-default' });
    const kaiming = tfProxyNetwork(tf, cell, { weightSeed: 1 });
    const zeros = tf.zeros([2, 8, 8, 3]) as TF.Tensor4D;
    try {
      // The last cell's 3×3 convs read 64 channels: fan-in 576, 36,864 weights.
      const moments = (w: TF.Tensor) => {
        const v = w.dataSync();
        let sq = 0;
        let max = 0;
        for (const a of v) (sq += a * a), (max = Math.max(max, Math.abs(a)));
        return { std: Math.sqrt(sq / v.length), max };
      };
      const last = (net: typeof torch) => net.params[net.params.length - 2];
      expect(last(torch).shape).toEqual([3, 3, 64, 64]);
      const t = moments(last(torch));
      expect(t.max).toBeLessThanOrEqual(1 / Math.sqrt(576));
      expect(Math.abs(t.std / Math.sqrt(1 / (3 * 576)) - 1)).toBeLessThan(0.02);
      expect(Math.abs(moments(last(kaiming)).std / Math.sqrt(2 / 576) - 1)).toBeLessThan(0.02);
      // An all-zero batch stays zero through convs, BatchNorm, ReLU and pooling: the logits are the dense bias.
      const bias = tf.tidy(() => torch.forward(zeros, torch.params).dataSync());
      expect(bias.some((b) => b !== 0) && bias.every((b) => Math.abs(b) <= 1 / 8)).toBe(true); // fan-in 64
      expect(Array.from(bias.slice(0, 10))).toEqual(Array.from(bias.slice(10))); // the same for both images
      expect(Array.from(tf.tidy(() => kaiming.forward(zeros, kaiming.params).dataSync()))).toEqual(new Array(20).fill(0));
      expect(torch.paramLayers.length).toBe(torch.params.length);
    } finally {
      zeros.dispose();
      torch.dispose();
      kaiming.dispose();
    }
  });

  it('the evaluator takes the init and says so', () => {
    expect(proxyEvaluator({ proxy: 'snip', init: 'torch-default' }).provenance.init).toBe('torch-default');
    expect(proxyEvaluator({ proxy: 'snip' }).provenance.init).toBeUndefined();
    expect(() => proxyEvaluator({ proxy: 'snip', init: 'xavier' as never })).toThrow(/unknown proxy init 'xavier'/);
  });
});
