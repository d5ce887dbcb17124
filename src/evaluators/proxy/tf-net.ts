/**
 * The tfjs network behind the zero-cost proxies (the ProxyNetwork of network.ts): the architecture's
 * primitive graph (src/core/lower) run forward at initialisation, one rule per primitive (FORWARD).
 *
 * Why not the tfjs program of devices/tfjs/program.ts: it runs a trained net the way a converted model
 * does (BatchNorm folded into the conv, activations fused into kernels), which leaves no place for what
 * the proxies read — batch statistics, the input of each rectifier (NASWOT), a conv's output before its
 * BatchNorm (fisher) — and its weights are filled from the exporter, not passed in for gradients.
 *
 * Tensors are NHWC (tfjs's layout); the graph is NCHW, so channels are dim 3 here. Conv and linear
 * weights are drawn from a seeded Rng in graph-node order by one pass at batch 1, so one architecture
 * always gets the same weights; later passes take them as arguments, so proxies can differentiate with
 * respect to them. Two initialisations (the graph's init gains are ignored by both):
 * - `kaiming-normal` (default): std √(2/fan-in), biases zero;
 * - `torch-default`: what a fresh PyTorch Conv2d/Linear holds, U(±1/√fan-in) for the weight and, where
 *   the layer has a bias, for the bias too. This is the init of the zero-cost proxies' reference code
 *   (Abdelfattah et al. 2021, nasbench2_pred.py with its default --init_w_type none: the NB201 net as
 *   constructed). Biases are constants, not parameters: the proxies read weights only.
 * Every `bn` node is BatchNorm with batch statistics, γ = 1, β = 0 (a fresh net in training mode) unless
 * the pass turns it off.
 */
import type * as TF from '@tensorflow/tfjs';
import { placeLayers, type Architecture } from '../../core/arch.js';
import { UserError } from '../../core/errors.js';
import { inferShapes, outputRefs, type Graph, type GraphNode, type Pads, type Prim, type PrimAct, type PrimOf, type PrimOp, type Shape, type ShapeMap } from '../../core/graph/index.js';
import { lowerArchitecture } from '../../core/lower/index.js';
import { Rng } from '../../core/rng.js';
import { interpreter } from '../../../devices/tfjs/interpreter.js';
import { poolPads, tfAct } from '../../../devices/tfjs/program.js';
import type { ForwardOptions, ProxyNetwork } from './network.js';
import { exactAvgPool } from '../../train/nn/avg-pool.js';
import { batchNormTrain } from './tf-layers.js';

type T4 = TF.Tensor4D;

export const PROXY_INITS = ['kaiming-normal', 'torch-default'] as const;
export type ProxyInit = (typeof PROXY_INITS)[number];

export interface TfNetworkOptions {
  /** Seeds the weights. */
  weightSeed: number;
  /** How weights (and biases) are drawn; default kaiming-normal. */
  init?: ProxyInit;
  /** Input side length (default the architecture's). */
  resolution?: number;
}

/** Builds `arch` with seeded weights (drawn by one pass at batch 1). */
export function tfProxyNetwork(tf: typeof TF, arch: Architecture, opts: TfNetworkOptions): ProxyNetwork {
  const side = opts.resolution ?? arch.input[2];
  const sized: Architecture = { ...arch, input: [1, arch.input[1], side, side] };
  const graph = lowerArchitecture(sized);
  const shapes = inferShapes(graph);
  const lastAct = nb201Heads(sized);
  const input = [side, side, arch.input[1]] as const;
  const params: TF.Tensor[] = [];
  const paramLayers: string[] = [];
  const biases: (TF.Tensor | null)[] = [];
  const create = { rng: new Rng(opts.weightSeed), init: opts.init ?? 'kaiming-normal', layers: paramLayers };
  tf.tidy(() => {
    run(tf, graph, shapes, lastAct, tf.zeros([1, ...input]) as T4, { create, params, next: 0, biases, nextBias: 0 }, {});
    for (const t of [...params, ...biases]) if (t) tf.keep(t);
  });
  return {
    tf,
    input,
    positivelyHomogeneous: graph.nodes.every((n) => homogeneous(n.prim)),
    params,
    paramLayers,
    forward(x, given, fopts = {}) {
      if (given.length !== params.length) throw new Error(`proxy network '${arch.name}': ${given.length} parameters given, it has ${params.length}`);
      const y = run(tf, graph, shapes, lastAct, x, { params: given, next: 0, biases, nextBias: 0 }, fopts);
      return tf.reshape(y, [y.shape[0], -1]) as TF.Tensor2D;
    },
    dispose() {
      for (const t of [...params, ...biases]) t?.dispose();
    },
  };
}

/**
 * The gpool nodes of an NAS-Bench-201 net's head (the net has cells): they get the benchmark's BN + ReLU
 * ("lastact") in front. The space leaves it out (no latency to speak of), but without it the logits of
 * skip-heavy cells grow ~4× per cell, which is not the benchmark's net and swamps every gradient proxy.
 */
function nb201Heads(arch: Architecture): Set<string> {
  if (!arch.layers.some((l) => l.spec.kind === 'nb201cell')) return new Set();
  return new Set(placeLayers(arch).filter((p) => p.layer.spec.kind === 'gpool').map((p) => `${p.id}.gpool`));
}

/** ReLU, pooling, sums, concat and linear maps only: no clamp (ReLU6), no smooth gate, no product, no scale-invariant norm. */
function homogeneous(p: Prim): boolean {
  if (p.op === 'act') return p.act === 'relu' || p.act === 'none';
  return p.op !== 'mul' && p.op !== 'layernorm' && p.op !== 'instancenorm';
}

/**
 * Where a pass gets its weights: drawn fresh (appended to `params`, with the node each belongs to in
 * `create.layers`), or read from `params` in order. Biases (torch-default only) likewise, from `biases`.
 */
interface WeightSource {
  create?: { rng: Rng; init: ProxyInit; layers: string[] };
  params: TF.Tensor[] | readonly TF.Tensor[];
  next: number;
  biases: (TF.Tensor | null)[];
  nextBias: number;
}

interface Ctx {
  tf: typeof TF;
  node: GraphNode;
  xs: T4[];
  inputShapes: Shape[];
  outputShapes: Shape[];
  hooks: ForwardOptions;
  /** The next weight of the pass: `shape` (tfjs layout) drawn by the init from its fan-in, or the given one. */
  weight(shape: number[], fanIn: number): TF.Tensor;
  /** `y` plus the layer's bias where the init gives it one (torch-default, a layer with a bias), else `y`. */
  bias(y: T4, hasBias: boolean, fanIn: number): T4;
}

type Rule<P extends Prim> = (ctx: Ctx, p: P) => T4[];
const rule = <K extends PrimOp>(r: Rule<PrimOf<K>>) => r;

const explicit = (p: Pads): [[0, 0], [number, number], [number, number], [0, 0]] => [[0, 0], [p[0], p[2]], [p[1], p[3]], [0, 0]];

/** BatchNorm with batch statistics (tf-layers.ts), none when the pass has it off. */
function batchNorm(tf: typeof TF, x: T4, hooks: ForwardOptions, eps: number): T4 {
  return hooks.batchNorm === false ? x : batchNormTrain(tf, x, eps);
}

/** The activation (the tfjs interpreter's); the input of a rectifier (ReLU, ReLU6, h-swish, swish) is shown to onRelu first. */
function activate(tf: typeof TF, x: T4, act: PrimAct, hooks: ForwardOptions): T4 {
  if (act === 'relu' || act === 'relu6' || act === 'hswish' || act === 'swish') hooks.onRelu?.(x);
  return interpreter.activate(tf, x, tfAct(act));
}

/** Layer or instance norm over `axes` (NHWC) with its generated scale 1 and shift 0. */
function norm(tf: typeof TF, x: T4, axes: number[], eps: number): T4 {
  const { mean, variance } = tf.moments(x, axes, true);
  return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))) as T4;
}

/** A kh×kw kernel (HWIO or HW·C·M) dilated by (dh, dw): (dh(kh-1)+1)×(dw(kw-1)+1) with zeros between the taps. */
function dilateKernel(tf: typeof TF, w: T4, [dh, dw]: readonly [number, number]): T4 {
  if (dh === 1 && dw === 1) return w;
  const [kh, kw, a, b] = w.shape;
  const spread = tf.pad(tf.reshape(w, [kh, 1, kw, 1, a, b]), [[0, 0], [0, dh - 1], [0, 0], [0, dw - 1], [0, 0], [0, 0]]);
  return tf.slice(tf.reshape(spread, [kh * dh, kw * dw, a, b]), [0, 0, 0, 0], [dh * (kh - 1) + 1, dw * (kw - 1) + 1, a, b]) as T4;
}

/** One forward rule per primitive (biases are zero at initialisation, so none is added). */
const FORWARD: { readonly [K in PrimOp]: Rule<PrimOf<K>> } = {
  conv: rule<'conv'>((ctx, p) => {
    const { tf } = ctx;
    const x = ctx.xs[0];
    const cin = x.shape[3];
    const [kh, kw] = p.kernel;
    const fanIn = (cin / p.groups) * kh * kw;
    const stride = [...p.stride] as [number, number];
    // tfjs has no gradient for dilated convs (and no stride with a dilation): the kernel is dilated
    // instead (zeros between its taps, by differentiable ops), and the conv run undilated.
    const dil: [number, number] = [1, 1];
    const weight = (shape: number[]) => dilateKernel(tf, ctx.weight(shape, fanIn) as T4, p.dilation);
    const pad = explicit(p.pads);
    let y: T4;
    if (p.groups === 1) {
      y = tf.conv2d(x, weight([kh, kw, cin, p.cout]), stride, pad, 'NHWC', dil);
    } else if (p.groups === cin) {
      // Depthwise with multiplier m: output channel c·m + j is filter [.., c, j], PyTorch's order.
      y = tf.depthwiseConv2d(x, weight([kh, kw, cin, p.cout / cin]), stride, pad, 'NHWC', dil);
    } else {
      // tfjs has no grouped convolution: one conv (and one weight tensor) per group.
      const gout = p.cout / p.groups;
      const parts = tf.split(x, p.groups, 3).map((part) => tf.conv2d(part as T4, weight([kh, kw, cin / p.groups, gout]), stride, pad, 'NHWC', dil));
      y = tf.concat(parts, 3);
    }
    y = ctx.bias(y, p.bias, fanIn);
    return [(ctx.hooks.tapWeighted?.(y, fanIn) ?? y) as T4];
  }),
  bn: rule<'bn'>((ctx, p) => [batchNorm(ctx.tf, ctx.xs[0], ctx.hooks, p.eps)]),
  act: rule<'act'>((ctx, p) => [activate(ctx.tf, ctx.xs[0], p.act, ctx.hooks)]),
  add: rule<'add'>((ctx) => [ctx.xs.length === 1 ? ctx.xs[0] : (ctx.tf.addN(ctx.xs) as T4)]),
  mul: rule<'mul'>((ctx) => [ctx.tf.mul(ctx.xs[0], ctx.xs[1]) as T4]),
  concat: rule<'concat'>((ctx) => [ctx.xs.length === 1 ? ctx.xs[0] : ctx.tf.concat(ctx.xs, 3)]),
  split: rule<'split'>((ctx, p) => ctx.tf.split(ctx.xs[0], [...p.sizes], 3) as T4[]),
  shuffle: rule<'shuffle'>((ctx, p) => {
    // NCHW channel c = g·(C/G) + j moves to j·G + g; channels are the last axis here.
    const x = ctx.xs[0];
    const [n, h, w, c] = x.shape;
    const tf = ctx.tf;
    return [tf.reshape(tf.transpose(tf.reshape(x, [n, h, w, p.groups, c / p.groups]), [0, 1, 2, 4, 3]), [n, h, w, c]) as T4];
  }),
  pool: rule<'pool'>((ctx, p) => {
    const { tf } = ctx;
    const { pads, zeroPad } = poolPads(p, ctx.inputShapes[0], ctx.outputShapes[0]);
    const x = zeroPad ? (tf.pad(ctx.xs[0], explicit(zeroPad)) as T4) : ctx.xs[0];
    const k = [...p.kernel] as [number, number];
    const s = [...p.stride] as [number, number];
    const pad = pads.every((v) => v === 0) ? 'valid' : explicit(pads);
    // Averages leave the padding out of the count; tfjs's own gradient would divide by the full window.
    if (p.mode === 'avg') return [exactAvgPool(tf, x, { kernel: k, stride: s, pads })];
    return [tf.maxPool(x, k, s, pad as never)];
  }),
  gpool: rule<'gpool'>((ctx, p) => [(p.mode === 'avg' ? ctx.tf.mean(ctx.xs[0], [1, 2], true) : ctx.tf.max(ctx.xs[0], [1, 2], true)) as T4]),
  flatten: rule<'flatten'>((ctx) => {
    // NCHW order (C, H, W), as ONNX Flatten reads it.
    const x = ctx.xs[0];
    const [n, h, w, c] = x.shape;
    return [h === 1 && w === 1 ? x : (ctx.tf.reshape(ctx.tf.transpose(x, [0, 3, 1, 2]), [n, 1, 1, c * h * w]) as T4)];
  }),
  linear: rule<'linear'>((ctx, p) => {
    const { tf } = ctx;
    const x = ctx.xs[0];
    const c = x.shape[3] * x.shape[1] * x.shape[2];
    const y = ctx.bias(tf.reshape(tf.matMul(tf.reshape(x, [x.shape[0], c]) as TF.Tensor2D, ctx.weight([c, p.cout], c) as TF.Tensor2D), [x.shape[0], 1, 1, p.cout]) as T4, p.bias, c);
    return [(ctx.hooks.tapWeighted?.(y, c) ?? y) as T4];
  }),
  slice: rule<'slice'>((ctx, p) => [ctx.tf.slice(ctx.xs[0], [0, p.begin[0], p.begin[1], 0], [-1, p.end[0] - p.begin[0], p.end[1] - p.begin[1], -1])]),
  zero: rule<'zero'>((ctx, p) => {
    const x = ctx.xs[0];
    const [n, h, w, c] = x.shape;
    return [ctx.tf.zeros([n, Math.ceil(h / p.stride), Math.ceil(w / p.stride), c])];
  }),
  layernorm: rule<'layernorm'>((ctx, p) => [norm(ctx.tf, ctx.xs[0], [1, 2, 3], p.eps)]),
  instancenorm: rule<'instancenorm'>((ctx, p) => [norm(ctx.tf, ctx.xs[0], [1, 2], p.eps)]),
};

/** Runs every node of the graph on `x` (N×H×W×C), in graph order; call inside tf.tidy. */
function run(tf: typeof TF, graph: Graph, shapes: ShapeMap, lastAct: Set<string>, x: T4, source: WeightSource, hooks: ForwardOptions): T4 {
  const values = new Map<string, T4>([[graph.inputs[0].name, x]]);
  let nodeId = '';
  const weight = (shape: number[], fanIn: number): TF.Tensor => {
    const { create, params } = source;
    if (!create) return params[source.next++];
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (create.init === 'torch-default') {
      // PyTorch's kaiming_uniform_(a=√5): bound √(6/((1+5)·fan-in)) = 1/√fan-in.
      const bound = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < n; i++) data[i] = (create.rng.next() * 2 - 1) * bound;
    } else {
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < n; i++) data[i] = create.rng.normal() * std;
    }
    const w = tf.tensor(data, shape);
    (params as TF.Tensor[]).push(w);
    create.layers.push(nodeId);
    source.next++;
    return w;
  };
  // One entry per conv/linear in graph order, null where the layer has no bias (or the init gives none).
  const bias = (y: T4, hasBias: boolean, fanIn: number): T4 => {
    const { create } = source;
    if (create) {
      const bound = 1 / Math.sqrt(fanIn);
      source.biases.push(hasBias && create.init === 'torch-default' ? tf.tensor1d(Float32Array.from({ length: y.shape[3] }, () => (create.rng.next() * 2 - 1) * bound)) : null);
    }
    const b = source.biases[source.nextBias++];
    return b ? (tf.add(y, b) as T4) : y;
  };
  for (const node of graph.nodes) {
    nodeId = node.id;
    const refs = outputRefs(node, node.prim.op === 'split' ? node.prim.sizes.length : 1);
    let xs = node.inputs.map((r) => values.get(r)!);
    if (lastAct.has(node.id)) xs = [activate(tf, batchNorm(tf, xs[0], hooks, 1e-5), 'relu', hooks)];
    const ctx: Ctx = { tf, node, xs, inputShapes: node.inputs.map((r) => shapes.get(r)!), outputShapes: refs.map((r) => shapes.get(r)!), hooks, weight, bias };
    let outs: T4[];
    try {
      outs = (FORWARD[node.prim.op] as Rule<Prim>)(ctx, node.prim);
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`proxy: cannot run node '${node.id}' (${node.prim.op}) on ${xs.map((t) => t.shape.join('x')).join(', ')} (NHWC): ${(e as Error).message}`, { cause: e });
    }
    outs.forEach((v, k) => values.set(refs[k], v));
  }
  if (source.next !== source.params.length) throw new Error(`proxy network: used ${source.next} of ${source.params.length} parameters`);
  if (source.nextBias !== source.biases.length) throw new Error(`proxy network: used ${source.nextBias} of ${source.biases.length} biases`);
  return values.get(graph.outputs[0])!;
}
