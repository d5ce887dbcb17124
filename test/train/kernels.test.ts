import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { useTrainingBackend } from '../../src/train/backend.js';
import { geometry } from '../../src/train/kernels/conv-layout.js';
import { registerTrainingKernels, withFilterGradForm } from '../../src/train/kernels/register.js';
import { GeneralConv } from '../../src/train/nn/general-conv.js';
import { SavedTensors } from '../../src/train/nn/module.js';

type Pad = number | 'same' | 'valid';
interface Case {
  depthwise: boolean;
  k: number;
  stride: number;
  pad: Pad;
  size: number;
  cin: number;
  cout: number;
}

/** Gradients of sum((conv(x, w))^2) w.r.t. x and w on the current backend. */
function gradients(c: Case, xv: Float32Array, wv: Float32Array): [Float32Array, Float32Array] {
  return tf.tidy(() => {
    const x = tf.tensor4d(xv, [2, c.size, c.size, c.cin]);
    const w = tf.tensor4d(wv, [c.k, c.k, c.cin, c.depthwise ? 1 : c.cout]);
    const f = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.sum(tf.square(c.depthwise ? tf.depthwiseConv2d(a, b, c.stride, c.pad) : tf.conv2d(a, b, c.stride, c.pad)));
    const [gx, gw] = tf.grads(f as (...t: tf.Tensor[]) => tf.Tensor)([x, w]);
    return [gx.dataSync() as Float32Array, gw.dataSync() as Float32Array];
  });
}

function relError(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return d / s;
}

const CASES: Case[] = [];
for (const depthwise of [true, false])
  for (const [k, stride, pad, size] of [
    [3, 1, 'same', 8],
    [3, 2, 'same', 8],
    [3, 2, 1, 7],
    [5, 2, 2, 9],
    [1, 1, 0, 6],
    [1, 2, 0, 7],
    [3, 1, 'valid', 6],
  ] as const)
    CASES.push({ depthwise, k, stride, pad, size, cin: 5, cout: depthwise ? 5 : 3 });
// One input channel (grey-image stems) takes its own path in Conv2DBackpropFilter.
CASES.push({ depthwise: false, k: 3, stride: 1, pad: 'same', size: 8, cin: 1, cout: 4 }, { depthwise: false, k: 3, stride: 2, pad: 1, size: 9, cin: 1, cout: 4 });

/** A random filter-gradient problem: any kernel size up to 5 (not square), stride 1-3, same/valid/explicit padding. */
interface FilterCase {
  depthwise: boolean;
  x: [number, number, number, number];
  filterShape: [number, number, number, number];
  stride: [number, number];
  pad: number | 'same' | 'valid';
}

function randomFilterCases(rng: Rng, count: number): FilterCase[] {
  const out: FilterCase[] = [];
  while (out.length < count) {
    const depthwise = out.length % 3 === 2;
    const [kh, kw] = [1 + rng.int(5), 1 + rng.int(5)];
    const pad = rng.pick(['same', 'valid', 0, 1, 2] as const);
    const x: [number, number, number, number] = [1 + rng.int(3), 3 + rng.int(8), 3 + rng.int(8), 1 + rng.int(6)];
    const cout = depthwise ? 1 : 1 + rng.int(5);
    const c: FilterCase = { depthwise, x, filterShape: [kh, kw, x[3], cout], stride: [1 + rng.int(3), 1 + rng.int(3)], pad };
    // tfjs requires pads smaller than the kernel to keep the geometry meaningful; skip empty outputs.
    if (typeof pad === 'number' && (pad >= kh || pad >= kw)) continue;
    const g = geometry(x, c.filterShape, c.stride, pad, depthwise);
    if (g.oh < 1 || g.ow < 1) continue;
    out.push(c);
  }
  return out;
}

/** The filter gradient summed directly in float64. */
function directFilterGrad(c: FilterCase, x: Float32Array, dy: Float32Array): Float64Array {
  const g = geometry(c.x, c.filterShape, c.stride, c.pad, c.depthwise);
  const { n, h, w, cin, oh, ow, kh, kw, sh, sw, pt, pl } = g;
  const cout = c.depthwise ? cin : c.filterShape[3];
  const out = new Float64Array(kh * kw * cin * (c.depthwise ? 1 : cout));
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++)
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const yi = sh * y + i - pt;
            const xj = sw * xx + j - pl;
            if (yi < 0 || yi >= h || xj < 0 || xj >= w) continue;
            const xo = ((b * h + yi) * w + xj) * cin;
            const dyo = ((b * oh + y) * ow + xx) * cout;
            for (let ci = 0; ci < cin; ci++) {
              if (c.depthwise) out[(i * kw + j) * cin + ci] += x[xo + ci] * dy[dyo + ci];
              else for (let co = 0; co < cout; co++) out[((i * kw + j) * cin + ci) * cout + co] += x[xo + ci] * dy[dyo + co];
            }
          }
  return out;
}

describe('training kernels', () => {
  let restoreCpu: (() => void) | undefined;
  beforeAll(async () => {
    await useTrainingBackend('wasm');
  });
  afterAll(() => restoreCpu?.());

  const rng = new Rng(7);
  const inputs = CASES.map((c) => [rng.fill(2 * c.size * c.size * c.cin), rng.fill(c.k * c.k * c.cin * (c.depthwise ? 1 : c.cout))] as const);

  it('on wasm match the cpu backend’s own gradients (dx and dW, stride 1 and 2, same/valid/explicit padding)', async () => {
    await tf.setBackend('cpu');
    const reference = CASES.map((c, i) => gradients(c, ...inputs[i]));
    await tf.setBackend('wasm');
    CASES.forEach((c, i) => {
      const [dx, dw] = gradients(c, ...inputs[i]);
      const what = `${c.depthwise ? 'depthwise' : 'conv'} k${c.k} s${c.stride} pad ${c.pad}`;
      expect(relError(dx, reference[i][0]), `${what} dx`).toBeLessThan(1e-4);
      expect(relError(dw, reference[i][1]), `${what} dW`).toBeLessThan(1e-4);
    });
  });

  it('replace the cpu backend’s kernels with the same results', async () => {
    await tf.setBackend('cpu');
    const reference = CASES.map((c, i) => gradients(c, ...inputs[i]));
    restoreCpu = registerTrainingKernels('cpu');
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'cpu')!.kernelFunc).not.toBe(undefined);
    CASES.forEach((c, i) => {
      const [dx, dw] = gradients(c, ...inputs[i]);
      expect(relError(dx, reference[i][0])).toBeLessThan(1e-4);
      expect(relError(dw, reference[i][1])).toBeLessThan(1e-4);
    });
    restoreCpu();
    restoreCpu = undefined;
    await tf.setBackend('wasm');
  });

  it('route the max-pool gradient to the window maxima on wasm (its stock MaxPoolGrad does not)', async () => {
    const shape: [number, number, number, number] = [3, 6, 6, 5];
    const x = rng.fill(3 * 36 * 5);
    const dyv = rng.fill(3 * 36 * 5);
    const grad = (k: number, s: number, pad: number | 'valid') =>
      tf.tidy(() => {
        const input = tf.tensor4d(x, shape);
        const output = tf.maxPool(input, k, s, pad);
        const dy = tf.tensor4d(dyv.subarray(0, output.size), output.shape);
        return tf.engine().runKernel(tf.MaxPoolGrad, { dy, input, output }, { filterSize: k, strides: s, pad } as never) as tf.Tensor;
      }).dataSync() as Float32Array;
    const cases = [[3, 1, 1], [3, 2, 1], [2, 2, 'valid']] as const;
    await tf.setBackend('cpu');
    const reference = cases.map(([k, s, p]) => grad(k, s, p));
    await tf.setBackend('wasm');
    cases.forEach(([k, s, p], i) => expect(relError(grad(k, s, p), reference[i]), `k${k} s${s} ${p}`).toBeLessThan(1e-6));
  });

  it('sum a large depthwise filter gradient over several blocks of rows exactly', () => {
    const [n, size, c] = [2, 96, 64];
    const x = rng.fill(n * size * size * c);
    for (const [k, stride] of [[3, 1], [5, 2]]) {
      const pad = (k - 1) / 2;
      const out = Math.floor((size + 2 * pad - k) / stride) + 1;
      const dy = rng.fill(n * out * out * c);
      const got = tf.tidy(() =>
        (
          tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x: tf.tensor4d(x, [n, size, size, c]), dy: tf.tensor4d(dy, [n, out, out, c]) }, {
            strides: stride,
            pad,
            dilations: 1,
            filterShape: [k, k, c, 1],
          } as never) as tf.Tensor
        ).dataSync(),
      ) as Float32Array;
      const want = Float32Array.from(directFilterGrad({ depthwise: true, x: [n, size, size, c], filterShape: [k, k, c, 1], stride: [stride, stride], pad }, x, dy));
      expect(relError(got, want), `k${k} s${stride}`).toBeLessThan(1e-4);
    }
  });

  it('compute the filter gradient as the direct sum on random shapes, the conv gradient in both forms (per-tap products, one convolution)', async () => {
    const cases = randomFilterCases(new Rng(11), 36);
    const data = cases.map((c) => {
      const g = geometry(c.x, c.filterShape, c.stride, c.pad, c.depthwise);
      const r = new Rng(cases.indexOf(c) + 100);
      const x = r.fill(c.x.reduce((a, b) => a * b, 1));
      const dy = r.fill(g.n * g.oh * g.ow * g.cout);
      return { x, dy, dyShape: [g.n, g.oh, g.ow, g.cout], want: directFilterGrad(c, x, dy) };
    });
    const restore = registerTrainingKernels('cpu');
    try {
      for (const backend of ['wasm', 'cpu'] as const) {
        await tf.setBackend(backend);
        for (const form of ['taps', 'conv', 'auto'] as const)
          cases.forEach((c, i) => {
            // The form applies to Conv2DBackpropFilter; the depthwise gradient has one (checked once).
            if (c.depthwise && form !== 'auto') return;
            const { x, dy, dyShape, want } = data[i];
            const attrs = c.depthwise ? { strides: c.stride, pad: c.pad, dilations: 1, filterShape: c.filterShape } : { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filterShape };
            const kernel = c.depthwise ? tf.DepthwiseConv2dNativeBackpropFilter : tf.Conv2DBackpropFilter;
            const got = withFilterGradForm(backend, form, () =>
              tf.tidy(() => (tf.engine().runKernel(kernel, { x: tf.tensor4d(x, c.x), dy: tf.tensor(dy, dyShape) }, attrs as never) as tf.Tensor).dataSync() as Float32Array),
            );
            const what = `${backend} ${form} ${c.depthwise ? 'depthwise' : 'conv'} x [${c.x}] filter [${c.filterShape}] stride [${c.stride}] pad ${c.pad}`;
            expect(got.length, what).toBe(want.length);
            expect(relError(got, Float32Array.from(want)), what).toBeLessThan(1e-5);
          });
      }
    } finally {
      restore();
      await tf.setBackend('wasm');
    }
  });

  it('give a grouped, strided, asymmetrically padded conv the same weight gradient in both forms', () => {
    const conv = new GeneralConv('g', { cin: 6, cout: 9, kernel: [3, 2], stride: [2, 1], pads: [1, 0, 2, 1], dilation: [1, 1], groups: 3 }, { seed: 3, act: 'relu' });
    const r = new Rng(4);
    const x = r.fill(2 * 9 * 8 * 6);
    const grads = (['taps', 'conv'] as const).map((form) =>
      withFilterGradForm('wasm', form, () => {
        const saved = new SavedTensors();
        const y = conv.forward(tf.tensor4d(x, [2, 9, 8, 6]), saved);
        conv.backward(tf.tensor4d(new Rng(5).fill(y.size), y.shape), false);
        const gw = conv.weight.grad!.dataSync() as Float32Array;
        conv.weight.clearGrad();
        saved.release();
        return gw;
      }),
    );
    expect(relError(grads[1], grads[0])).toBeLessThan(1e-5);
  });

  it('restore what the backend had', () => {
    const stock = tf.getKernel(tf.Conv2DBackpropInput, 'cpu');
    const restore = registerTrainingKernels('cpu');
    expect(tf.getKernel(tf.Conv2DBackpropInput, 'cpu')).not.toBe(stock);
    restore();
    expect(tf.getKernel(tf.Conv2DBackpropInput, 'cpu')).toBe(stock);
  });
});
