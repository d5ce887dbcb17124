/**
 * The ONNX ops that have a primitive in the graph IR (src/core/graph/), mapped onto it, so an ONNX file's
 * MACs, parameters and activations are counted by the same definitions as every architecture's:
 *   Conv → conv, BatchNormalization → bn, Relu/Clip(0,6)/Sigmoid/HardSigmoid(1/6,½)/HardSwish → act,
 *   Add → add, Mul → mul, Concat on channels → concat, Max/AveragePool → pool, GlobalAverage/MaxPool → gpool,
 *   Flatten (and a Reshape that flattens, N×C×H×W → N×CHW or N×C → N×C×1×1) → flatten, Gemm with a constant B (and MatMul on N×C by a constant C×K) → linear, Slice of H and W
 *   with constant bounds and unit steps → slice.
 * Only 4-D NCHW tensors (2-D for linear, lifted to N×C×1×1) map; everything else is listed as not counted.
 */
import { inferShapes } from '../core/graph/infer.js';
import { primitiveDef } from '../core/graph/primitives/index.js';
import type { Graph, GraphNode, Pads, Prim, Shape } from '../core/graph/types.js';
import type { OnnxGraph, OnnxNode, TensorInfo } from './graph.js';

export interface OnnxMetrics {
  macs: number;
  params: number;
  activations: number;
  /** Compute nodes with no primitive mapping, by op: their cost is not in the figures above. */
  notCounted: Record<string, number>;
}

const ints = (n: OnnxNode, name: string, dflt: number[]) => (Array.isArray(n.attrs[name]) ? (n.attrs[name] as number[]) : dflt);
const int = (n: OnnxNode, name: string, dflt: number) => (typeof n.attrs[name] === 'number' ? (n.attrs[name] as number) : dflt);
const float = (n: OnnxNode, name: string, dflt: number) => (typeof n.attrs[name] === 'number' ? (n.attrs[name] as number) : dflt);
const close = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) < 1e-6;

/** A tensor the mapping needs is not in the graph (an input left empty in a damaged file). */
class MissingTensor extends Error {}

/** The primitive a compute node is, with its input/output shapes as 4-D NCHW; undefined when it has none. */
export function toPrimitive(g: OnnxGraph, n: OnnxNode): { prim: Prim; inputs: Shape[]; outputs: Shape[] } | undefined {
  try {
    return mapPrimitive(g, n);
  } catch (e) {
    if (e instanceof MissingTensor) return undefined; // not a primitive we can count: listed as not counted
    throw e;
  }
}

function mapPrimitive(g: OnnxGraph, n: OnnxNode): { prim: Prim; inputs: Shape[]; outputs: Shape[] } | undefined {
  if (n.domain) return undefined;
  const shape = (name: string) => {
    const t = g.tensors.get(name);
    if (!t) throw new MissingTensor(name);
    return t.shape;
  };
  const x = n.inputs[0] ? shape(n.inputs[0]) : [];
  const y = n.outputs[0] ? shape(n.outputs[0]) : [];
  const four = (s: number[]) => s.length === 4;
  const as4 = (s: number[]) => s as unknown as Shape;
  const lift = (s: number[]): Shape => [s[0], s[1], 1, 1];
  switch (n.opType) {
    case 'Conv': {
      if (!four(x)) return undefined;
      const w = shape(n.inputs[1]);
      const [oh, ow] = [y[2], y[3]];
      const [sh, sw] = ints(n, 'strides', [1, 1]);
      const [dh, dw] = ints(n, 'dilations', [1, 1]);
      let pads = ints(n, 'pads', [0, 0, 0, 0]);
      if (/^SAME/.test(String(n.attrs.auto_pad ?? ''))) {
        const total = (o: number, i: number, s: number, k: number, d: number) => Math.max(0, (o - 1) * s + (k - 1) * d + 1 - i);
        const th = total(oh, x[2], sh, w[2], dh);
        const tw = total(ow, x[3], sw, w[3], dw);
        pads = [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
      }
      const prim: Prim = { op: 'conv', cout: w[0], kernel: [w[2], w[3]], stride: [sh, sw], pads: pads as unknown as Pads, dilation: [dh, dw], groups: int(n, 'group', 1), bias: !!n.inputs[2] };
      return { prim, inputs: [as4(x)], outputs: [as4(y)] };
    }
    case 'BatchNormalization':
      return four(x) ? { prim: { op: 'bn', eps: float(n, 'epsilon', 1e-5) }, inputs: [as4(x)], outputs: [as4(y)] } : undefined;
    case 'Relu':
    case 'Sigmoid':
    case 'HardSwish':
    case 'HardSigmoid':
    case 'Clip': {
      if (!four(x)) return undefined;
      let act: 'relu' | 'sigmoid' | 'hswish' | 'hsigmoid' | 'relu6' | undefined;
      if (n.opType === 'Relu') act = 'relu';
      else if (n.opType === 'Sigmoid') act = 'sigmoid';
      else if (n.opType === 'HardSwish') act = 'hswish';
      else if (n.opType === 'HardSigmoid') act = close(float(n, 'alpha', 0.2), 1 / 6) && close(float(n, 'beta', 0.5), 0.5) ? 'hsigmoid' : undefined;
      else {
        const lo = n.inputs[1] ? g.tensors.get(n.inputs[1])?.value?.[0] : (n.attrs.min as number | undefined);
        const hi = n.inputs[2] ? g.tensors.get(n.inputs[2])?.value?.[0] : (n.attrs.max as number | undefined);
        act = close(lo, 0) && close(hi, 6) ? 'relu6' : undefined;
      }
      return act ? { prim: { op: 'act', act }, inputs: [as4(x)], outputs: [as4(y)] } : undefined;
    }
    case 'Add':
    case 'Mul': {
      const ins = n.inputs.map(shape);
      if (!ins.every(four) || !ins.some((s) => s.join() === y.join())) return undefined;
      if (ins.some((s) => g.tensors.get(n.inputs[ins.indexOf(s)])?.constant)) return undefined; // a scale/shift by a constant is not a tensor sum/gate
      return { prim: { op: n.opType === 'Add' ? 'add' : 'mul' }, inputs: ins.map(as4), outputs: [as4(y)] };
    }
    case 'Concat':
      return four(y) && (int(n, 'axis', 0) === 1 || int(n, 'axis', 0) === -3) ? { prim: { op: 'concat' }, inputs: n.inputs.map(shape).map(as4), outputs: [as4(y)] } : undefined;
    case 'MaxPool':
    case 'AveragePool': {
      if (!four(x)) return undefined;
      const k = ints(n, 'kernel_shape', [1, 1]);
      const prim: Prim = {
        op: 'pool',
        mode: n.opType === 'MaxPool' ? 'max' : 'avg',
        kernel: [k[0], k[1]],
        stride: ints(n, 'strides', [1, 1]) as unknown as [number, number],
        pads: ints(n, 'pads', [0, 0, 0, 0]) as unknown as Pads,
        ceil: int(n, 'ceil_mode', 0) === 1,
        countIncludePad: int(n, 'count_include_pad', 0) === 1,
      };
      return { prim, inputs: [as4(x)], outputs: [as4(y)] };
    }
    case 'Slice': {
      // Opset 10+: starts, ends, axes, steps as inputs; only constant H/W crops with unit steps map.
      const value = (i: number) => (n.inputs[i] ? g.tensors.get(n.inputs[i])?.value : undefined);
      const [starts, ends] = [value(1), value(2)];
      const axes = (value(3) ?? starts?.map((_, i) => i))?.map((a) => (a < 0 ? a + 4 : a));
      if (!four(x) || !four(y) || !starts || !ends || !axes || !(value(4) ?? []).every((v) => v === 1) || axes.some((a) => a !== 2 && a !== 3)) return undefined;
      const begin = [0, 0];
      const end = [x[2], x[3]];
      axes.forEach((a, i) => {
        const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + x[a] : v, 0), x[a]);
        begin[a - 2] = clamp(starts[i]);
        end[a - 2] = clamp(ends[i]);
      });
      if (y[2] !== end[0] - begin[0] || y[3] !== end[1] - begin[1]) return undefined;
      return { prim: { op: 'slice', begin: [begin[0], begin[1]], end: [end[0], end[1]] }, inputs: [as4(x)], outputs: [as4(y)] };
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      return four(x) ? { prim: { op: 'gpool', mode: n.opType === 'GlobalMaxPool' ? 'max' : 'avg' }, inputs: [as4(x)], outputs: [as4(y)] } : undefined;
    case 'Flatten':
      return four(x) && int(n, 'axis', 1) === 1 ? { prim: { op: 'flatten' }, inputs: [as4(x)], outputs: [lift(y)] } : undefined;
    case 'Reshape': {
      // Only the reshapes that are a flatten in NCHW order: N×C×H×W → N×(C·H·W) (or N×(C·H·W)×1×1), N×C → N×C×1×1.
      const x4: readonly number[] = x.length === 2 ? lift(x) : x;
      const y4: readonly number[] = y.length === 2 ? lift(y) : y;
      const flat = x4.length === 4 && y4.length === 4 && y4[0] === x4[0] && y4[1] === x4[1] * x4[2] * x4[3] && y4[2] === 1 && y4[3] === 1;
      return flat ? { prim: { op: 'flatten' }, inputs: [as4([...x4])], outputs: [as4([...y4])] } : undefined;
    }
    case 'Gemm':
    case 'MatMul': {
      const b = g.tensors.get(n.inputs[1]);
      if (x.length !== 2 || !b?.constant || b.shape.length !== 2) return undefined;
      if (n.opType === 'Gemm' && int(n, 'transA', 0)) return undefined;
      const cout = n.opType === 'Gemm' && int(n, 'transB', 0) ? b.shape[0] : b.shape[1];
      return { prim: { op: 'linear', cout, bias: n.opType === 'Gemm' && !!n.inputs[2] }, inputs: [lift(x)], outputs: [lift(y)] };
    }
    default:
      return undefined;
  }
}

export function onnxMetrics(g: OnnxGraph): OnnxMetrics {
  const m: OnnxMetrics = { macs: 0, params: 0, activations: 0, notCounted: {} };
  for (const n of g.nodes) {
    if (n.folded) continue;
    const p = toPrimitive(g, n);
    if (!p) {
      m.notCounted[n.opType] = (m.notCounted[n.opType] ?? 0) + 1;
      continue;
    }
    const def = primitiveDef(p.prim);
    m.macs += def.macs(p.prim, p.inputs, p.outputs);
    // Parameters as the file stores them (BatchNorm not folded: the file's own count).
    for (const t of def.params(p.prim, p.inputs, `n${n.index}`)) m.params += t.shape.reduce((a, b) => a * b, 1);
    if (def.convLike) m.activations += p.outputs.reduce((s, o) => s + o[0] * o[1] * o[2] * o[3], 0);
  }
  return m;
}

/** A unit's nodes as a primitive graph (what tfjs devices run), or why it has none. */
export type UnitGraph = { graph: Graph; unmapped?: undefined } | { graph?: undefined; unmapped: string };

/**
 * The primitive graph of a unit's nodes, in order: its inputs the tensors the unit reads at run time (4-D
 * float32, or N×C lifted to N×C×1×1), its outputs the tensors it hands on. Every node must map to a primitive (toPrimitive) and read
 * at run time exactly the tensors the primitive takes (its weights are the primitive's parameters, which a
 * backend generates from their shapes); the shapes the graph infers must be the file's.
 */
export function unitGraph(g: OnnxGraph, nodes: readonly OnnxNode[], inputs: readonly TensorInfo[], outputs: readonly TensorInfo[]): UnitGraph {
  const why: string[] = [];
  const ref = new Map<string, string>();
  const notFour = inputs.filter((t) => (t.shape.length !== 4 && t.shape.length !== 2) || t.dtype !== 'float32');
  if (notFour.length) why.push(`input ${notFour.map((t) => `'${t.name}' (${t.dtype} ${t.shape.join('x') || 'scalar'})`).join(', ')} is not a 4-D (or N×C) float32 tensor`);
  inputs.forEach((t) => ref.set(t.name, t.name));
  const gnodes: GraphNode[] = [];
  const unmapped = new Set<string>();
  let unmappedNodes = 0;
  nodes.forEach((n, j) => {
    const p = n.folded ? undefined : toPrimitive(g, n);
    const runtime = n.inputs.filter((i) => i && !g.tensors.get(i)?.constant);
    if (!p || runtime.length !== p.inputs.length || n.outputs.filter(Boolean).length !== 1) {
      unmapped.add(n.domain ? `${n.domain}.${n.opType}` : n.opType);
      unmappedNodes++;
      return;
    }
    const id = `n${j}`;
    gnodes.push({ id, prim: p.prim, inputs: runtime.map((i) => ref.get(i) ?? i) });
    ref.set(n.outputs[0], id);
  });
  if (unmapped.size) why.unshift(`no primitive for its ${[...unmapped].join(', ')} node${unmappedNodes > 1 ? 's' : ''}`);
  if (why.length) return { unmapped: why.join('; ') };
  const graph: Graph = {
    // An N×C input (a classifier's Gemm) is N×C×1×1, as the primitives lift it.
    inputs: inputs.map((t) => ({ name: t.name, shape: (t.shape.length === 2 ? [t.shape[0], t.shape[1], 1, 1] : t.shape) as unknown as Shape })),
    nodes: gnodes,
    outputs: outputs.map((t) => ref.get(t.name)!),
  };
  let shapes: ReturnType<typeof inferShapes>;
  try {
    shapes = inferShapes(graph);
  } catch (e) {
    return { unmapped: `its primitive graph does not build: ${(e as Error).message}` };
  }
  for (const n of nodes) {
    const want = g.tensors.get(n.outputs[0])!.shape;
    const got = shapes.get(ref.get(n.outputs[0])!)!;
    const lifted = want.length === 2 ? [want[0], want[1], 1, 1] : want;
    if (got.join('x') !== lifted.join('x')) return { unmapped: `its ${n.opType} node '${n.name || n.outputs[0]}' gives ${got.join('x')} as primitives, ${want.join('x')} in the file` };
  }
  return { graph };
}
