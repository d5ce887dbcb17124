/**
 * MaxPoolGrad for wasm: tfjs-backend-wasm 4.22's own kernel routes the gradient to wrong positions
 * (it differs from the cpu backend and from a direct computation on every shape tried, see
 * test/train/kernels.test.ts). Here: each output's gradient goes to the first maximum of its window
 * (row-major), as the cpu backend does. Loops over channels innermost, on heap views; max pooling
 * layers are rare in the search spaces, so plain JS is enough.
 */
import * as tf from '@tensorflow/tfjs';
import { trainingKernel } from './host.js';

export function maxPoolGrad(backendName: 'wasm' | 'cpu'): tf.KernelConfig {
  return trainingKernel<'dy' | 'input', tf.MaxPoolGradAttrs>(tf.MaxPoolGrad, backendName, ({ dy, input }, a, host) => {
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
    const out = host.alloc(input.shape);
    const dx = host.view(out);
    const x = host.view(input);
    const g = host.view(dy);
    dx.fill(0);
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
    const { filterHeight: kh, filterWidth: kw } = info;
    const { top, left } = info.padInfo;
    const best = new Float32Array(c);
    const at = new Int32Array(c);
    for (let b = 0; b < n; b++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          best.fill(-Infinity);
          at.fill(-1);
          for (let i = 0; i < kh; i++) {
            const y = oy * sh + i - top;
            if (y < 0 || y >= h) continue;
            for (let j = 0; j < kw; j++) {
              const xx = ox * sw + j - left;
              if (xx < 0 || xx >= w) continue;
              const base = ((b * h + y) * w + xx) * c;
              for (let ch = 0; ch < c; ch++) {
                const v = x[base + ch];
                if (v > best[ch] || at[ch] < 0) {
                  best[ch] = v;
                  at[ch] = base + ch;
                }
              }
            }
          }
          const o = ((b * oh + oy) * ow + ox) * c;
          for (let ch = 0; ch < c; ch++) if (at[ch] >= 0) dx[at[ch]] += g[o + ch];
        }
    return out;
  });
}
