/**
 * Primitives the modules share, chosen for speed on the wasm backend and correct on every backend.
 */
import * as tf from '@tensorflow/tfjs';

/** [n, h, w, c] seen as rows of channels [n*h*w, c] (no copy). */
export function rows(x: tf.Tensor): tf.Tensor2D {
  const c = x.shape[x.shape.length - 1];
  return tf.reshape(x, [-1, c]);
}

/**
 * Mean over rows of [m, c] as [c]. Average pooling over an [1, m, 1, c] image is one pass on
 * wasm (XNNPACK); Mean/Sum over a leading axis would transpose first (~30x slower).
 */
export function columnMeans(x: tf.Tensor): tf.Tensor1D {
  const r = rows(x);
  const m = r.shape[0];
  return tf.reshape(tf.avgPool(tf.reshape(r, [1, m, 1, r.shape[1]]) as tf.Tensor4D, [m, 1], 1, 'valid'), [r.shape[1]]);
}

/** Mean over height and width of [n, h, w, c], as [n, 1, 1, c]. */
export function spatialMeans(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = x.shape;
  return h === 1 && w === 1 ? tf.clone(x) : tf.avgPool(x, [h, w], 1, 'valid');
}

/**
 * act(x * scale + shift) per channel, as a fused 1x1 depthwise convolution: one pass through
 * XNNPACK's channel-wise multiply-add on wasm, 6x faster than broadcasting mul, add and relu6.
 * The kernel is run directly: tf.fused.depthwiseConv2d wraps it in a customGrad whose bookkeeping
 * cost as much as the pass. Under a gradient tape (tests comparing with tfjs autodiff) it falls
 * back to differentiable ops.
 */
export function channelAffine(x: tf.Tensor4D, scale: tf.Tensor1D, shift?: tf.Tensor1D, act: 'linear' | 'relu' | 'relu6' = 'linear'): tf.Tensor4D {
  if ((tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth > 0) {
    const y = tf.mul(x, scale);
    const z = shift ? tf.add(y, shift) : y;
    return (act === 'relu' ? tf.relu(z) : act === 'relu6' ? tf.relu6(z) : z) as tf.Tensor4D;
  }
  const filter = tf.reshape(scale, [1, 1, x.shape[3], 1]);
  const inputs: tf.NamedTensorMap = shift ? { x, filter, bias: shift } : { x, filter };
  const attrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], activation: act };
  return tf.engine().runKernel(tf.FusedDepthwiseConv2D, inputs, attrs as never) as tf.Tensor4D;
}

/** Weight gradient of a conv (any k, stride, padding) through the backend's Conv2DBackpropFilter. */
export function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: number[], stride: number, pad: number): tf.Tensor4D {
  return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: stride, pad, dataFormat: 'NHWC', filterShape } as never) as tf.Tensor4D;
}

export function convInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: number[], stride: number, pad: number): tf.Tensor4D {
  return tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, { strides: stride, pad, dataFormat: 'NHWC', inputShape } as never) as tf.Tensor4D;
}

export function depthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: number[], stride: number, pad: number): tf.Tensor4D {
  return tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, { strides: stride, pad, dilations: 1, filterShape } as never) as tf.Tensor4D;
}

export function depthwiseInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: number[], stride: number, pad: number): tf.Tensor4D {
  return tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter }, { strides: stride, pad, dilations: 1, inputShape } as never) as tf.Tensor4D;
}
