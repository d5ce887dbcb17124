/**
 * The tfjs counterparts of export/blocks/layers.ts: a convolution with BatchNorm folded into its bias,
 * the activations, squeeze-excitation. Tensors are NHWC (the layout every tfjs backend runs natively;
 * tfjs-wasm has no NCHW conv at all), so NCHW catalog shapes are read as [n, c, h, w] and built as
 * [n, h, w, c].
 *
 * Weights come from the exporter's generator (export/weights.ts) under the exporter's tensor names,
 * transposed from PyTorch layout, so a tfjs block computes the same function as the ONNX model of the
 * same instance and seed (test/devices/tfjs.test.ts compares the two).
 *
 * Building creates the weight tensors once; what is returned is a Forward, the part that is timed.
 */
import type * as TF from '@tensorflow/tfjs';
import type { Act } from '../../src/core/ops.js';
import { actGain, type Weights } from '../../export/weights.js';

/** A conv as the ONNX exporter's blocks described it (export/blocks/ is now src/core/lower + export/onnx/primitives). */
export interface ConvOptions {
  cin: number;
  cout: number;
  k: number;
  stride?: number;
  groups?: number;
  dilation?: number;
  /** Weight gain: actGain of the activation after the conv, times any extra factor (see src/core/lower/gains.ts). */
  gain: number;
  /** False for a conv with neither bias nor BatchNorm after it (NB201's shortcut). */
  bias?: boolean;
}

export type Tensor = TF.Tensor4D;
export type Forward = (x: Tensor) => Tensor;

export interface BuildContext {
  tf: typeof TF;
  weights: Weights;
  /** Every tensor built; disposed with the model. */
  owned: TF.Tensor[];
}


function keep<T extends TF.Tensor>(ctx: BuildContext, t: T): T {
  ctx.owned.push(t);
  return t;
}

/** Activations tfjs can fuse into a conv / matMul kernel, as its graph converter does. */
type FusedAct = 'relu' | 'relu6' | 'linear';
function fusable(act: Act): FusedAct | undefined {
  return act === 'none' ? 'linear' : act === 'relu' || act === 'relu6' ? act : undefined;
}

/** relu / relu6 / hswish (x·relu6(x+3)/6, ONNX HardSwish) / swish (x·sigmoid(x)) / none. */
export function activate(tf: typeof TF, x: Tensor, act: Act): Tensor {
  switch (act) {
    case 'none':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'hswish':
      return tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6));
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
  }
}

/**
 * A same-padded Conv (pad = dilation·(k−1)/2 each side) with bias, then `act`; relu/relu6 fused into
 * the kernel. Depthwise (groups = cin) runs tf.depthwiseConv2d; other group counts run one conv per
 * group and concatenate, which is how tfjs, lacking grouped conv, would have to run them.
 */
export function conv(ctx: BuildContext, name: string, o: ConvOptions, act: Act = 'none'): Forward {
  const { tf } = ctx;
  const stride = o.stride ?? 1;
  const groups = o.groups ?? 1;
  const dilation = o.dilation ?? 1;
  const pad = Math.floor((dilation * (o.k - 1)) / 2);
  const gin = o.cin / groups;
  const gout = o.cout / groups;
  const w = ctx.weights.weight(`${name}.weight`, [o.cout, gin, o.k, o.k], gin * o.k * o.k, o.gain);
  const b = o.bias ?? true ? ctx.weights.bias(`${name}.bias`, [o.cout]) : undefined;
  const fused = fusable(act);
  const post = (y: Tensor) => (fused ? y : activate(tf, y, act));
  const activation = fused ?? 'linear';

  if (groups === 1 || groups === o.cin) {
    const depthwise = groups !== 1;
    // PyTorch [cout, cin/g, k, k] → tfjs conv [k, k, cin, cout]; depthwise: [cin·m, 1, k, k] → [k, k, cin, m].
    const filter = keep(
      ctx,
      tf.tidy(() =>
        depthwise
          ? tf.transpose(tf.tensor4d(w, [o.cin, gout, o.k, o.k]), [2, 3, 0, 1])
          : tf.transpose(tf.tensor4d(w, [o.cout, gin, o.k, o.k]), [2, 3, 1, 0]),
      ) as TF.Tensor4D,
    );
    const bias = b ? keep(ctx, tf.tensor1d(b)) : undefined;
    const args = { filter, strides: stride, pad, dilations: dilation, bias, activation } as const;
    return depthwise ? (x) => post(tf.fused.depthwiseConv2d({ x, ...args })) : (x) => post(tf.fused.conv2d({ x, ...args }));
  }

  const parts = Array.from({ length: groups }, (_, g) => {
    const filter = keep(
      ctx,
      tf.tidy(() => tf.transpose(tf.tensor4d(w.subarray(g * gout * gin * o.k * o.k, (g + 1) * gout * gin * o.k * o.k), [gout, gin, o.k, o.k]), [2, 3, 1, 0])) as TF.Tensor4D,
    );
    const bias = b ? keep(ctx, tf.tensor1d(b.subarray(g * gout, (g + 1) * gout))) : undefined;
    return { filter, bias };
  });
  return (x) => {
    const slices = tf.split(x, groups, 3) as Tensor[];
    const outs = slices.map((s, g) => tf.fused.conv2d({ x: s, filter: parts[g].filter, strides: stride, pad, dilations: dilation, bias: parts[g].bias, activation }));
    return post(tf.concat(outs, 3));
  };
}

/** GlobalAveragePool → 1×1 conv reduce + act → 1×1 conv expand → sigmoid → scale (export/blocks/se.ts). */
export function squeezeExcite(ctx: BuildContext, name: string, channels: number, reduced: number, act: Act): Forward {
  const { tf } = ctx;
  const reduce = conv(ctx, `${name}.reduce`, { cin: channels, cout: reduced, k: 1, gain: actGain(act) }, act);
  const expand = conv(ctx, `${name}.expand`, { cin: reduced, cout: channels, k: 1, gain: 1 });
  return (x) => tf.mul(x, tf.sigmoid(expand(reduce(tf.mean(x, [1, 2], true) as Tensor))));
}
