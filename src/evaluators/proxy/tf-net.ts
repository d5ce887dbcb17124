/**
 * The tfjs network builder behind the zero-cost proxies (the ProxyNetwork of network.ts): runs an
 * Architecture's layers forward at initialisation.
 *
 * Tensors are NHWC (tfjs's layout); the catalog's shapes are NCHW, so channels come from dim 3.
 * Weights are Kaiming-normal from a seeded Rng, drawn in layer order by one pass at batch 1, so one
 * architecture always gets the same weights; later passes take them as arguments, so proxies can
 * differentiate with respect to them. Every conv is followed by BatchNorm with batch statistics (a
 * freshly initialised net in training mode) unless the pass turns it off. Padding follows the catalog
 * (pad = d(k-1)/2 both sides), so shapes match src/core/ops.ts.
 */
import type * as TF from '@tensorflow/tfjs';
import { isChain, type Architecture } from '../../core/arch.js';
import { UserError } from '../../core/errors.js';
import { expandedChannels, legacyGap, seChannels, seedKindError, type Act, type OpSpec } from '../../core/ops.js';
import { Rng } from '../../core/rng.js';
import { nb201EdgeSpec, nb201NodeInputs, parseNb201Cell } from '../../core/decompose.js';
import type { ForwardOptions, ProxyNetwork } from './network.js';

type Tensor = TF.Tensor4D;

export interface TfNetworkOptions {
  /** Seeds the weights. */
  weightSeed: number;
  /** Input side length (default the architecture's). */
  resolution?: number;
}

/** Builds `arch` with seeded Kaiming-normal weights (drawn by one pass at batch 1). */
export function tfProxyNetwork(tf: typeof TF, arch: Architecture, opts: TfNetworkOptions): ProxyNetwork {
  const side = opts.resolution ?? arch.input[2];
  const input = [side, side, arch.input[1]] as const;
  const params: TF.Tensor[] = [];
  const rng = new Rng(opts.weightSeed);
  tf.tidy(() => {
    new TfNet(tf, arch, { create: rng, params }, {}).run(tf.zeros([1, ...input]) as Tensor);
    for (const p of params) tf.keep(p);
  });
  return {
    tf,
    input,
    positivelyHomogeneous: arch.layers.every(({ spec }) => homogeneous(spec)),
    params,
    forward(x, given, fopts = {}) {
      if (given.length !== params.length) throw new Error(`proxy network '${arch.name}': ${given.length} parameters given, it has ${params.length}`);
      const y = new TfNet(tf, arch, { params: given }, fopts).run(x);
      return tf.reshape(y, [y.shape[0], -1]) as TF.Tensor2D;
    },
    dispose() {
      for (const p of params) p.dispose();
    },
  };
}

/** ReLU, pooling and linear maps only: no clamp (ReLU6), no smooth gate (swish, h-swish, SE's sigmoid). */
function homogeneous(spec: OpSpec): boolean {
  if (spec.kind === 'se') return false;
  if ('act' in spec && spec.act !== 'relu' && spec.act !== 'none') return false;
  return !('se' in spec && spec.se > 0);
}

/** Where a pass gets its weights: drawn fresh (and appended to `params`), or read from `params` in order. */
interface WeightSource {
  create?: Rng;
  params: TF.Tensor[] | readonly TF.Tensor[];
}

class TfNet {
  private next = 0;
  private readonly hooks: ForwardOptions;
  /** An NAS-Bench-201 net (it has cells): its head gets the benchmark's BN + ReLU. */
  private readonly nb201: boolean;

  constructor(
    private readonly tf: typeof TF,
    private readonly arch: Architecture,
    private readonly source: WeightSource,
    hooks: ForwardOptions,
  ) {
    this.hooks = hooks;
    this.nb201 = arch.layers.some((l) => l.spec.kind === 'nb201cell');
  }

  /** Runs every layer of the architecture on `x` (N×H×W×C); call inside tf.tidy. */
  run(x: Tensor): Tensor {
    // Layers run one after the other here: a DAG (layers naming their inputs) would silently score another network.
    if (!isChain(this.arch)) throw new UserError(`proxy: '${this.arch.name}' is a DAG (its layers name their inputs); the proxy network runs chains only for now`);
    const out = this.arch.layers.reduce((h, layer, i) => {
      try {
        return this.layer(layer.spec, h);
      } catch (e) {
        if (e instanceof UserError) throw e;
        throw new UserError(`proxy: cannot run layer ${i} (${layer.spec.kind}) of '${this.arch.name}' on ${h.shape.join('x')} (NHWC): ${(e as Error).message}`, { cause: e });
      }
    }, x);
    if (this.next !== this.source.params.length) throw new Error(`proxy network '${this.arch.name}': used ${this.next} of ${this.source.params.length} parameters`);
    return out;
  }

  private weights(shape: number[], fanIn: number): TF.Tensor {
    const { create, params } = this.source;
    if (!create) return params[this.next++];
    const n = shape.reduce((a, b) => a * b, 1);
    const std = Math.sqrt(2 / fanIn);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = create.normal() * std;
    const w = this.tf.tensor(data, shape);
    (params as TF.Tensor[]).push(w);
    this.next++;
    return w;
  }

  /** A conv or dense output: tapped (fisher), then normalised unless the pass has BatchNorm off. */
  private weighted(y: Tensor, norm: boolean): Tensor {
    const tapped = (this.hooks.tapWeighted?.(y) ?? y) as Tensor;
    return norm ? this.normalise(tapped) : tapped;
  }

  /** BatchNorm with batch statistics, γ = 1, β = 0 (none when the pass has it off). */
  private normalise(x: Tensor): Tensor {
    if (this.hooks.batchNorm === false) return x;
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
    return this.weighted(y, true);
  }

  private se(x: Tensor, reference: number, ratio: number, act: Act): Tensor {
    const tf = this.tf;
    const c = x.shape[3];
    const mid = seChannels(reference, ratio);
    const pooled = tf.mean(x, [1, 2], true) as Tensor;
    const reduced = this.act(this.weighted(tf.conv2d(pooled, this.weights([1, 1, c, mid], c) as TF.Tensor4D, 1, 0), false), act);
    const gate = tf.sigmoid(this.weighted(tf.conv2d(reduced, this.weights([1, 1, mid, c], mid) as TF.Tensor4D, 1, 0), false));
    return tf.mul(x, gate) as Tensor;
  }

  private layer(spec: OpSpec, x: Tensor): Tensor {
    const gap = legacyGap(spec);
    if (gap) throw seedKindError(gap, 'the proxy network');
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
        // NAS-Bench-201's head is BN + ReLU ("lastact") before the pool; the space leaves it out (no
        // latency to speak of), but without it the logits of skip-heavy cells grow ~4× per cell, which
        // is not the benchmark's net and swamps every gradient proxy.
        if (this.nb201) x = this.act(this.normalise(x), 'relu');
        return (spec.mode === 'avg' ? tf.mean(x, [1, 2], true) : tf.max(x, [1, 2], true)) as Tensor;
      case 'identity':
        return x;
      case 'zero':
        return tf.zeros([x.shape[0], Math.ceil(x.shape[1] / spec.stride), Math.ceil(x.shape[2] / spec.stride), c]);
      case 'linear': {
        const flat = tf.reshape(x, [x.shape[0], c * x.shape[1] * x.shape[2]]) as TF.Tensor2D;
        const y = tf.matMul(flat, this.weights([flat.shape[1], spec.cout], flat.shape[1]) as TF.Tensor2D);
        return this.act(this.weighted(tf.reshape(y, [x.shape[0], 1, 1, spec.cout]), false), spec.act);
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
        throw new UserError('proxy: concat layers (DAG architectures) are not supported by the proxy network yet');
      case 'resblock': {
        // NAS-Bench-201's ResNetBasicblock: ReLUConvBN(3×3, s) → ReLUConvBN(3×3, 1), shortcut avgpool 2×2 s2 + conv1×1.
        const branch = this.reluConv(this.reluConv(x, spec.cout, 3, spec.stride), spec.cout, 3, 1);
        const pooled = spec.stride === 1 ? x : tf.avgPool(x, spec.stride, spec.stride, 'same');
        const shortcut = this.weighted(tf.conv2d(pooled, this.weights([1, 1, c, spec.cout], c) as TF.Tensor4D, 1, 0), false);
        return tf.add(branch, shortcut) as Tensor;
      }
      default:
        throw new Error(`the proxy network cannot run block kind ${spec.kind}: it is a primitive-graph lowering only (src/core/lower)`);
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
