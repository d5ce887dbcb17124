/**
 * A convolution in its general form (the ONNX Conv attributes): kh×kw kernel, separate strides,
 * explicit pads [top, left, bottom, right], dilation and groups; no bias (a BatchNorm follows, or
 * nothing). conv.ts keeps the fast square 'same' cases; this one serves the rest (DARTS dil_conv,
 * factorized 1×N / N×1 convs, ResNeXt / RegNet group widths, FBNet's group-2 pointwise).
 *
 * How each generalisation is computed, with the same gradient kernels as conv.ts:
 * - pads: the input is padded explicitly (tf.pad) and the conv runs 'valid'; the input gradient is
 *   cropped back. Asymmetric pads need nothing more.
 * - dilation d: a dilated conv is a plain conv with a zero-inserted kernel of (k−1)·d+1 taps
 *   (the training kernels and tfjs's conv gradients support dilation 1 only); the gradient of that
 *   kernel is gathered back to the k×k taps. Costs the zero taps' MACs, which is fine for training.
 * - groups: depthwise (one input channel per group, as many outputs as inputs) through the
 *   depthwise kernels; otherwise one conv per group on its channel slice, outputs concatenated.
 *   Per-group convs do only the group's MACs (a block-diagonal weight would do `groups` times more).
 * Weight layout [kh, kw, cin/groups, cout] (tfjs); output channel o belongs to group o / (cout/groups),
 * as in ONNX, so fold.ts transposes it to [cout, cin/groups, kh, kw] like any conv.
 */
import * as tf from '@tensorflow/tfjs';
import { heStd, normal } from './init.js';
import { Param, type Module, type TrainContext } from './module.js';

type T4 = tf.Tensor4D;
type Pair = readonly [number, number];

export interface GeneralConvSpec {
  cin: number;
  cout: number;
  kernel: Pair;
  stride: Pair;
  /** [top, left, bottom, right]. */
  pads: readonly [number, number, number, number];
  dilation: Pair;
  groups: number;
}

/** w [kh, kw, ci, co] with d−1 zero rows/columns between taps: [(kh−1)·dh+1, (kw−1)·dw+1, ci, co]. */
export function dilateKernel(w: T4, [dh, dw]: Pair): T4 {
  if (dh === 1 && dw === 1) return w;
  const [kh, kw, ci, co] = w.shape;
  return tf.tidy(() => {
    const spread = tf.pad(tf.reshape(w, [kh, 1, kw, 1, ci * co]), [[0, 0], [0, dh - 1], [0, 0], [0, dw - 1], [0, 0]]);
    const full = tf.reshape(spread, [kh * dh, kw * dw, ci, co]);
    return tf.slice(full, [0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, ci, co]) as T4;
  });
}

/** The inverse gather of dilateKernel: the gradient of the k×k taps from that of the dilated kernel. */
export function undilateGrad(g: T4, [kh, kw]: Pair, [dh, dw]: Pair): T4 {
  if (dh === 1 && dw === 1) return g;
  const [, , ci, co] = g.shape;
  return tf.tidy(() => {
    const padded = tf.pad(g, [[0, dh - 1], [0, dw - 1], [0, 0], [0, 0]]);
    const grid = tf.reshape(padded, [kh, dh, kw, dw, ci * co]);
    return tf.reshape(tf.slice(grid, [0, 0, 0, 0, 0], [kh, 1, kw, 1, ci * co]), [kh, kw, ci, co]) as T4;
  });
}

const run = <T extends tf.Tensor>(kernel: string, inputs: tf.NamedTensorMap, attrs: object) => tf.engine().runKernel(kernel, inputs, attrs as never) as T;

export class GeneralConv implements Module {
  readonly weight: Param;
  private x?: T4;
  constructor(
    readonly name: string,
    readonly spec: GeneralConvSpec,
    init: { seed: number; act: string },
  ) {
    const { cin, cout, kernel, groups } = spec;
    if (cin % groups || cout % groups) throw new Error(`${name}: groups ${groups} do not divide ${cin} -> ${cout} channels`);
    const shape = [kernel[0], kernel[1], cin / groups, cout];
    this.weight = new Param(`${name}.weight`, normal(init.seed, `${name}.weight`, shape, heStd(kernel[0] * kernel[1] * (cin / groups), init.act)), 'weight');
  }
  /** One input channel per group and as many outputs as inputs: the depthwise kernels. */
  private get depthwise(): boolean {
    const { cin, cout, groups } = this.spec;
    return groups === cin && cout === cin && cin > 1;
  }
  private pad(x: T4): T4 {
    const [t, l, b, r] = this.spec.pads;
    return t || l || b || r ? (tf.pad(x, [[0, 0], [t, b], [l, r], [0, 0]]) as T4) : x;
  }
  /** The weight of group `i` (all of it for groups 1). */
  private groupSlice(t: T4, axis: 3, i: number, size: number): T4 {
    return this.spec.groups === 1 ? t : (tf.slice(t, [0, 0, 0, i * size].map((v, a) => (a === axis ? v : 0)), [-1, -1, -1, size]) as T4);
  }
  forward(x: T4, ctx?: TrainContext): T4 {
    return tf.tidy(() => {
      const xp = this.pad(x);
      if (ctx) this.x = ctx.save(xp);
      const w = dilateKernel(this.weight.value as T4, this.spec.dilation);
      const strides = [...this.spec.stride] as [number, number];
      const { cin, cout, groups } = this.spec;
      if (this.depthwise) return tf.depthwiseConv2d(xp, tf.reshape(w, [w.shape[0], w.shape[1], cin, 1]) as T4, strides, 'valid');
      if (groups === 1) return tf.conv2d(xp, w, strides, 'valid');
      const outs = Array.from({ length: groups }, (_, i) => tf.conv2d(this.groupSlice(xp, 3, i, cin / groups), this.groupSlice(w, 3, i, cout / groups), strides, 'valid'));
      return tf.concat(outs, 3) as T4;
    });
  }
  backward(dy: T4, needInput: boolean): T4 | null {
    const xp = this.x!;
    this.x = undefined;
    const { cin, cout, groups, kernel, dilation, pads } = this.spec;
    const strides = [...this.spec.stride];
    const gw = tf.tidy(() => {
      const w = dilateKernel(this.weight.value as T4, dilation);
      const [ekh, ekw] = w.shape;
      let dw: T4;
      if (this.depthwise) {
        dw = run<T4>(tf.DepthwiseConv2dNativeBackpropFilter, { x: xp, dy }, { strides, pad: 'valid', dilations: 1, filterShape: [ekh, ekw, cin, 1] });
        dw = tf.reshape(dw, [ekh, ekw, 1, cin]);
      } else {
        const ci = cin / groups;
        const co = cout / groups;
        const parts = Array.from({ length: groups }, (_, i) =>
          run<T4>(tf.Conv2DBackpropFilter, { x: this.groupSlice(xp, 3, i, ci), dy: this.groupSlice(dy, 3, i, co) }, { strides, pad: 'valid', dataFormat: 'NHWC', filterShape: [ekh, ekw, ci, co] }),
        );
        dw = groups === 1 ? parts[0] : (tf.concat(parts, 3) as T4);
      }
      return undilateGrad(dw, kernel, dilation);
    });
    this.weight.addGrad(gw);
    if (!needInput) return null;
    return tf.tidy(() => {
      const w = dilateKernel(this.weight.value as T4, dilation);
      let dxp: T4;
      if (this.depthwise) {
        dxp = run<T4>(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: tf.reshape(w, [w.shape[0], w.shape[1], cin, 1]) }, { strides, pad: 'valid', dilations: 1, inputShape: xp.shape });
      } else {
        const ci = cin / groups;
        const co = cout / groups;
        const [n, h, wd] = xp.shape;
        const parts = Array.from({ length: groups }, (_, i) =>
          run<T4>(tf.Conv2DBackpropInput, { dy: this.groupSlice(dy, 3, i, co), filter: this.groupSlice(w, 3, i, co) }, { strides, pad: 'valid', dataFormat: 'NHWC', inputShape: [n, h, wd, ci] }),
        );
        dxp = groups === 1 ? parts[0] : (tf.concat(parts, 3) as T4);
      }
      const [t, l, b, r] = pads;
      if (!(t || l || b || r)) return dxp;
      const [, h, wd] = dxp.shape;
      return tf.slice(dxp, [0, t, l, 0], [-1, h - t - b, wd - l - r, -1]) as T4;
    });
  }
  params(): Param[] {
    return [this.weight];
  }
}
