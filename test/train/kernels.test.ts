import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { useTrainingBackend } from '../../src/train/backend.js';
import { registerTrainingKernels } from '../../src/train/kernels/register.js';

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
      // Direct sum: dW[i, j, ch] = sum of x[b, s*y+i-pad, s*x+j-pad, ch] * dy[b, y, x, ch].
      const want = new Float32Array(k * k * c);
      for (let b = 0; b < n; b++)
        for (let y = 0; y < out; y++)
          for (let xx = 0; xx < out; xx++)
            for (let i = 0; i < k; i++)
              for (let j = 0; j < k; j++) {
                const yi = stride * y + i - pad;
                const xj = stride * xx + j - pad;
                if (yi < 0 || yi >= size || xj < 0 || xj >= size) continue;
                const xo = ((b * size + yi) * size + xj) * c;
                const dyo = ((b * out + y) * out + xx) * c;
                for (let ch = 0; ch < c; ch++) want[(i * k + j) * c + ch] += x[xo + ch] * dy[dyo + ch];
              }
      expect(relError(got, want), `k${k} s${stride}`).toBeLessThan(1e-4);
    }
  });

  it('restore what the backend had', () => {
    const stock = tf.getKernel(tf.Conv2DBackpropInput, 'cpu');
    const restore = registerTrainingKernels('cpu');
    expect(tf.getKernel(tf.Conv2DBackpropInput, 'cpu')).not.toBe(stock);
    restore();
    expect(tf.getKernel(tf.Conv2DBackpropInput, 'cpu')).toBe(stock);
  });
});
