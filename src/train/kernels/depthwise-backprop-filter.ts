/**
 * DepthwiseConv2dNativeBackpropFilter: dW[i, j, c] = sum over n, y, x of x[n, s*y+i-pt, s*x+j-pl, c] * dy[n, y, x, c].
 * Per tap: the tap's window of the input phases (an alias, see conv-layout.ts) times dy on the same
 * grid, then the mean over rows (columnMeans) scaled back to a sum. Two passes over the data per tap
 * instead of the k*k strided slices a direct translation would copy; the rows go in blocks.
 */
import * as tf from '@tensorflow/tfjs';
import { dyOnGrid, gatherPhases, geometry } from './conv-layout.js';
import { trainingKernel } from './host.js';
import { columnMeans } from './matrix.js';

/**
 * Floats per block of rows (2 MB): a block of the input, its windows and dy stay in cache while the
 * k*k taps (overlapping windows) read them. Measured on the 28x28x48 layer: 13-14 ms unblocked,
 * 8.5-11 ms with 2 MB blocks; blocks of 64 KB or less lose more to per-call overhead than they gain.
 */
const BLOCK_FLOATS = 1 << 19;

export function depthwiseConv2dBackpropFilter(backendName: 'wasm' | 'cpu'): tf.KernelConfig {
  return trainingKernel<'x' | 'dy', tf.DepthwiseConv2dNativeBackpropFilterAttrs>(tf.DepthwiseConv2dNativeBackpropFilter, backendName, ({ x, dy }, a, host) => {
    if (a.filterShape[3] !== 1) throw new Error(`${tf.DepthwiseConv2dNativeBackpropFilter}: channel multiplier ${a.filterShape[3]} is not supported, only 1`);
    const g = geometry(x.shape, a.filterShape, a.strides, a.pad, true, a.dilations, a.dimRoundingMode);
    const c = g.cin;
    const phases = gatherPhases(host, x, g, c);
    const grid = dyOnGrid(host, dy, g, phases);
    const rows = phases.rows;
    // Rows in blocks that stay in cache while all k*k taps read them (the taps' windows overlap).
    const sums = new Float64Array(g.kh * g.kw * c);
    const blockRows = Math.max(64, Math.floor(BLOCK_FLOATS / c));
    for (let r0 = 0; r0 < rows; r0 += blockRows) {
      const n = Math.min(blockRows, rows - r0);
      const dyBlock = host.alias(grid, r0 * c, [n, c]);
      for (let t = 0; t < g.kh * g.kw; t++) {
        const window = host.alias(phases.data, phases.tapOffset(Math.floor(t / g.kw), t % g.kw) + r0 * c, [n, c]);
        const product = host.run(tf.Multiply, { a: window, b: dyBlock });
        const means = columnMeans(host, product);
        const m = host.view(means);
        for (let ch = 0; ch < c; ch++) sums[t * c + ch] += m[ch] * n;
        for (const x of [means, product, window]) host.dispose(x);
      }
      host.dispose(dyBlock);
    }
    for (const t of [grid, phases.data]) host.dispose(t);
    const out = host.alloc(a.filterShape);
    host.view(out).set(sums);
    return out;
  });
}
