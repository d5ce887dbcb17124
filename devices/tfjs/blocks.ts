/**
 * Kind → tfjs block builder, mirroring export/blocks/ one for one (same structure, tensor names and
 * gains), so a tfjs device times the computation the ONNX devices time. Shapes are the catalog's NCHW
 * input shape; tensors are NHWC (see layers.ts).
 */
import type * as TF from '@tensorflow/tfjs';
import { nb201EdgeSpec, nb201NodeInputs, parseNb201Cell } from '../../src/core/decompose.js';
import { expandedChannels, seChannels, type LegacyKind, type OpSpec, type Shape } from '../../src/core/ops.js';
import { actGain, RESIDUAL_GAIN, SE_GAIN } from '../../export/weights.js';
import { activate, conv, squeezeExcite, type BuildContext, type Forward, type Tensor } from './layers.js';

type Builder<S> = (ctx: BuildContext, spec: S, shape: Shape, prefix: string) => Forward;

const reluconv: Builder<Extract<OpSpec, { kind: 'reluconv' }>> = (ctx, spec, shape, prefix) => {
  const c = conv(ctx, `${prefix}.conv`, { cin: shape[1], cout: spec.cout, k: spec.k, stride: spec.stride, gain: actGain('relu') });
  return (x) => c(ctx.tf.relu(x));
};

const pool: Builder<Extract<OpSpec, { kind: 'pool' }>> = (ctx, spec) => {
  const pad = Math.floor((spec.k - 1) / 2);
  // tfjs leaves padding out of the average, as the exported AveragePool does (count_include_pad=0).
  return spec.mode === 'avg' ? (x) => ctx.tf.avgPool(x, spec.k, spec.stride, pad) : (x) => ctx.tf.maxPool(x, spec.k, spec.stride, pad);
};

/** x·0 (with a strided slice first), like the exporter: zeros that still depend on the input. */
function zeros(ctx: BuildContext, stride: number): Forward {
  const { tf } = ctx;
  return (x) => {
    const [n, h, w, c] = x.shape;
    const y = stride === 1 ? x : tf.stridedSlice(x, [0, 0, 0, 0], [n, h, w, c], [1, stride, stride, 1]);
    return tf.mul(y, 0);
  };
}

function sum(ctx: BuildContext, terms: Tensor[]): Tensor {
  return terms.length === 1 ? terms[0] : ctx.tf.addN(terms);
}

export const TF_BLOCKS: { readonly [K in LegacyKind]: Builder<Extract<OpSpec, { kind: K }>> } = {
  // Multi-input blocks run once this backend is built from the lowered graph (src/core/lower).
  concat: () => {
    throw new Error('tfjs: concat layers (DAG architectures) are not supported by this backend yet');
  },

  conv: (ctx, spec, shape, prefix) =>
    conv(
      ctx,
      `${prefix}.conv`,
      { cin: shape[1], cout: spec.cout, k: spec.k, stride: spec.stride, groups: spec.groups, dilation: spec.dilation, gain: actGain(spec.act) },
      spec.act,
    ),

  dwconv: (ctx, spec, shape, prefix) => {
    const c = shape[1];
    return conv(ctx, `${prefix}.dw`, { cin: c, cout: c, k: spec.k, stride: spec.stride, groups: c, dilation: spec.dilation, gain: actGain(spec.act) }, spec.act);
  },

  dwsep: (ctx, spec, shape, prefix) => {
    const c = shape[1];
    const dw = conv(ctx, `${prefix}.dw`, { cin: c, cout: c, k: spec.k, stride: spec.stride, groups: c, gain: actGain(spec.act) }, spec.act);
    const se = spec.se > 0 ? squeezeExcite(ctx, `${prefix}.se`, c, seChannels(c, spec.se), spec.act) : undefined;
    const gain = (spec.se > 0 ? SE_GAIN : 1) * (spec.skip ? RESIDUAL_GAIN : 1);
    const pw = conv(ctx, `${prefix}.pw`, { cin: c, cout: spec.cout, k: 1, gain });
    return (x) => {
      let y = dw(x);
      if (se) y = se(y);
      y = pw(y);
      return spec.skip ? ctx.tf.add(x, y) : y;
    };
  },

  mbconv: (ctx, spec, shape, prefix) => {
    const cin = shape[1];
    const mid = expandedChannels(cin, spec.expand);
    const gain = actGain(spec.act);
    const expand = spec.expand !== 1 ? conv(ctx, `${prefix}.expand`, { cin, cout: mid, k: 1, gain }, spec.act) : undefined;
    const dw = conv(ctx, `${prefix}.dw`, { cin: mid, cout: mid, k: spec.k, stride: spec.stride, groups: mid, gain }, spec.act);
    const se = spec.se > 0 ? squeezeExcite(ctx, `${prefix}.se`, mid, seChannels(cin, spec.se), spec.act) : undefined;
    const projectGain = (spec.se > 0 ? SE_GAIN : 1) * (spec.skip ? RESIDUAL_GAIN : 1);
    const project = conv(ctx, `${prefix}.project`, { cin: mid, cout: spec.cout, k: 1, gain: projectGain });
    return (x) => {
      let y = expand ? expand(x) : x;
      y = dw(y);
      if (se) y = se(y);
      y = project(y);
      return spec.skip ? ctx.tf.add(x, y) : y;
    };
  },

  pool,

  gpool: (ctx, spec) => (spec.mode === 'avg' ? (x) => ctx.tf.mean(x, [1, 2], true) as Tensor : (x) => ctx.tf.max(x, [1, 2], true) as Tensor),

  // The exporter's Identity node is dropped by every runtime; here there is nothing to run either.
  identity: () => (x) => x,

  zero: (ctx, spec) => zeros(ctx, spec.stride),

  linear: (ctx, spec, shape, prefix) => {
    const { tf } = ctx;
    const [n, c] = shape;
    const name = `${prefix}.fc`;
    const w = ctx.weights.weight(`${name}.weight`, [spec.cout, c], c, actGain(spec.act));
    const b = ctx.weights.bias(`${name}.bias`, [spec.cout]);
    // Gemm with transB: y = x·Wᵀ + b, W stored [cout, C] → b operand [C, cout].
    const weight = tf.tidy(() => tf.transpose(tf.tensor2d(w, [spec.cout, c])) as TF.Tensor2D);
    const bias = tf.tensor1d(b);
    ctx.owned.push(weight, bias);
    const fused = spec.act === 'relu' || spec.act === 'relu6' ? spec.act : 'linear';
    return (x) => {
      const y = tf.fused.matMul({ a: tf.reshape(x, [n, c]), b: weight, bias, activation: fused });
      const out = tf.reshape(y, [n, 1, 1, spec.cout]) as Tensor;
      return fused === 'linear' ? activate(tf, out, spec.act) : out;
    };
  },

  se: (ctx, spec, shape, prefix) => squeezeExcite(ctx, `${prefix}.se`, shape[1], seChannels(shape[1], spec.ratio), spec.act),

  reluconv,

  // Inside a chain a sum sees one tensor and adds `arity` copies of it (export/blocks/sum.ts); a
  // one-op sum model gets `arity` distinct inputs instead (see model.ts).
  sum: (ctx, spec) => (x) => sum(ctx, Array<Tensor>(spec.arity).fill(x)),

  nb201cell: (ctx, spec, shape, prefix) => {
    const incoming = nb201NodeInputs(parseNb201Cell(spec.cell).edges);
    const nodes = incoming.map((edges, to) =>
      edges.map((e) => {
        const edge = nb201EdgeSpec(e.op, shape)!;
        const name = `${prefix}.edge${to}_${e.from}`;
        const run: Forward = edge.kind === 'reluconv' ? reluconv(ctx, edge, shape, name) : edge.kind === 'pool' ? pool(ctx, edge, shape, name) : (x) => x;
        return { from: e.from, run };
      }),
    );
    const zero = zeros(ctx, 1);
    return (x) => {
      const values: Tensor[] = [x];
      for (let to = 1; to < nodes.length; to++) {
        const terms = nodes[to].map((e) => e.run(values[e.from]));
        values.push(terms.length === 0 ? zero(x) : sum(ctx, terms));
      }
      return values[values.length - 1];
    };
  },

  resblock: (ctx, spec, shape, prefix) => {
    const { tf } = ctx;
    const cin = shape[1];
    const a = reluconv(ctx, { kind: 'reluconv', cout: spec.cout, k: 3, stride: spec.stride }, shape, `${prefix}.conv_a`);
    const b = conv(ctx, `${prefix}.conv_b.conv`, { cin: spec.cout, cout: spec.cout, k: 3, gain: actGain('relu') * RESIDUAL_GAIN });
    let shortcut: Forward = (x) => x;
    if (spec.stride !== 1) {
      const sc = conv(ctx, `${prefix}.shortcut.conv`, { cin, cout: spec.cout, k: 1, gain: 1, bias: false });
      // 'same' keeps ceil(H/2) rows and averages only real pixels: the exporter's ceil_mode AveragePool.
      shortcut = (x) => sc(tf.avgPool(x, 2, 2, 'same'));
    } else if (cin !== spec.cout) {
      shortcut = reluconv(ctx, { kind: 'reluconv', cout: spec.cout, k: 1, stride: 1 }, shape, `${prefix}.shortcut`);
    }
    return (x) => tf.add(shortcut(x), b(tf.relu(a(x))));
  },
};
