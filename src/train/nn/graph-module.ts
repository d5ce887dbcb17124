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
import { Conv, Depthwise, Pointwise } from './conv.js';
import { GeneralConv } from './general-conv.js';
import { Linear } from './dense.js';
import { Sequence, tidyGrad, type Module, type Param, type TrainContext } from './module.js';
import { GlobalPool, Pool, Zero } from './pool.js';
import { GeneralPool } from './general-pool.js';
import { Norm } from './norms.js';
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

const conv: UnitRule<PrimOf<'conv'>> = (ctx, p) => {
  const cin = ctx.shapes[0][1];
  const [kh, kw] = p.kernel;
  if (p.bias) {
    // Squeeze-excitation's 1×1 convs with bias, on pooled N×C×1×1 vectors.
    if (kh !== 1 || kw !== 1 || p.groups !== 1 || ctx.shapes[0][2] !== 1 || ctx.shapes[0][3] !== 1)
      refuse(ctx, `supports a conv with its own bias only as a 1x1 conv on a 1x1 tensor (squeeze-excitation), got ${kh}x${kw} groups ${p.groups} on ${ctx.shapes[0].join('x')}`);
    const act = ctx.soleReader(ctx.node.id);
    const fused = act?.prim.op === 'act' && MODULE_ACTS.has(act.prim.act) ? (act.prim.act as Act) : undefined;
    return single(new PointwiseDense(ctx.node.id, cin, p.cout, fused ?? 'none', ctx.seed), fused ? [act!.id] : []);
  }
  const depthwise = p.groups === cin && p.cout === cin && cin > 1;
  // The square 'same' convs (plain or depthwise) keep conv.ts's fast modules; the rest run as GeneralConv.
  const plain =
    p.dilation[0] === 1 && p.dilation[1] === 1 && kh === kw && p.stride[0] === p.stride[1] && p.pads.join(',') === samePads(kh, kw).join(',') && (p.groups === 1 || depthwise);
  // conv → BatchNorm → activation, each the only reader of the one before: one module, as the engine always ran them.
  const absorbed: string[] = [];
  const bn = ctx.soleReader(ctx.node.id);
  const withBn = bn?.prim.op === 'bn' ? bn : undefined;
  const actNode = withBn ? ctx.soleReader(withBn.id) : undefined;
  const act = actNode?.prim.op === 'act' && MODULE_ACTS.has(actNode.prim.act) ? (actNode.prim.act as Act) : undefined;
  const init = { seed: ctx.seed, act: act ?? 'none' };
  const id = ctx.node.id;
  const k = kh;
  const stride = p.stride[0];
  const parts: Module[] = [
    !plain
      ? new GeneralConv(id, { cin, cout: p.cout, kernel: p.kernel, stride: p.stride, pads: p.pads, dilation: p.dilation, groups: p.groups }, init)
      : depthwise
        ? new Depthwise(id, cin, k, stride, init)
        : k === 1 && stride === 1
          ? new Pointwise(id, cin, p.cout, init)
          : new Conv(id, cin, p.cout, k, stride, init),
  ];
  if (withBn) {
    absorbed.push(withBn.id);
    const fuse = act !== undefined && FUSED_BN_ACTS.has(act);
    parts.push(new BatchNorm(withBn.id, p.cout, fuse ? (act as 'relu' | 'relu6') : 'none'));
    if (act) {
      absorbed.push(actNode!.id);
      if (!fuse) parts.push(new Activation(act));
    }
  }
  return single(new Sequence(parts), absorbed);
};

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
    // Square 'same' pools keep pool.ts's module; the rest (ceil mode, explicit pads, count_include_pad) run as GeneralPool.
    if (!same || p.ceil || (p.countIncludePad && p.mode === 'avg')) return single(new GeneralPool(p));
    return single(new Pool(p.mode, k, p.stride[0]));
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

  constructor(graph: Graph, where: string, seed: number) {
    if (graph.inputs.length !== 1 || graph.outputs.length !== 1) throw new Error(`${where}: a training module takes one input and gives one output`);
    this.input = graph.inputs[0].name;
    const shapes = new Map<string, Shape>(graph.inputs.map((i) => [i.name, i.shape]));
    const readers = new Map<string, GraphNode[]>();
    for (const n of graph.nodes) for (const r of n.inputs) readers.set(r, [...(readers.get(r) ?? []), n]);
    const soleReader = (ref: string) => (graph.outputs.includes(ref) || readers.get(ref)?.length !== 1 ? undefined : readers.get(ref)![0]);
    const alias = new Map<string, string>();
    const resolve = (ref: string) => alias.get(ref) ?? ref;
    const done = new Set<string>();
    for (const [ref, s] of inferShapes(graph)) shapes.set(ref, s);
    for (const node of graph.nodes) {
      if (done.has(node.id)) continue;
      const rule = UNIT_RULES[node.prim.op] as UnitRule<Prim>;
      const built = rule({ node, where, shapes: node.inputs.map((r) => shapes.get(r)!), seed, soleReader }, node.prim);
      const outputs = outputRefs(node, node.prim.op === 'split' ? node.prim.sizes.length : 1);
      const last = built.absorbed.length ? built.absorbed[built.absorbed.length - 1] : undefined;
      for (const id of built.absorbed) done.add(id);
      // The unit's output is the last absorbed node's; the nodes it absorbed are read by nothing else.
      const outRef = last ?? outputs[0];
      if (last) alias.set(node.id, last);
      this.steps.push({ unit: built.unit, inputs: node.inputs.map(resolve), outputs: last ? [outRef] : outputs });
    }
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


/** The module of one architecture layer: the block lowered (src/core/lower) under `prefix`, its primitives as modules. */
export function buildLayer(spec: OpSpec, input: Shape, prefix: string, seed: number): Module {
  const b = new GraphBuilder();
  const x = b.input('x', input);
  const y = lowerBlock(b, spec, [x], prefix);
  return new GraphModule(b.build([y]), prefix, seed);
}
