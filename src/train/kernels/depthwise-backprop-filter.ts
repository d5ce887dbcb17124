/**
 * DepthwiseConv2dNativeBackpropFilter: dW[i, j, c] = sum over n, y, x of x[n, s*y+i-pt, s*x+j-pl, c] * dy[n, y, x, c].
 * Per tap: the tap's window of the input phases (an alias, see conv-layout.ts) times dy on the same
 * grid, then the mean over rows (columnMeans) scaled back to a sum. Two passes over the data per tap
 * instead of the k*k strided slices a direct translation would copy.
 */
import * as tf from '@tensorflow/tfjs';
import { dyOnGrid, gatherPhases, geometry } from './conv-layout.js';
import { kernelHost } from './host.js';
import { columnMeans } from './matrix.js';

export function depthwiseConv2dBackpropFilter(backendName: 'wasm' | 'cpu'): tf.KernelConfig {
  return {
    kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
      if (a.filterShape[3] !== 1) throw new Error(`${tf.DepthwiseConv2dNativeBackpropFilter}: channel multiplier ${a.filterShape[3]} is not supported, only 1`);
      const host = kernelHost(backendName, backend);
      const g = geometry(x.shape, a.filterShape, a.strides, a.pad, true, a.dilations, a.dimRoundingMode);
      const c = g.cin;
      const phases = gatherPhases(host, x, g, c);
      const grid = dyOnGrid(host, dy, g, phases);
      const rows = phases.rows;
      const dyRows = host.alias(grid, 0, [rows, c]);
      const out = host.alloc(a.filterShape);
      for (let i = 0; i < g.kh; i++) {
        for (let j = 0; j < g.kw; j++) {
          const window = host.alias(phases.data, phases.tapOffset(i, j), [rows, c]);
          const product = host.run(tf.Multiply, { a: window, b: dyRows });
          const means = columnMeans(host, product);
          const m = host.view(means);
          const o = host.view(out);
          const at = (i * g.kw + j) * c;
          for (let ch = 0; ch < c; ch++) o[at + ch] = m[ch] * rows;
          for (const t of [means, product, window]) host.dispose(t);
        }
      }
      for (const t of [dyRows, grid, phases.data]) host.dispose(t);
      return out;
    },
  };
}
