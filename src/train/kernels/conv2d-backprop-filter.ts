/**
 * Conv2DBackpropFilter (NHWC), in one of two forms, picked per shape (`filterGradForm`):
 * - taps: dW[i, j, :, :] = window(i, j)^T dy, one product over rows per tap. The windows are aliases
 *   into the input phases (conv-layout.ts), so no im2col matrix is built, and the products run
 *   through matMulTN (chunked, untransposed products: the fast path on wasm).
 * - conv: the whole gradient as one forward convolution, which the backend runs through XNNPACK:
 *   dW[i, j, ci, co] = Σ_{n,y,x} x[n, s·y+i−pt, s·x+j−pl, ci] · dy[n, y, x, co] is a conv of x seen as
 *   [cin, h, w, n] (cin images of n channels) by dy seen as the filter [oh, ow, n, cout], dilated by
 *   the stride, with the conv's padding as its own: its output [cin, kh, kw, cout] is dW up to a
 *   transpose. Costs two transposes and the packing of dy as a filter; it pays off for k > 1 and
 *   more than one input channel on wasm, where the taps form runs k·k products: 1.4–7× faster
 *   (docs/benchmarks.md, bench/conv-filter-grad.ts). The depthwise gradient stays per tap: as one
 *   depthwise convolution it measured 1.7–6× slower.
 */
import * as tf from '@tensorflow/tfjs';
import { dyOnGrid, gatherPhases, geometry, type ConvGeometry } from './conv-layout.js';
import { reshaped, trainingKernel, type KernelHost } from './host.js';
import { matMulTN } from './matrix.js';

type Info = tf.TensorInfo;

/** How the filter gradient is computed: `auto` picks per shape; the others force a form (benches, tests). */
export type FilterGradForm = 'auto' | 'taps' | 'conv';

/** The form `auto` takes for a conv of this geometry on this backend (measured: docs/benchmarks.md). */
export function filterGradForm(g: ConvGeometry, backendName: 'wasm' | 'cpu'): 'taps' | 'conv' {
  // 1×1: the taps form is one product and needs no transposes (1.4–5× faster). One input channel (a
  // grey-image stem): the taps stack into one product (1.5–1.6× faster at 64×28×28).
  return backendName === 'wasm' && g.kh * g.kw > 1 && g.cin > 1 ? 'conv' : 'taps';
}

export function conv2dBackpropFilter(backendName: 'wasm' | 'cpu', form: FilterGradForm = 'auto'): tf.KernelConfig {
  return trainingKernel<'x' | 'dy', tf.Conv2DBackpropFilterAttrs>(tf.Conv2DBackpropFilter, backendName, ({ x, dy }, a, host) => {
    if (a.dataFormat !== 'NHWC') throw new Error(`${tf.Conv2DBackpropFilter}: only NHWC is supported, got ${a.dataFormat}`);
    const g = geometry(x.shape, a.filterShape, a.strides, a.pad, false, 1, a.dimRoundingMode);
    const chosen = form === 'auto' ? filterGradForm(g, backendName) : form;
    return chosen === 'conv' ? byConvolution(host, x, dy, g) : byTaps(host, x, dy, g, a.filterShape);
  });
}

function byConvolution(host: KernelHost, x: Info, dy: Info, g: ConvGeometry): Info {
  const { kh, kw, cin, cout, sh, sw, pt, pl } = g;
  // Bottom/right padding up to what the last window reads; rows past it (a stride that leaves the
  // input's last rows unread) make the conv's output taller than kh, and are dropped below.
  const pb = Math.max(0, (g.oh - 1) * sh + kh - g.h - pt);
  const pr = Math.max(0, (g.ow - 1) * sw + kw - g.w - pl);
  const images = host.run(tf.Transpose, { x }, { perm: [3, 1, 2, 0] });
  const filter = host.run(tf.Transpose, { x: dy }, { perm: [1, 2, 0, 3] });
  const attrs = { strides: [1, 1], pad: [[0, 0], [pt, pb], [pl, pr], [0, 0]], dataFormat: 'NHWC', dilations: [sh, sw] };
  const r = host.run(tf.Conv2D, { x: images, filter }, attrs as never);
  host.dispose(images);
  host.dispose(filter);
  // [cin, rh, rw, cout] -> [kh, kw, cin, cout], runs of cout.
  const [, rh, rw] = r.shape;
  const out = host.alloc([kh, kw, cin, cout]);
  const copy = host.copier(out, r);
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let ci = 0; ci < cin; ci++) copy(((i * kw + j) * cin + ci) * cout, ((ci * rh + i) * rw + j) * cout, cout);
  host.dispose(r);
  return out;
}

function byTaps(host: KernelHost, x: Info, dy: Info, g: ConvGeometry, filterShape: number[]): Info {
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
    return reshaped(out, filterShape);
  }
  const out = host.alloc(filterShape);
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
}
