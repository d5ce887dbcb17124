/**
 * A trainable module built from a primitive graph (src/core/graph): each architecture layer is lowered
 * (src/core/lower, the one definition of what a block computes) and its primitives become training
 * modules, run forward in graph order and backward in reverse, gradients of a tensor read twice added up.
 *
 * One rule per primitive (UNIT_RULES). Two fusions keep the fast kernels the engine had: a conv with the
 * BatchNorm that alone reads it and the ReLU/ReLU6 that alone reads that (BatchNorm computes the
 * activation in the same pass), and a 1×1 conv with a bias on a 1×1 tensor (squeeze-excitation) as a
 * dense product. A primitive or setting training has no backward for raises a UserError naming it.
 * Parameter names are the node ids (export/weights.ts): `<conv id>.weight`, `<conv id>.bn.gamma`, …
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.js';
import { GraphBuilder, inferShapes, outputRefs, samePads, type Graph, type GraphNode, type Prim, type PrimOf, type PrimOp, type Shape } from '../../core/graph/index.js';
import { lowerBlock } from '../../core/lower/index.js';
import type { Act, OpSpec } from '../../core/ops.js';
import { Activation } from './activation.js';
import { BatchNorm } from './batchnorm.js';
import { ChannelBias } from './bias.js';
import { Conv, Depthwise, Pointwise } from './conv.js';
import { GeneralConv } from './general-conv.js';
import { Linear } from './dense.js';
import { Sequence, tidyGrad, type Module, type Param, type TrainContext, type WeightRef } from './module.js';
import { GlobalPool, MaxPool, Zero } from './pool.js';
import { GeneralPool } from './general-pool.js';
import { Norm } from './norms.js';
import { dropPathUnit } from './drop-path.js';
import { addUnit, concatUnit, flattenUnit, gateUnit, mulUnit, shuffleUnit, sliceUnit, splitUnit, type GraphUnit } from './primitives.js';

type T4 = tf.Tensor4D;

/** A 1×1 conv with bias on N×C×1×1 (squeeze-excitation): a dense product; exported as [cout, cin, 1, 1]. */
export class PointwiseDense extends Linear {}

/** A single-input Module as a graph unit. */
function moduleUnit(m: Module): GraphUnit & { module: Module } {
  return {
    module: m,
    forward: ([x], ctx) => [m.forward(x, ctx)],
    backward: ([dy], [need]) => [dy ? m.backward(dy, need) : null],
    params: () => m.params(),
  };
}

interface Built {
  unit: GraphUnit & { module?: Module };
  /** Graph nodes the unit also computes (a fused BatchNorm / activation); its output is the last one's. */
  absorbed: string[];
}

interface RuleContext {
  node: GraphNode;
  /** Names the layer in messages (`layer3`). */
  where: string;
  shapes: Shape[];
  seed: number;
  /** The only reader of `ref`, or undefined (several readers, or a graph output). */
  soleReader(ref: string): GraphNode | undefined;
  weights?: WeightSource;
}

/** A bias-free conv's weight as its training module holds it (see WeightSource). */
export interface ConvWeightRequest {
  /** The conv node's id (the weight's own name would be `<id>.weight`). */
  id: string;
  /** tfjs layout: [k, k, cin, cout], or [k, k, c, 1] for depthwise. */
  shape: number[];
  fanIn: number;
  /** The activation after the conv and its BatchNorm (the He gain of its initial values). */
  act: string;
  depthwise: boolean;
}

/**
 * Weight sharing: supplies the weight of a bias-free conv from outside (a shared Param of exactly that
 * shape, or a ParamSlice of a larger one, e.g. a supernet's largest kernel); undefined gives the module
 * its own new Param. BatchNorms, biases and linear layers always have their own parameters.
 */
export type WeightSource = (req: ConvWeightRequest) => WeightRef | undefined;

/**
 * The weights of every bias-free conv the training module of `graph` holds, in graph order, as
 * WeightSource is asked for them (to size shared tensors before building the modules). Convs training
 * cannot run are left out (building the module names them).
 */
export function convWeights(graph: Graph): ConvWeightRequest[] {
  const shapes = inferShapes(graph);
  const soleReader = readerOf(graph);
  return graph.nodes.flatMap((n) => {
    if (n.prim.op !== 'conv' || n.prim.bias) return [];
    const plan = convPlan(n, n.prim, shapes.get(n.inputs[0])![1], soleReader);
    return plan.general ? [] : [{ id: n.id, shape: plan.shape, fanIn: plan.fanIn, act: plan.act ?? 'none', depthwise: plan.depthwise }];
  });
}

/** The only reader of a tensor of `graph`, or undefined (several readers, or a graph output). */
function readerOf(graph: Graph): (ref: string) => GraphNode | undefined {
  const readers = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) for (const r of n.inputs) readers.set(r, [...(readers.get(r) ?? []), n]);
  return (ref) => (graph.outputs.includes(ref) || readers.get(ref)?.length !== 1 ? undefined : readers.get(ref)![0]);
}

type UnitRule<P extends Prim> = (ctx: RuleContext, p: P) => Built;

const FUSED_BN_ACTS = new Set(['relu', 'relu6']);
const MODULE_ACTS = new Set(['relu', 'relu6', 'hswish', 'swish']);

function refuse(ctx: RuleContext, what: string): never {
  throw new UserError(`${ctx.where}: training ${what} (primitive ${ctx.node.prim.op} '${ctx.node.id}')`, {
    hint: 'train a network made of the primitives and settings training supports, or export it to ONNX and train it elsewhere',
  });
}

const single = (m: Module, absorbed: string[] = []): Built => ({ unit: moduleUnit(m), absorbed });

/** What the training module of a bias-free conv node holds: its weight (tfjs layout), fan-in and the BatchNorm / activation it absorbs. */
interface ConvPlan {
  /** Why the conv needs GeneralConv (dilation, rectangular kernel or stride, explicit pads, groups); undefined for conv.ts's fast square 'same' modules. */
  general?: string;
  depthwise: boolean;
  /** [k, k, cin, cout], or [k, k, c, 1] for depthwise. */
  shape: number[];
  fanIn: number;
  bn?: GraphNode;
  actNode?: GraphNode;
  /** The activation after the conv (and its BatchNorm), fused into the module; sets the He gain. */
  act?: Act;
}

/** The plan of a bias-free conv. */
function convPlan(node: GraphNode, p: PrimOf<'conv'>, cin: number, soleReader: (ref: string) => GraphNode | undefined): ConvPlan {
  const [kh, kw] = p.kernel;
  const depthwise = p.groups === cin && p.cout === cin && cin > 1;
  const general =
    p.dilation[0] !== 1 || p.dilation[1] !== 1
      ? `dilation ${p.dilation.join('x')}`
      : kh !== kw || p.stride[0] !== p.stride[1]
        ? `kernel ${kh}x${kw} stride ${p.stride.join('x')}`
        : p.pads.join(',') !== samePads(kh, kw).join(',')
          ? `pads ${p.pads.join(',')}`
          : p.groups !== 1 && !depthwise
            ? `groups ${p.groups} for ${cin} -> ${p.cout} channels`
            : undefined;
  // conv → BatchNorm → activation, each the only reader of the one before: one module, as the engine always ran them.
  const reader = soleReader(node.id);
  const bn = reader?.prim.op === 'bn' ? reader : undefined;
  const after = bn ? soleReader(bn.id) : undefined;
  const act = after?.prim.op === 'act' && MODULE_ACTS.has(after.prim.act) ? (after.prim.act as Act) : undefined;
  return { general, depthwise, shape: depthwise ? [kh, kh, cin, 1] : [kh, kh, cin, p.cout], fanIn: depthwise ? kh * kh : kh * kh * cin, bn, actNode: act ? after : undefined, act };
}

const conv: UnitRule<PrimOf<'conv'>> = (ctx, p) => {
  const cin = ctx.shapes[0][1];
  const [kh, kw] = p.kernel;
  if (p.bias && kh === 1 && kw === 1 && p.groups === 1 && ctx.shapes[0][2] === 1 && ctx.shapes[0][3] === 1) {
    // Squeeze-excitation's 1×1 convs with bias, on pooled N×C×1×1 vectors.
    const act = ctx.soleReader(ctx.node.id);
    const fused = act?.prim.op === 'act' && MODULE_ACTS.has(act.prim.act) ? (act.prim.act as Act) : undefined;
    return single(new PointwiseDense(ctx.node.id, cin, p.cout, fused ?? 'none', ctx.seed), fused ? [act!.id] : []);
  }
  if (p.bias) return biasedConv(ctx, p, cin);
  const plan = convPlan(ctx.node, p, cin, ctx.soleReader);
  // Nested sharing hands out slices of square 'same' kernels only; a general conv there would silently not share.
  if (plan.general && ctx.weights) refuse(ctx, `shares weights only between square 'same' convs, got ${plan.general}`);
  const init = { seed: ctx.seed, act: plan.act ?? 'none' };
  const id = ctx.node.id;
  const weight = ctx.weights?.({ id, shape: plan.shape, fanIn: plan.fanIn, act: init.act, depthwise: plan.depthwise });
  const k = kh;
  const stride = p.stride[0];
  const parts: Module[] = [
    plan.general
      ? new GeneralConv(id, { cin, cout: p.cout, kernel: p.kernel, stride: p.stride, pads: p.pads, dilation: p.dilation, groups: p.groups }, init)
      : plan.depthwise
        ? new Depthwise(id, cin, k, stride, init, weight)
        : k === 1 && stride === 1
          ? new Pointwise(id, cin, p.cout, init, weight)
          : new Conv(id, cin, p.cout, k, stride, init, weight),
  ];
  const absorbed: string[] = [];
  if (plan.bn) {
    absorbed.push(plan.bn.id);
    const fuse = plan.act !== undefined && FUSED_BN_ACTS.has(plan.act);
    parts.push(new BatchNorm(plan.bn.id, p.cout, fuse ? (plan.act as 'relu' | 'relu6') : 'none'));
    if (plan.act) {
      absorbed.push(plan.actNode!.id);
      if (!fuse) parts.push(new Activation(plan.act));
    }
  }
  return single(new Sequence(parts), absorbed);
};

/**
 * A conv with its own bias on a feature map and no BatchNorm (SqueezeNet's Fire): the bias-free conv module, then
 * a per-channel bias; the activation after it stays its own unit but sets the He gain of the initial weights.
 */
function biasedConv(ctx: RuleContext, p: PrimOf<'conv'>, cin: number): Built {
  if (ctx.weights) refuse(ctx, 'shares weights only between bias-free convs');
  const plan = convPlan(ctx.node, p, cin, () => undefined);
  const next = ctx.soleReader(ctx.node.id);
  if (next?.prim.op === 'bn') refuse(ctx, 'supports a conv with its own bias only without a BatchNorm after it');
  const act = next?.prim.op === 'act' && MODULE_ACTS.has(next.prim.act) ? (next.prim.act as Act) : 'none';
  const init = { seed: ctx.seed, act };
  const id = ctx.node.id;
  const [k, stride] = [p.kernel[0], p.stride[0]];
  const convModule = plan.general
    ? new GeneralConv(id, { cin, cout: p.cout, kernel: p.kernel, stride: p.stride, pads: p.pads, dilation: p.dilation, groups: p.groups }, init)
    : plan.depthwise
      ? new Depthwise(id, cin, k, stride, init)
      : k === 1 && stride === 1
        ? new Pointwise(id, cin, p.cout, init)
        : new Conv(id, cin, p.cout, k, stride, init);
  return single(new Sequence([convModule, new ChannelBias(id, p.cout)]));
}

const UNIT_RULES: { readonly [K in PrimOp]: UnitRule<PrimOf<K>> } = {
  conv,
  bn: (ctx) => single(new BatchNorm(ctx.node.id, ctx.shapes[0][1])),
  act: (ctx, p) => {
    if (p.act === 'sigmoid' || p.act === 'hsigmoid') return { unit: gateUnit(p.act), absorbed: [] };
    return single(new Activation(p.act as Act));
  },
  add: () => ({ unit: addUnit(), absorbed: [] }),
  mul: () => ({ unit: mulUnit(), absorbed: [] }),
  concat: () => ({ unit: concatUnit(), absorbed: [] }),
  split: (_ctx, p) => ({ unit: splitUnit(p.sizes), absorbed: [] }),
  shuffle: (_ctx, p) => ({ unit: shuffleUnit(p.groups), absorbed: [] }),
  slice: (_ctx, p) => ({ unit: sliceUnit(p.begin, p.end), absorbed: [] }),
  pool: (ctx, p) => {
    const [k] = p.kernel;
    const same = p.kernel[1] === k && p.stride[0] === p.stride[1] && p.pads.join(',') === samePads(k, k).join(',');
    // Square 'same' max pools keep pool.ts's MaxPool; every average and the rest (ceil mode, explicit pads)
    // run as GeneralPool, which pools the explicitly padded input 'valid' and rescales by the count: its
    // gradient is exact, where tfjs's AvgPoolGrad divides by the full window even where the forward leaves the
    // padding out of the count (border pixels got too small a gradient, by 9/4 at a corner of a 3×3 pool).
    if (!same || p.ceil || p.mode === 'avg') return single(new GeneralPool(p));
    return single(new MaxPool(k, p.stride[0]));
  },
  gpool: (_ctx, p) => single(new GlobalPool(p.mode)),
  flatten: () => ({ unit: flattenUnit(), absorbed: [] }),
  linear: (ctx, p) => {
    if (!p.bias) refuse(ctx, 'supports linear layers with a bias');
    const act = ctx.soleReader(ctx.node.id);
    const fused = act?.prim.op === 'act' && MODULE_ACTS.has(act.prim.act) ? (act.prim.act as Act) : undefined;
    return single(new Linear(ctx.node.id, ctx.shapes[0][1], p.cout, fused ?? 'none', ctx.seed), fused ? [act!.id] : []);
  },
  zero: (_ctx, p) => single(new Zero(p.stride)),
  layernorm: (ctx, p) => single(new Norm(ctx.node.id, 'layer', ctx.shapes[0][1], p.eps)),
  instancenorm: (ctx, p) => single(new Norm(ctx.node.id, 'instance', ctx.shapes[0][1], p.eps)),
};

interface Step {
  unit: GraphUnit & { module?: Module };
  inputs: string[];
  outputs: string[];
}

/** A primitive graph with one input and one output as a Module (NHWC tensors). */
export class GraphModule implements Module {
  readonly steps: Step[] = [];
  private readonly input: string;
  private readonly output: string;

  /** `weights`: conv weights supplied from outside (weight sharing), see WeightSource. */
  constructor(graph: Graph, where: string, seed: number, weights?: WeightSource) {
    if (graph.inputs.length !== 1 || graph.outputs.length !== 1) throw new Error(`${where}: a training module takes one input and gives one output`);
    this.input = graph.inputs[0].name;
    const shapes = new Map<string, Shape>(graph.inputs.map((i) => [i.name, i.shape]));
    const soleReader = readerOf(graph);
    const alias = new Map<string, string>();
    const resolve = (ref: string) => alias.get(ref) ?? ref;
    const done = new Set<string>();
    for (const [ref, s] of inferShapes(graph)) shapes.set(ref, s);
    const paths = new Set(graph.dropPaths);
    for (const node of graph.nodes) {
      if (done.has(node.id)) continue;
      const rule = UNIT_RULES[node.prim.op] as UnitRule<Prim>;
      const built = rule({ node, where, shapes: node.inputs.map((r) => shapes.get(r)!), seed, soleReader, weights }, node.prim);
      const outputs = outputRefs(node, node.prim.op === 'split' ? node.prim.sizes.length : 1);
      const last = built.absorbed.length ? built.absorbed[built.absorbed.length - 1] : undefined;
      for (const id of built.absorbed) done.add(id);
      // The unit's output is the last absorbed node's; the nodes it absorbed are read by nothing else.
      const outRef = last ?? outputs[0];
      if (last) alias.set(node.id, last);
      // A cell path (graph.dropPaths) computes through drop-path in training (drop-path.ts).
      this.steps.push({ unit: paths.delete(outRef) ? dropPathUnit(built.unit) : built.unit, inputs: node.inputs.map(resolve), outputs: last ? [outRef] : outputs });
    }
    if (paths.size) throw new Error(`${where}: cell paths ${[...paths].join(', ')} are no unit's output`);
    this.output = graph.outputs[0];
  }

  forward(x: T4, ctx?: TrainContext): T4 {
    return tf.tidy(() => {
      const values = new Map<string, T4>([[this.input, x]]);
      for (const s of this.steps) s.unit.forward(s.inputs.map((r) => values.get(r)!), ctx).forEach((y, k) => values.set(s.outputs[k], y));
      return values.get(this.output)!;
    });
  }

  backward(dy: T4, needInput: boolean): T4 | null {
    return tidyGrad(() => {
      const grads = new Map<string, T4>([[this.output, dy]]);
      const add = (ref: string, g: T4 | null) => {
        if (!g) return;
        const had = grads.get(ref);
        if (!had) return void grads.set(ref, g);
        grads.set(ref, tf.add(had, g) as T4);
        if (had !== dy) had.dispose();
        g.dispose();
      };
      for (let i = this.steps.length - 1; i >= 0; i--) {
        const s = this.steps[i];
        const dys = s.outputs.map((r) => grads.get(r) ?? null);
        if (dys.every((d) => d === null)) {
          // Nothing downstream needs this unit (a zero branch): still release what its forward kept.
          s.unit.backward(dys, s.inputs.map(() => false));
          continue;
        }
        const need = s.inputs.map((r) => r !== this.input || needInput);
        s.unit.backward(dys, need).forEach((g, k) => add(s.inputs[k], g));
        // A gradient is consumed once its producer ran backward: free it now, not at the end of the block.
        s.outputs.forEach((r, k) => {
          if (dys[k] && dys[k] !== dy) dys[k]!.dispose();
          grads.delete(r);
        });
      }
      if (!needInput) return null;
      const g = grads.get(this.input) ?? tf.zerosLike(dy);
      return g === dy ? tf.clone(dy) : g; // a new tensor, as the Module contract says (an identity block)
    });
  }

  params(): Param[] {
    return this.steps.flatMap((s) => s.unit.params());
  }

  /** The modules inside (for BatchNorm recalibration and weight folding). */
  modules(): Module[] {
    return this.steps.flatMap((s) => (s.unit.module ? [s.unit.module] : []));
  }
}


/** The graph of one architecture layer: the block lowered (src/core/lower) under `prefix`, input `x`. */
export function layerGraph(spec: OpSpec, input: Shape, prefix: string): Graph {
  const b = new GraphBuilder();
  const x = b.input('x', input);
  return b.build([lowerBlock(b, spec, [x], prefix)]);
}

/** The module of one architecture layer: its lowering's primitives as modules (`weights`: see WeightSource). */
export function buildLayer(spec: OpSpec, input: Shape, prefix: string, seed: number, weights?: WeightSource): Module {
  return new GraphModule(layerGraph(spec, input, prefix), prefix, seed, weights);
}
