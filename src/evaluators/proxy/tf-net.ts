/**
 * A small tfjs builder: runs an Architecture's layers forward at initialisation, for zero-cost proxies.
 *
 * Tensors are NHWC (tfjs's layout); the catalog's shapes are NCHW, so channels come from dim 3.
 * Weights are Kaiming-normal from a seeded Rng, drawn in layer order, so one architecture always gets
 * the same weights. Every conv is followed by BatchNorm with batch statistics (a freshly initialised
 * net in training mode), which keeps activations centred as in the trained net's BN. Padding follows
 * the catalog (pad = d(k-1)/2 both sides), so shapes match src/core/ops.ts.
 *
 * `onRelu` sees the input of every rectifier (ReLU, ReLU6 and, as a sign pattern, h-swish/swish):
 * that is what activation-pattern proxies such as NASWOT read.
 */
import type * as TF from '@tensorflow/tfjs';
import { isChain, type Architecture } from '../../core/arch.js';
import { UserError } from '../../core/errors.js';
import { expandedChannels, seChannels, type Act, type OpSpec } from '../../core/ops.js';
import type { Rng } from '../../core/rng.js';
import { nb201EdgeSpec, nb201NodeInputs, parseNb201Cell } from '../../core/decompose.js';

type Tensor = TF.Tensor4D;

export interface NetHooks {
  onRelu?(preActivation: Tensor): void;
}

export class TfNet {
  constructor(
    private readonly tf: typeof TF,
    private readonly rng: Rng,
    private readonly hooks: NetHooks = {},
  ) {}

  /** Runs every layer of `arch` on `x` (N×H×W×C); call inside tf.tidy. */
  forward(arch: Architecture, x: Tensor): Tensor {
    // Layers run one after the other here: a DAG (layers naming their inputs) would silently score another network.
    if (!isChain(arch)) throw new UserError(`proxy: '${arch.name}' is a DAG (its layers name their inputs); the NASWOT network runs chains only for now`);
    return arch.layers.reduce((h, layer, i) => {
      try {
        return this.layer(layer.spec, h);
      } catch (e) {
        if (e instanceof UserError) throw e;
        throw new UserError(`proxy: cannot run layer ${i} (${layer.spec.kind}) of '${arch.name}' on ${h.shape.join('x')} (NHWC): ${(e as Error).message}`, { cause: e });
      }
    }, x);
  }

  private weights(shape: number[], fanIn: number): TF.Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    const std = Math.sqrt(2 / fanIn);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = this.rng.normal() * std;
    return this.tf.tensor(data, shape);
  }

  private batchNorm(x: Tensor): Tensor {
    const { mean, variance } = this.tf.moments(x, [0, 1, 2], true);
    return this.tf.div(this.tf.sub(x, mean), this.tf.sqrt(this.tf.add(variance, 1e-5))) as Tensor;
  }

  private act(x: Tensor, act: Act): Tensor {
    const tf = this.tf;
    if (act === 'none') return x;
    this.hooks.onRelu?.(x);
    switch (act) {
      case 'relu':
        return tf.relu(x);
      case 'relu6':
        return tf.relu6(x);
      case 'swish':
        return tf.mul(x, tf.sigmoid(x)) as Tensor;
      case 'hswish':
        return tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6)) as Tensor;
    }
  }

  /** Conv (groups 1 or depthwise) + BN; channel groups in between are run as separate convs. */
  private conv(x: Tensor, cout: number, k: number, stride: number, groups = 1, dilation = 1): Tensor {
    const tf = this.tf;
    const cin = x.shape[3];
    const pad = Math.floor((dilation * (k - 1)) / 2);
    let y: Tensor;
    if (groups === 1) {
      y = tf.conv2d(x, this.weights([k, k, cin, cout], k * k * cin) as TF.Tensor4D, stride, pad, 'NHWC', dilation);
    } else if (groups === cin && cout === cin) {
      y = tf.depthwiseConv2d(x, this.weights([k, k, cin, 1], k * k) as TF.Tensor4D, stride, pad, 'NHWC', dilation);
    } else {
      const gi = cin / groups;
      const go = cout / groups;
      const parts = tf.split(x, groups, 3).map((part) => tf.conv2d(part as Tensor, this.weights([k, k, gi, go], k * k * gi) as TF.Tensor4D, stride, pad, 'NHWC', dilation));
      y = tf.concat(parts, 3);
    }
    return this.batchNorm(y);
  }

  private se(x: Tensor, reference: number, ratio: number, act: Act): Tensor {
    const tf = this.tf;
    const c = x.shape[3];
    const mid = seChannels(reference, ratio);
    const pooled = tf.mean(x, [1, 2], true) as Tensor;
    const reduced = this.act(tf.conv2d(pooled, this.weights([1, 1, c, mid], c) as TF.Tensor4D, 1, 0), act);
    const gate = tf.sigmoid(tf.conv2d(reduced, this.weights([1, 1, mid, c], mid) as TF.Tensor4D, 1, 0));
    return tf.mul(x, gate) as Tensor;
  }

  private layer(spec: OpSpec, x: Tensor): Tensor {
    const tf = this.tf;
    const c = x.shape[3];
    switch (spec.kind) {
      case 'conv':
        return this.act(this.conv(x, spec.cout, spec.k, spec.stride, spec.groups, spec.dilation), spec.act);
      case 'dwconv':
        return this.act(this.conv(x, c, spec.k, spec.stride, c, spec.dilation), spec.act);
      case 'dwsep': {
        let h = this.act(this.conv(x, c, spec.k, spec.stride, c), spec.act);
        if (spec.se > 0) h = this.se(h, c, spec.se, spec.act);
        h = this.conv(h, spec.cout, 1, 1);
        return spec.skip ? (tf.add(h, x) as Tensor) : h;
      }
      case 'mbconv': {
        const mid = expandedChannels(c, spec.expand);
        let h = spec.expand === 1 ? x : this.act(this.conv(x, mid, 1, 1), spec.act);
        h = this.act(this.conv(h, h.shape[3], spec.k, spec.stride, h.shape[3]), spec.act);
        if (spec.se > 0) h = this.se(h, c, spec.se, spec.act);
        h = this.conv(h, spec.cout, 1, 1);
        return spec.skip ? (tf.add(h, x) as Tensor) : h;
      }
      case 'pool': {
        const pad = Math.floor((spec.k - 1) / 2);
        return spec.mode === 'avg' ? tf.avgPool(x, spec.k, spec.stride, pad) : tf.maxPool(x, spec.k, spec.stride, pad);
      }
      case 'gpool':
        return (spec.mode === 'avg' ? tf.mean(x, [1, 2], true) : tf.max(x, [1, 2], true)) as Tensor;
      case 'identity':
        return x;
      case 'zero':
        return tf.zeros([x.shape[0], Math.ceil(x.shape[1] / spec.stride), Math.ceil(x.shape[2] / spec.stride), c]);
      case 'linear': {
        const flat = tf.reshape(x, [x.shape[0], c * x.shape[1] * x.shape[2]]) as TF.Tensor2D;
        const y = tf.matMul(flat, this.weights([flat.shape[1], spec.cout], flat.shape[1]) as TF.Tensor2D);
        return this.act(tf.reshape(y, [x.shape[0], 1, 1, spec.cout]), spec.act);
      }
      case 'se':
        return this.se(x, c, spec.ratio, spec.act);
      case 'reluconv':
        return this.reluConv(x, spec.cout, spec.k, spec.stride);
      case 'sum':
        // As a chain layer a sum sees one tensor: the sum of `arity` copies of it.
        return tf.mul(x, spec.arity) as Tensor;
      case 'nb201cell':
        return this.nb201Cell(x, spec.cell);
      case 'concat':
        throw new UserError('proxy: concat layers (DAG architectures) are not supported by the NASWOT network yet');
      case 'resblock': {
        // NAS-Bench-201's ResNetBasicblock: ReLUConvBN(3×3, s) → ReLUConvBN(3×3, 1), shortcut avgpool 2×2 s2 + conv1×1.
        const branch = this.reluConv(this.reluConv(x, spec.cout, 3, spec.stride), spec.cout, 3, 1);
        const pooled = spec.stride === 1 ? x : tf.avgPool(x, spec.stride, spec.stride, 'same');
        const shortcut = tf.conv2d(pooled, this.weights([1, 1, c, spec.cout], c) as TF.Tensor4D, 1, 0);
        return tf.add(branch, shortcut) as Tensor;
      }
    }
  }

  private reluConv(x: Tensor, cout: number, k: number, stride: number): Tensor {
    return this.conv(this.act(x, 'relu'), cout, k, stride);
  }

  /** Node j sums its non-none incoming edges; each edge runs as its catalog op (src/core/decompose.ts). */
  private nb201Cell(x: Tensor, cell: string): Tensor {
    const nodes: (Tensor | undefined)[] = [x];
    const inputs = nb201NodeInputs(parseNb201Cell(cell).edges);
    for (let to = 1; to < inputs.length; to++) {
      let acc: Tensor | undefined;
      for (const edge of inputs[to]) {
        const source = nodes[edge.from];
        // A node no edge reaches holds zeros; whatever it feeds adds nothing.
        if (source === undefined) continue;
        const spec = nb201EdgeSpec(edge.op, [source.shape[0], source.shape[3], source.shape[1], source.shape[2]])!;
        const out = this.layer(spec, source);
        acc = acc ? (this.tf.add(acc, out) as Tensor) : out;
      }
      nodes[to] = acc;
    }
    return nodes[inputs.length - 1] ?? this.tf.zerosLike(x);
  }
}
