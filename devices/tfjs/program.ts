/**
 * A primitive graph (src/core/graph) as a "tfjs program": plain JSON (weight descriptions and a list of
 * steps over NHWC tensors) that one interpreter runs — devices/browser/page/tfjs-program.js, loaded by
 * the bench page and imported by the Node tfjs devices alike, so both run the same program.
 *
 * One compile rule per primitive (PROGRAM_RULES), in the way a converted tfjs model runs it: a
 * BatchNorm folded into the conv in front of it (the ONNX emitter's rule, export/onnx/emit.ts), ReLU /
 * ReLU6 / sigmoid fused into a conv or dense kernel when nothing else reads the unactivated value, grouped
 * convolutions as one conv per group (tfjs has none), NCHW semantics kept where the layout shows
 * (flatten order, channel split/concat/shuffle on the last axis).
 */
import { inferShapes, outputRefs, type Graph, type GraphNode, type Pads, type Prim, type PrimAct, type PrimOf, type PrimOp, type Shape } from '../../src/core/graph/index.js';
import type { Architecture } from '../../src/core/arch.js';
import type { ModelUnderTest } from '../../src/core/contracts.js';
import { isUserError, UnrunnableModelError, UserError } from '../../src/core/errors.js';
import { isUnitKey, opKey } from '../../src/core/keys.js';
import { lowerArchitecture, lowerInstance } from '../../src/core/lower/index.js';
import type { OpInstance } from '../../src/core/ops.js';
import { foldedBatchNorms } from '../../export/onnx/emit.js';

/** Activations as the interpreter names them ('linear' = none). */
export type TfAct = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'hswish' | 'hsigmoid' | 'swish';
/** Explicit NHWC padding [[0,0],[top,bottom],[left,right],[0,0]], or one number for all four sides. */
export type TfPad = number | [[0, 0], [number, number], [number, number], [0, 0]];
type P2 = [number, number];

/** One step; x, y, xs index earlier values (the program's inputs first), w, b, scale, shift index weights. */
export type TfStep =
  | { op: 'conv' | 'dwconv'; x: number; w: number; b?: number; stride: P2; pad: TfPad; dilation: P2; act: TfAct }
  | { op: 'groupconv'; x: number; w: number; b?: number; groups: number; stride: P2; pad: TfPad; dilation: P2; act: TfAct }
  | { op: 'affine'; x: number; scale: number; shift: number }
  | { op: 'act'; x: number; act: TfAct }
  | { op: 'add'; xs: number[] }
  | { op: 'mul'; x: number; y: number }
  | { op: 'concat'; xs: number[] }
  | { op: 'slice'; x: number; begin: number; size: number }
  | { op: 'shuffle'; x: number; groups: number }
  | { op: 'crop'; x: number; begin: P2; size: P2 }
  | { op: 'pool'; x: number; mode: 'avg' | 'max'; kernel: P2; stride: P2; pad: TfPad; zeroPad?: TfPad }
  | { op: 'gpool'; x: number; mode: 'avg' | 'max' }
  | { op: 'flatten'; x: number }
  | { op: 'dense'; x: number; w: number; b?: number; act: TfAct }
  | { op: 'zero'; x: number; stride: number }
  | { op: 'norm'; x: number; axes: number[]; eps: number; scale: number; shift: number };

/**
 * How the values of a weight are made from the graph's parameters (PyTorch layout, named `<node>.<part>`):
 * the Node devices fill them from export/weights.ts (program-weights.ts); the page draws random values of
 * `shape` (latency does not depend on them).
 */
export type WeightInit =
  | { kind: 'weight'; param: string; torch: number[]; fanIn: number; gain: number; layout: 'hwio' | 'hwcm' | 'io'; group?: P2 }
  | { kind: 'bias'; param: string; torch: number[]; group?: P2 }
  | { kind: 'bn'; part: 'scale' | 'shift'; id: string; channels: number; eps: number }
  | { kind: 'constant'; param: string; torch: number[]; value: number };

export interface TfWeight {
  /** tfjs layout: conv filters HWIO, depthwise HW·C·M, dense [in, out], vectors [C]. */
  shape: number[];
  init: WeightInit;
}

export interface TfProgram {
  /** NHWC input shapes, in the order of the graph's inputs. */
  inputs: number[][];
  weights: TfWeight[];
  steps: TfStep[];
  /** Index of the output value. */
  output: number;
}

const dims = (p: readonly [number, number]) => (p[0] === p[1] ? String(p[0]) : p.join('x'));
const FUSABLE: ReadonlySet<TfAct> = new Set(['linear', 'relu', 'relu6', 'sigmoid']);
export const tfAct = (a: PrimAct): TfAct => (a === 'none' ? 'linear' : a);

function pad(p: Pads): TfPad {
  return p.every((v) => v === p[0]) ? p[0] : [[0, 0], [p[0], p[2]], [p[1], p[3]], [0, 0]];
}

/**
 * The padding a tfjs pool needs to compute a pool primitive (NCHW shapes in and out). Ceil mode: the
 * windows that run past the end get extra end padding, left out of averages and maxima as in ONNX.
 * count_include_pad: the explicit pads are zeros that count (`zeroPad`, padded onto the input first),
 * and only the ceil overhang stays out of the divisor. Shared with the proxies' net (tf-net.ts).
 */
export function poolPads(p: PrimOf<'pool'>, input: Shape, output: Shape): { pads: Pads; zeroPad?: Pads } {
  const [, , h, w] = input;
  const [, , oh, ow] = output;
  const extra = (size: number, out: number, k: number, s: number, begin: number, end: number) => Math.max(0, (out - 1) * s + k - (size + begin + end));
  const eh = extra(h, oh, p.kernel[0], p.stride[0], p.pads[0], p.pads[2]);
  const ew = extra(w, ow, p.kernel[1], p.stride[1], p.pads[1], p.pads[3]);
  if (p.mode === 'avg' && p.countIncludePad && p.pads.some((v) => v > 0)) return { pads: [0, 0, eh, ew], zeroPad: p.pads };
  return { pads: [p.pads[0], p.pads[1], p.pads[2] + eh, p.pads[3] + ew] };
}

export interface CompileContext {
  node: GraphNode;
  inputs: number[];
  inputShapes: Shape[];
  outputShapes: Shape[];
  weight(shape: number[], init: WeightInit): number;
  step(s: TfStep): number;
  /** Set by conv/linear: the bias a folded BatchNorm adds and the activation fused in, decided by the compiler. */
  foldsBn: boolean;
  fusedAct: TfAct;
}

/** One primitive → steps; returns the value index of each output. Throw a UserError for what tfjs cannot run. */
export type ProgramRule<P extends Prim> = (ctx: CompileContext, p: P) => number[];

const rule = <K extends PrimOp>(r: ProgramRule<PrimOf<K>>) => r;

export const PROGRAM_RULES: { readonly [K in PrimOp]: ProgramRule<PrimOf<K>> } = {
  conv: rule<'conv'>((ctx, p) => {
    const { node } = ctx;
    const cin = ctx.inputShapes[0][1];
    const [kh, kw] = p.kernel;
    if ((p.stride[0] > 1 || p.stride[1] > 1) && (p.dilation[0] > 1 || p.dilation[1] > 1))
      throw new UserError(`tfjs convolutions take a stride or a dilation, not both: conv '${node.id}' has stride ${dims(p.stride)} and dilation ${dims(p.dilation)}`);
    const torch = [p.cout, cin / p.groups, kh, kw];
    const fanIn = (cin / p.groups) * kh * kw;
    const gain = node.init?.gain ?? 1;
    const hasBias = p.bias || ctx.foldsBn;
    const common = { x: ctx.inputs[0], stride: [...p.stride] as P2, pad: pad(p.pads), dilation: [...p.dilation] as P2, act: ctx.fusedAct };
    const param = `${node.id}.weight`;
    if (p.groups === 1) {
      const w = ctx.weight([kh, kw, cin, p.cout], { kind: 'weight', param, torch, fanIn, gain, layout: 'hwio' });
      const b = hasBias ? ctx.weight([p.cout], { kind: 'bias', param: `${node.id}.bias`, torch: [p.cout] }) : undefined;
      return [ctx.step({ op: 'conv', ...common, w, ...(b === undefined ? {} : { b }) })];
    }
    if (p.groups === cin) {
      const w = ctx.weight([kh, kw, cin, p.cout / cin], { kind: 'weight', param, torch, fanIn, gain, layout: 'hwcm' });
      const b = hasBias ? ctx.weight([p.cout], { kind: 'bias', param: `${node.id}.bias`, torch: [p.cout] }) : undefined;
      return [ctx.step({ op: 'dwconv', ...common, w, ...(b === undefined ? {} : { b }) })];
    }
    // One filter per group, consecutive weights; one bias for the concatenated output.
    const gin = cin / p.groups;
    const gout = p.cout / p.groups;
    const first = ctx.weight([kh, kw, gin, gout], { kind: 'weight', param, torch, fanIn, gain, layout: 'hwio', group: [0, p.groups] });
    for (let g = 1; g < p.groups; g++) ctx.weight([kh, kw, gin, gout], { kind: 'weight', param, torch, fanIn, gain, layout: 'hwio', group: [g, p.groups] });
    const b = hasBias ? ctx.weight([p.cout], { kind: 'bias', param: `${node.id}.bias`, torch: [p.cout] }) : undefined;
    return [ctx.step({ op: 'groupconv', ...common, w: first, groups: p.groups, ...(b === undefined ? {} : { b }) })];
  }),

  bn: rule<'bn'>((ctx, p) => {
    const c = ctx.inputShapes[0][1];
    const init = (part: 'scale' | 'shift'): WeightInit => ({ kind: 'bn', part, id: ctx.node.id, channels: c, eps: p.eps });
    return [ctx.step({ op: 'affine', x: ctx.inputs[0], scale: ctx.weight([c], init('scale')), shift: ctx.weight([c], init('shift')) })];
  }),

  act: rule<'act'>((ctx, p) => [p.act === 'none' ? ctx.inputs[0] : ctx.step({ op: 'act', x: ctx.inputs[0], act: tfAct(p.act) })]),
  add: rule<'add'>((ctx) => [ctx.inputs.length === 1 ? ctx.inputs[0] : ctx.step({ op: 'add', xs: ctx.inputs })]),
  mul: rule<'mul'>((ctx) => [ctx.step({ op: 'mul', x: ctx.inputs[0], y: ctx.inputs[1] })]),
  concat: rule<'concat'>((ctx) => [ctx.inputs.length === 1 ? ctx.inputs[0] : ctx.step({ op: 'concat', xs: ctx.inputs })]),

  split: rule<'split'>((ctx, p) => {
    let begin = 0;
    return p.sizes.map((size) => {
      const v = ctx.step({ op: 'slice', x: ctx.inputs[0], begin, size });
      begin += size;
      return v;
    });
  }),

  shuffle: rule<'shuffle'>((ctx, p) => [p.groups === 1 ? ctx.inputs[0] : ctx.step({ op: 'shuffle', x: ctx.inputs[0], groups: p.groups })]),

  pool: rule<'pool'>((ctx, p) => {
    const { pads, zeroPad } = poolPads(p, ctx.inputShapes[0], ctx.outputShapes[0]);
    const base = { op: 'pool' as const, x: ctx.inputs[0], mode: p.mode, kernel: [...p.kernel] as P2, stride: [...p.stride] as P2 };
    return [ctx.step(zeroPad ? { ...base, zeroPad: pad(zeroPad), pad: pad(pads) } : { ...base, pad: pad(pads) })];
  }),

  gpool: rule<'gpool'>((ctx, p) => [ctx.step({ op: 'gpool', x: ctx.inputs[0], mode: p.mode })]),
  flatten: rule<'flatten'>((ctx) => {
    const [, , h, w] = ctx.inputShapes[0];
    return [h === 1 && w === 1 ? ctx.inputs[0] : ctx.step({ op: 'flatten', x: ctx.inputs[0] })];
  }),

  linear: rule<'linear'>((ctx, p) => {
    const c = ctx.inputShapes[0][1];
    const { node } = ctx;
    const w = ctx.weight([c, p.cout], { kind: 'weight', param: `${node.id}.weight`, torch: [p.cout, c], fanIn: c, gain: node.init?.gain ?? 1, layout: 'io' });
    const b = p.bias ? ctx.weight([p.cout], { kind: 'bias', param: `${node.id}.bias`, torch: [p.cout] }) : undefined;
    return [ctx.step({ op: 'dense', x: ctx.inputs[0], w, ...(b === undefined ? {} : { b }), act: ctx.fusedAct })];
  }),

  slice: rule<'slice'>((ctx, p) => [ctx.step({ op: 'crop', x: ctx.inputs[0], begin: [...p.begin] as P2, size: [p.end[0] - p.begin[0], p.end[1] - p.begin[1]] })]),
  zero: rule<'zero'>((ctx, p) => [ctx.step({ op: 'zero', x: ctx.inputs[0], stride: p.stride })]),
  layernorm: rule<'layernorm'>((ctx, p) => [norm(ctx, [1, 2, 3], p.eps)]),
  instancenorm: rule<'instancenorm'>((ctx, p) => [norm(ctx, [1, 2], p.eps)]),
};

/** Normalisation over `axes` (NHWC) with the per-channel scale `<id>.gamma` (generated 1) and shift `<id>.beta` (generated 0). */
function norm(ctx: CompileContext, axes: number[], eps: number): number {
  const c = ctx.inputShapes[0][1];
  const param = (part: string, value: number): WeightInit => ({ kind: 'constant', param: `${ctx.node.id}.${part}`, torch: [c], value });
  return ctx.step({ op: 'norm', x: ctx.inputs[0], axes, eps, scale: ctx.weight([c], param('gamma', 1)), shift: ctx.weight([c], param('beta', 0)) });
}

/** How many nodes read each reference, graph outputs counted as readers. */
function readerCounts(graph: Graph): Map<string, number> {
  const readers = new Map<string, number>();
  for (const n of graph.nodes) for (const r of n.inputs) readers.set(r, (readers.get(r) ?? 0) + 1);
  for (const o of graph.outputs) readers.set(o, (readers.get(o) ?? 0) + 1);
  return readers;
}

const nhwc = (s: readonly number[]) => [s[0], s[2], s[3], s[1]];

export function tfjsProgram(graph: Graph): TfProgram {
  const shapes = inferShapes(graph);
  const folded = foldedBatchNorms(graph);
  const readers = readerCounts(graph);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  // The BN each conv folds, and the act a conv/linear (or its folded BN) hands its output to alone.
  const foldsBn = new Set<string>();
  for (const id of folded) foldsBn.add(byId.get(id)!.inputs[0]);
  const fusedInto = new Map<string, TfAct>(); // conv/linear id → act
  const fusedActs = new Set<string>(); // act node ids compiled away
  for (const n of graph.nodes) {
    if (n.prim.op !== 'act' || !FUSABLE.has(tfAct(n.prim.act))) continue;
    const src = n.inputs[0];
    const producer = folded.has(src) ? byId.get(byId.get(src)!.inputs[0])! : byId.get(src);
    if (!producer || (producer.prim.op !== 'conv' && producer.prim.op !== 'linear') || readers.get(src) !== 1 || fusedInto.has(producer.id)) continue;
    fusedInto.set(producer.id, tfAct(n.prim.act));
    fusedActs.add(n.id);
  }

  const weights: TfWeight[] = [];
  const steps: TfStep[] = [];
  const values = new Map<string, number>();
  graph.inputs.forEach((input, i) => values.set(input.name, i));
  for (const node of graph.nodes) {
    if (folded.has(node.id) || fusedActs.has(node.id)) {
      values.set(node.id, values.get(node.inputs[0])!);
      continue;
    }
    const refs = outputRefs(node, node.prim.op === 'split' ? node.prim.sizes.length : 1);
    const ctx: CompileContext = {
      node,
      inputs: node.inputs.map((r) => values.get(r)!),
      inputShapes: node.inputs.map((r) => shapes.get(r)!),
      outputShapes: refs.map((r) => shapes.get(r)!),
      weight: (shape, init) => weights.push({ shape, init }) - 1,
      step: (s) => steps.push(s) - 1 + graph.inputs.length,
      foldsBn: foldsBn.has(node.id),
      fusedAct: fusedInto.get(node.id) ?? 'linear',
    };
    const compile = PROGRAM_RULES[node.prim.op] as ProgramRule<Prim>;
    compile(ctx, node.prim).forEach((v, k) => values.set(refs[k], v));
  }
  return { inputs: graph.inputs.map((i) => nhwc(i.shape)), weights, steps, output: values.get(graph.outputs[0])! };
}

/** The primitive graph of a model: the one it carries, else its op instances lowered (one op, or a chain of layers). */
export function modelGraph(model: ModelUnderTest): Graph {
  if (model.graph) return model.graph;
  const ops = model.ops;
  if (ops.length === 1 && model.key === opKey(ops[0])) return lowerInstance(ops[0]);
  if (!ops.length && isUnitKey(model.key))
    throw new UnrunnableModelError(`tfjs cannot time ONNX unit '${model.key}': ${model.noGraph ?? 'it carries no primitive graph'} (tfjs runs an ONNX unit as primitives)`, {
      hint: 'time the whole file on a device that runs ONNX (ort-cpu, wasm, browser-wasm, webgpu, webgpu-native or remote), or accept a prediction that names this unit as not timed',
    });
  if (!ops.length) throw new UserError(`tfjs: '${model.key}' has no ops to build`);
  const arch: Architecture = { name: model.key, input: ops[0].input, dtype: 'f32', layers: ops.map((inst) => ({ role: 'block', spec: inst.spec })) };
  return lowerArchitecture(arch);
}

/** Why tfjs cannot run this instance, or undefined when it can. */
export function tfUnsupported(inst: OpInstance): string | undefined {
  try {
    tfjsProgram(lowerInstance(inst));
    return undefined;
  } catch (e) {
    if (isUserError(e)) return e.message;
    throw e;
  }
}
