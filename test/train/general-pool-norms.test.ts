/**
 * GeneralPool (ceil mode, explicit and asymmetric pads, non-square windows, count_include_pad) and the
 * layer / instance norms (src/train/nn/general-pool.ts, norms.ts): forward equals an independent
 * reference (onnxruntime semantics written out, tfjs moments), backward equals tfjs autodiff.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, type Pads, type Pair, type PoolPrim } from '../../src/core/graph/index.js';
import { Rng } from '../../src/core/rng.js';
import { GeneralPool } from '../../src/train/nn/general-pool.js';
import { GraphModule } from '../../src/train/nn/graph-module.js';
import { SavedTensors } from '../../src/train/nn/module.js';
import { Norm } from '../../src/train/nn/norms.js';
import { expectAutodiffGradients, relErr } from './grad-check.js';

const N = 2;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** ONNX MaxPool / AveragePool on NHWC data written as loops (the reference). */
function referencePool(x: Float32Array, [n, h, w, c]: number[], p: PoolPrim, [oh, ow]: [number, number]): Float32Array {
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.stride;
  const [t, l, b, r] = p.pads;
  const out = new Float32Array(n * oh * ow * c);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < oh; y++)
      for (let xo = 0; xo < ow; xo++)
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let sum = 0;
          let count = 0;
          for (let dy = 0; dy < kh; dy++)
            for (let dx = 0; dx < kw; dx++) {
              const yy = y * sh - t + dy;
              const xx = xo * sw - l + dx;
              const inside = yy >= 0 && yy < h && xx >= 0 && xx < w;
              if (inside) {
                const v = x[((i * h + yy) * w + xx) * c + ch];
                best = Math.max(best, v);
                sum += v;
              }
              if (p.countIncludePad ? yy >= -t && yy < h + b && xx >= -l && xx < w + r : inside) count++;
            }
          out[((i * oh + y) * ow + xo) * c + ch] = p.mode === 'max' ? best : sum / count;
        }
  return out;
}

/** The adjoint of referencePool's average in float64: dx[p] = Σ over the windows o holding p of r[o] / count(o). */
function referenceAvgAdjoint([n, h, w, c]: number[], p: PoolPrim, [oh, ow]: [number, number], r: Float32Array): Float64Array {
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.stride;
  const [t, l, b, rr] = p.pads;
  const dx = new Float64Array(n * h * w * c);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < oh; y++)
      for (let xo = 0; xo < ow; xo++) {
        const inside: number[] = [];
        let count = 0;
        for (let dy = 0; dy < kh; dy++)
          for (let dxx = 0; dxx < kw; dxx++) {
            const yy = y * sh - t + dy;
            const xx = xo * sw - l + dxx;
            const isIn = yy >= 0 && yy < h && xx >= 0 && xx < w;
            if (isIn) inside.push((i * h + yy) * w + xx);
            if (p.countIncludePad ? yy >= -t && yy < h + b && xx >= -l && xx < w + rr : isIn) count++;
          }
        for (let ch = 0; ch < c; ch++) for (const q of inside) dx[q * c + ch] += r[((i * oh + y) * ow + xo) * c + ch] / count;
      }
  return dx;
}

const pool = (mode: 'avg' | 'max', k: Pair, s: Pair, pads: Pads, ceil: boolean, countIncludePad = false): PoolPrim => ({ op: 'pool', mode, kernel: k, stride: s, pads, ceil, countIncludePad });

const POOLS: { name: string; hw: [number, number]; p: PoolPrim }[] = [
  { name: 'max 3x3 stride 2 ceil (SqueezeNet)', hw: [8, 7], p: pool('max', [3, 3], [2, 2], [0, 0, 0, 0], true) },
  { name: 'avg 2x2 stride 2 ceil (resblock shortcut) on odd sizes', hw: [7, 5], p: pool('avg', [2, 2], [2, 2], [0, 0, 0, 0], true) },
  { name: 'avg 3x3 stride 2 pad 1 count_include_pad, ceil', hw: [6, 7], p: pool('avg', [3, 3], [2, 2], [1, 1, 1, 1], true, true) },
  { name: 'max 3x2 stride 1x2 asymmetric pads', hw: [6, 6], p: pool('max', [3, 2], [1, 2], [1, 0, 1, 1], false) },
  { name: 'avg 3x3 stride 1 pad 1 count_include_pad', hw: [5, 5], p: pool('avg', [3, 3], [1, 1], [1, 1, 1, 1], false, true) },
  { name: 'avg 3x3 stride 2 pad 1 ceil, padding out of the count', hw: [6, 7], p: pool('avg', [3, 3], [2, 2], [1, 1, 1, 1], true) },
  { name: 'avg 3x2 stride 2x1 asymmetric pads', hw: [7, 5], p: pool('avg', [3, 2], [2, 1], [1, 0, 2, 1], false) },
];

describe('GeneralPool', () => {
  for (const c of POOLS)
    it(`${c.name}: forward equals onnx semantics, backward equals tfjs autodiff`, () => {
      const b = new GraphBuilder();
      const x = b.input('x', [N, 3, ...c.hw]);
      const y = b.node('g.pool', c.p, [x]);
      const outShape = b.shape(y);
      const graph = b.build([y]);
      const m = new GraphModule(graph, 'g', 1);
      expect(m.modules()[0]).toBeInstanceOf(GeneralPool);
      // Distinct values: max pooling's gradient is then unambiguous.
      const data = Float32Array.from(new Rng(4).fill(N * c.hw[0] * c.hw[1] * 3, 1), (v, i) => v + i * 1e-3);
      const shape: [number, number, number, number] = [N, c.hw[0], c.hw[1], 3];
      const got = tf.tidy(() => m.forward(tf.tensor4d(data, shape)).dataSync() as Float32Array);
      const want = referencePool(data, shape, c.p, [outShape[2], outShape[3]]);
      expect(got.length).toBe(want.length);
      expect(relErr(want, got, 1)).toBeLessThan(1e-5);
      expectAutodiffGradients(m, data, shape);
      if (c.p.mode !== 'avg') return;
      // Averages: autodiff runs through the same written-out gradient, so the backward is also held to the reference's adjoint.
      const [oh, ow] = [outShape[2], outShape[3]];
      const r = new Rng(12).fill(N * oh * ow * 3, 1);
      const dx = tf.tidy(() => {
        m.forward(tf.tensor4d(data, shape), new SavedTensors());
        return m.backward(tf.tensor4d(r, [N, oh, ow, 3]), true)!.dataSync() as Float32Array;
      });
      const adjoint = referenceAvgAdjoint(shape, c.p, [oh, ow], r);
      for (let i = 0; i < adjoint.length; i++) expect(dx[i]).toBeCloseTo(adjoint[i], 5);
    });
});

describe('layer and instance norm', () => {
  for (const kind of ['layer', 'instance'] as const)
    it(`${kind} norm: forward normalises over ${kind === 'layer' ? 'C, H, W' : 'H, W'}, backward equals tfjs autodiff`, () => {
      const b = new GraphBuilder();
      const x = b.input('x', [N, 4, 5, 5]);
      const conv = b.conv(x, 'g.conv', 4, { k: 3 });
      const normed = b.node(`g.${kind}norm`, kind === 'layer' ? { op: 'layernorm', eps: 1e-5 } : { op: 'instancenorm', eps: 1e-5 }, [conv]);
      const m = new GraphModule(b.build([b.act(normed, 'relu', 'g.relu')]), 'g', 2);
      const norm = m.modules().find((q) => q instanceof Norm) as Norm;
      expect(norm.kind).toBe(kind);
      // Non-trivial scale and shift, so their gradients and their effect on dx are checked.
      norm.gamma.variable.assign(tf.tensor1d([0.5, 1.5, -1, 2]));
      norm.beta.variable.assign(tf.tensor1d([0.1, -0.2, 0.3, 0]));
      const data = new Rng(6).fill(N * 5 * 5 * 4, 2);
      const shape: [number, number, number, number] = [N, 5, 5, 4];
      const y = tf.tidy(() => {
        const z = norm.forward(tf.tensor4d(data, shape));
        const axes = kind === 'layer' ? [1, 2, 3] : [1, 2];
        const { mean, variance } = tf.moments(tf.div(tf.sub(z, norm.beta.value), norm.gamma.value), axes);
        return [Math.max(...(tf.abs(mean).dataSync() as Float32Array)), Math.max(...(tf.abs(tf.sub(variance, 1)).dataSync() as Float32Array))];
      });
      expect(y[0]).toBeLessThan(1e-5);
      expect(y[1]).toBeLessThan(1e-3);
      expect(expectAutodiffGradients(m, data, shape)).toEqual(['g.conv.weight', `g.${kind}norm.gamma`, `g.${kind}norm.beta`]);
    });
});

describe('padded average pool gradient (not tfjs autodiff, whose AvgPoolGrad shares the bug)', () => {
  // The adjoint of an average that leaves the padding out of its count, written as loops in float64:
  // dx[i] = Σ over the windows o that hold pixel i of r[o] / n[o], n[o] the window's pixels inside the image.
  function adjoint([n, h, w, c]: number[], k: number, s: number, pad: number, [oh, ow]: [number, number], r: Float32Array): Float64Array {
    const dx = new Float64Array(n * h * w * c);
    for (let b = 0; b < n; b++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          const ys = [...Array(k).keys()].map((d) => oy * s - pad + d).filter((y) => y >= 0 && y < h);
          const xs = [...Array(k).keys()].map((d) => ox * s - pad + d).filter((x) => x >= 0 && x < w);
          for (let ch = 0; ch < c; ch++) {
            const g = r[((b * oh + oy) * ow + ox) * c + ch] / (ys.length * xs.length);
            for (const y of ys) for (const x of xs) dx[((b * h + y) * w + x) * c + ch] += g;
          }
        }
    return dx;
  }
  for (const [k, s, hw] of [[3, 1, 4], [3, 2, 5], [5, 1, 6]] as const)
    it(`avg ${k}x${k} stride ${s} 'same' padding on ${hw}x${hw}: the training backward is the exact adjoint`, () => {
      const pad = (k - 1) / 2;
      const b = new GraphBuilder();
      const x = b.input('x', [1, 2, hw, hw]);
      const y = b.node('g.pool', pool('avg', [k, k], [s, s], [pad, pad, pad, pad], false), [x]);
      const [, , oh, ow] = b.shape(y);
      const m = new GraphModule(b.build([y]), 'g', 1);
      const shape: [number, number, number, number] = [1, hw, hw, 2];
      const data = new Rng(9).fill(hw * hw * 2, 1);
      const r = new Rng(10).fill(oh * ow * 2, 1);
      const want = adjoint(shape, k, s, pad, [oh, ow], r);
      const got = tf.tidy(() => {
        m.forward(tf.tensor4d(data, shape), new SavedTensors());
        return m.backward(tf.tensor4d(r, [1, oh, ow, 2]), true)!.dataSync() as Float32Array;
      });
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    });
});
