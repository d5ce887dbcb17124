/**
 * Conv2DBackpropFilter (NHWC): dW[i, j, :, :] = window(i, j)^T dy, one product over rows per tap.
 * The windows are aliases into the input phases (conv-layout.ts), so no im2col matrix is built,
 * and the products run through matMulTN (chunked, untransposed products: the fast path on wasm).
 */
import * as tf from '@tensorflow/tfjs';
import { dyOnGrid, gatherPhases, geometry } from './conv-layout.js';
import { reshaped, trainingKernel } from './host.js';
import { matMulTN } from './matrix.js';

export function conv2dBackpropFilter(backendName: 'wasm' | 'cpu'): tf.KernelConfig {
  return trainingKernel<'x' | 'dy', tf.Conv2DBackpropFilterAttrs>(tf.Conv2DBackpropFilter, backendName, ({ x, dy }, a, host) => {
    if (a.dataFormat !== 'NHWC') throw new Error(`${tf.Conv2DBackpropFilter}: only NHWC is supported, got ${a.dataFormat}`);
    const g = geometry(x.shape, a.filterShape, a.strides, a.pad, false, 1, a.dimRoundingMode);
    const { cin, cout } = g;
    const phases = gatherPhases(host, x, g, cin);
    const grid = dyOnGrid(host, dy, g, phases);
    const rows = phases.rows;
    const dyRows = host.alias(grid, 0, [rows, cout]);
    if (cin === 1) {
      // One input channel (a grey-image stem): every window is a contiguous run, so the taps stack
      // into [taps, rows] with plain copies and one product gives [taps, cout], the filter layout.
      const taps = g.kh * g.kw;
      const stacked = host.alloc([1, taps, rows]);
      const copy = host.copier(stacked, phases.data);
      for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++) copy((i * g.kw + j) * rows, phases.tapOffset(i, j), rows);
      const out = host.run(tf.BatchMatMul, { a: stacked, b: reshaped(dyRows, [1, rows, cout]) }, { transposeA: false, transposeB: false });
      for (const t of [stacked, dyRows, grid, phases.data]) host.dispose(t);
      return reshaped(out, a.filterShape);
    }
    const out = host.alloc(a.filterShape);
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++) {
        const window = host.alias(phases.data, phases.tapOffset(i, j), [rows, cin]);
        const tap = matMulTN(host, window, dyRows);
        host.view(out).set(host.view(tap), (i * g.kw + j) * cin * cout);
        host.dispose(tap);
        host.dispose(window);
      }
    }
    for (const t of [dyRows, grid, phases.data]) host.dispose(t);
    return out;
  });
}
