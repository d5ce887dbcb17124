/**
 * Input gradients of conv2d and depthwise conv2d as *forward* convolutions, which the wasm backend
 * runs through XNNPACK: dx = conv(dy with zeros between pixels and a border, filter rotated 180°,
 * and for conv2d its in/out channels swapped), stride 1. wasm's own Conv2DBackpropInput is
 * a plain loop (~15x slower than this on a 3x3 16->16 layer); DepthwiseConv2dNativeBackpropInput it
 * does not have at all.
 */
import * as tf from '@tensorflow/tfjs';
import { dilatedDy, geometry } from './conv-layout.js';
import { trainingKernel } from './host.js';

export function depthwiseConv2dBackpropInput(backendName: 'wasm' | 'cpu'): tf.KernelConfig {
  return trainingKernel<'dy' | 'filter', tf.DepthwiseConv2dNativeBackpropInputAttrs>(tf.DepthwiseConv2dNativeBackpropInput, backendName, ({ dy, filter }, a, host) => {
    if (filter.shape[3] !== 1) throw new Error(`${tf.DepthwiseConv2dNativeBackpropInput}: channel multiplier ${filter.shape[3]} is not supported, only 1`);
    const g = geometry(a.inputShape, filter.shape, a.strides, a.pad, true, a.dilations, a.dimRoundingMode);
    const dilated = dilatedDy(host, dy, g);
    const rotated = host.alloc(filter.shape);
    const w = host.view(filter);
    const r = host.view(rotated);
    const c = g.cin;
    for (let i = 0; i < g.kh; i++)
      for (let j = 0; j < g.kw; j++) {
        const from = ((g.kh - 1 - i) * g.kw + (g.kw - 1 - j)) * c;
        r.set(w.subarray(from, from + c), (i * g.kw + j) * c);
      }
    const dx = host.run(tf.DepthwiseConv2dNative, { x: dilated.x, filter: rotated }, { strides: [1, 1], pad: dilated.pad, dilations: [1, 1] } as never);
    host.dispose(rotated);
    host.dispose(dilated.x);
    return dx;
  });
}

export function conv2dBackpropInput(backendName: 'wasm' | 'cpu'): tf.KernelConfig {
  return trainingKernel<'dy' | 'filter', tf.Conv2DBackpropInputAttrs>(tf.Conv2DBackpropInput, backendName, ({ dy, filter }, a, host) => {
    if (a.dataFormat !== 'NHWC') throw new Error(`${tf.Conv2DBackpropInput}: only NHWC is supported, got ${a.dataFormat}`);
    const g = geometry(a.inputShape, filter.shape, a.strides, a.pad, false, 1, a.dimRoundingMode);
    const { kh, kw, cin, cout } = g;
    const dilated = dilatedDy(host, dy, g);
    const rotated = host.alloc([kh, kw, cout, cin]);
    const w = host.view(filter);
    const r = host.view(rotated);
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++) {
        const from = ((kh - 1 - i) * kw + (kw - 1 - j)) * cin * cout;
        const to = (i * kw + j) * cout * cin;
        for (let ci = 0; ci < cin; ci++) for (let co = 0; co < cout; co++) r[to + co * cin + ci] = w[from + ci * cout + co];
      }
    const dx = host.run(tf.Conv2D, { x: dilated.x, filter: rotated }, { strides: [1, 1], pad: dilated.pad, dataFormat: 'NHWC', dilations: [1, 1] } as never);
    host.dispose(rotated);
    host.dispose(dilated.x);
    return dx;
  });
}
