/**
 * Shape inference (and value folding for shape arithmetic), one rule per ONNX op, opsets 7–21.
 *
 * A rule gets the node and its inputs' inferred tensors and returns its outputs' shapes, element types and,
 * when every input value is known and the result is small, the values (Shape → Gather → Concat → Reshape
 * chains fold this way). Ops without a rule here are still read when the file records their output shapes
 * (value_info); otherwise the reader says which op stopped it.
 */
import type { OnnxNode, TensorInfo } from './graph.js';
import { DTYPE_NAMES, MAX_FOLDED_ELEMENTS, num, tensorDims, tensorValues, type AttrValue } from './tensor.js';
import type onnxProto from 'onnx-proto';

export interface Out {
  shape: number[];
  dtype: string;
  value?: number[];
}
export interface Ctx {
  node: OnnxNode;
  opset: number;
  ins: (TensorInfo | undefined)[];
}
type Rule = (c: Ctx) => Out[];

export class InferError extends Error {}

const fail = (c: Ctx, why: string): never => {
  throw new InferError(`${c.node.opType} node '${c.node.name || '#' + c.node.index}': ${why}`);
};
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const intAttr = (c: Ctx, name: string, dflt: number) => (typeof c.node.attrs[name] === 'number' ? (c.node.attrs[name] as number) : dflt);
const intsAttr = (c: Ctx, name: string): number[] | undefined => c.node.attrs[name] as number[] | undefined;
const strAttr = (c: Ctx, name: string, dflt: string) => (typeof c.node.attrs[name] === 'string' ? (c.node.attrs[name] as string) : dflt);
const X = (c: Ctx, i = 0): TensorInfo => c.ins[i] ?? fail(c, `input ${i} is missing`);
const has = (c: Ctx, i: number) => !!c.ins[i];
/** The values of input i, which must be known at load time (a constant, or folded shape arithmetic). */
const valueOf = (c: Ctx, i: number, what: string): number[] => {
  const t = c.ins[i];
  if (!t) return fail(c, `${what} (input ${i}) is missing`);
  if (!t.value) return fail(c, `${what} ('${t.name}') is not known at load time (it depends on the input's values, not only its shape)`);
  return t.value;
};
const small = (v: number[] | undefined) => (v && v.length <= MAX_FOLDED_ELEMENTS ? v : undefined);
/** `axis` in [-rank, rank) (Flatten's in [-rank, rank]: `inclusive`) made non-negative; out of range is the file's error. */
const normAxis = (axis: number, rank: number, inclusive = false) => {
  const a = axis < 0 ? axis + rank : axis;
  if (!(Number.isInteger(a) && a >= 0 && (inclusive ? a <= rank : a < rank))) throw new InferError(`axis ${axis} is out of range for a tensor of rank ${rank}`);
  return a;
};
const same = (c: Ctx): Out[] => [{ shape: [...X(c).shape], dtype: X(c).dtype }];

export function broadcast(c: Ctx, shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + i] ?? 1;
      if (v === 1) continue;
      if (d !== 1 && d !== v) fail(c, `cannot broadcast shapes ${shapes.map((x) => `[${x}]`).join(' and ')}`);
      d = v;
    }
    out.push(d);
  }
  return out;
}

/** Element-wise values of broadcast inputs, when all are known. */
function foldElementwise(c: Ctx, shape: number[], f: (...v: number[]) => number): number[] | undefined {
  const ins = c.ins.filter(Boolean) as TensorInfo[];
  if (size(shape) > MAX_FOLDED_ELEMENTS || ins.some((t) => !t.value)) return undefined;
  const out: number[] = [];
  const rank = shape.length;
  for (let i = 0; i < size(shape); i++) {
    const idx: number[] = [];
    let r = i;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = r % shape[d];
      r = Math.floor(r / shape[d]);
    }
    const args = ins.map((t) => {
      let flat = 0;
      for (let d = 0; d < t.shape.length; d++) {
        const dim = t.shape[d];
        flat = flat * dim + (dim === 1 ? 0 : idx[rank - t.shape.length + d]);
      }
      return t.value![flat];
    });
    out.push(f(...args));
  }
  return out;
}

const isInt = (dtype: string) => /int|bool/.test(dtype);
function binary(f: (a: number, b: number) => number, outType?: string): Rule {
  return (c) => {
    const shape = broadcast(c, c.ins.filter(Boolean).map((t) => t!.shape));
    const dtype = outType ?? X(c).dtype;
    const value = foldElementwise(c, shape, (a, b) => {
      const v = f(a, b);
      return isInt(dtype) ? Math.trunc(v) : v;
    });
    return [{ shape, dtype, value }];
  };
}
function variadic(f: (a: number, b: number) => number): Rule {
  return (c) => {
    const shape = broadcast(c, c.ins.filter(Boolean).map((t) => t!.shape));
    return [{ shape, dtype: X(c).dtype, value: foldElementwise(c, shape, (...v) => v.reduce(f)) }];
  };
}
function unary(f?: (a: number) => number): Rule {
  return (c) => [{ shape: [...X(c).shape], dtype: X(c).dtype, value: f && X(c).value ? X(c).value!.map(f) : undefined }];
}

/** Spatial output sizes of a conv/pool window: pads and auto_pad as the ONNX spec defines them. */
function windowOut(c: Ctx, input: number[], kernel: number[], opts: { transposed?: boolean; ceil?: boolean } = {}): number[] {
  const n = kernel.length;
  const strides = intsAttr(c, 'strides') ?? Array(n).fill(1);
  const dil = intsAttr(c, 'dilations') ?? Array(n).fill(1);
  const autoPad = strAttr(c, 'auto_pad', 'NOTSET');
  const pads = intsAttr(c, 'pads') ?? Array(2 * n).fill(0);
  const spatial = input.slice(2);
  if (opts.transposed) {
    const outPad = intsAttr(c, 'output_padding') ?? Array(n).fill(0);
    const given = intsAttr(c, 'output_shape');
    if (given) return given.slice(-n);
    return spatial.map((x, i) => {
      const full = strides[i] * (x - 1) + outPad[i] + ((kernel[i] - 1) * dil[i] + 1);
      if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return x * strides[i];
      return full - pads[i] - pads[i + n];
    });
  }
  return spatial.map((x, i) => {
    const k = (kernel[i] - 1) * dil[i] + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(x / strides[i]);
    if (autoPad === 'VALID') return Math.floor((x - k) / strides[i]) + 1;
    const span = x + pads[i] + pads[i + n] - k;
    const o = (opts.ceil ? Math.ceil(span / strides[i]) : Math.floor(span / strides[i])) + 1;
    // ceil_mode: the last window must start inside the (left-padded) input.
    return opts.ceil && (o - 1) * strides[i] >= x + pads[i] ? o - 1 : o;
  });
}

function conv(c: Ctx): Out[] {
  const x = X(c).shape;
  const w = X(c, 1).shape;
  if (x.length < 3) fail(c, `input must be N x C x spatial, got [${x}]`);
  if (w.length !== x.length) fail(c, `weight [${w}] must have the input's rank ${x.length} (M x C/group x kernel)`);
  const kernel = intsAttr(c, 'kernel_shape') ?? w.slice(2);
  if (kernel.join(',') !== w.slice(2).join(',')) fail(c, `kernel_shape [${kernel}] does not match the weight's kernel [${w.slice(2)}]`);
  const group = intAttr(c, 'group', 1);
  if (!(group >= 1) || w[0] % group !== 0) fail(c, `group ${group} must be ≥ 1 and divide the ${w[0]} output channels`);
  if (x[1] !== w[1] * group) fail(c, `input has ${x[1]} channels, weight [${w}] with group ${group} expects ${w[1] * group}`);
  return [{ shape: [x[0], w[0], ...windowOut(c, x, kernel)], dtype: X(c).dtype }];
}

function convTranspose(c: Ctx): Out[] {
  const x = X(c).shape;
  const w = X(c, 1).shape;
  if (x.length < 3 || w.length !== x.length) fail(c, `input [${x}] and weight [${w}] must be N x C x spatial and C x M/group x kernel, of one rank`);
  const kernel = intsAttr(c, 'kernel_shape') ?? w.slice(2);
  if (kernel.join(',') !== w.slice(2).join(',')) fail(c, `kernel_shape [${kernel}] does not match the weight's kernel [${w.slice(2)}]`);
  const group = intAttr(c, 'group', 1);
  if (!(group >= 1)) fail(c, `group ${group} must be ≥ 1`);
  return [{ shape: [x[0], w[1] * group, ...windowOut(c, x, kernel, { transposed: true })], dtype: X(c).dtype }];
}

function pool(c: Ctx): Out[] {
  const x = X(c).shape;
  const kernel = intsAttr(c, 'kernel_shape') ?? fail(c, 'kernel_shape is required');
  const shape = [x[0], x[1], ...windowOut(c, x, kernel, { ceil: intAttr(c, 'ceil_mode', 0) === 1 })];
  return [{ shape, dtype: X(c).dtype }, { shape, dtype: 'int64' }];
}

function globalPool(c: Ctx): Out[] {
  const x = X(c).shape;
  return [{ shape: [x[0], x[1], ...x.slice(2).map(() => 1)], dtype: X(c).dtype }];
}

function gemm(c: Ctx): Out[] {
  const a = X(c).shape;
  const b = X(c, 1).shape;
  if (a.length !== 2 || b.length !== 2) fail(c, `inputs must be 2-D, got [${a}] and [${b}]`);
  const m = intAttr(c, 'transA', 0) ? a[1] : a[0];
  const n = intAttr(c, 'transB', 0) ? b[0] : b[1];
  return [{ shape: [m, n], dtype: X(c).dtype }];
}

function matmul(c: Ctx): Out[] {
  let a = X(c).shape;
  let b = X(c, 1).shape;
  const aVec = a.length === 1;
  const bVec = b.length === 1;
  if (aVec) a = [1, a[0]];
  if (bVec) b = [b[0], 1];
  if (a[a.length - 1] !== b[b.length - 2]) fail(c, `inner dimensions differ: [${X(c).shape}] × [${X(c, 1).shape}]`);
  const batch = broadcast(c, [a.slice(0, -2), b.slice(0, -2)]);
  const shape = [...batch, ...(aVec ? [] : [a[a.length - 2]]), ...(bVec ? [] : [b[b.length - 1]])];
  return [{ shape, dtype: X(c).dtype }];
}

function concat(c: Ctx): Out[] {
  const ins = c.ins.filter(Boolean) as TensorInfo[];
  const rank = ins[0].shape.length;
  const axis = normAxis(intAttr(c, 'axis', 0), rank);
  const shape = [...ins[0].shape];
  shape[axis] = ins.reduce((t, x) => t + x.shape[axis], 0);
  for (const t of ins)
    if (t.shape.length !== rank || t.shape.some((d, i) => i !== axis && d !== shape[i])) fail(c, `inputs [${ins.map((x) => x.shape).join('] [')}] do not concatenate on axis ${axis}`);
  let value: number[] | undefined;
  if (rank === 1 && ins.every((t) => t.value)) value = ins.flatMap((t) => t.value!);
  return [{ shape, dtype: ins[0].dtype, value }];
}

function split(c: Ctx): Out[] {
  const x = X(c).shape;
  const axis = normAxis(intAttr(c, 'axis', 0), x.length);
  const outs = c.node.outputs.length;
  let parts = intsAttr(c, 'split') ?? (has(c, 1) ? valueOf(c, 1, 'split') : undefined);
  if (!parts) {
    const n = intAttr(c, 'num_outputs', outs);
    const chunk = Math.ceil(x[axis] / n);
    parts = Array.from({ length: n }, (_, i) => Math.min(chunk, x[axis] - i * chunk));
  }
  // A 1-D constant split into known parts keeps its values, as Slice does (tf2onnx writes a Pad's pads as a
  // constant Split and re-Concatenated: M-LSD of jp.keijiro.mlsd).
  const values = x.length === 1 ? X(c).value : undefined;
  let at = 0;
  return parts.map((p) => {
    const s = [...x];
    s[axis] = p;
    const value = values?.slice(at, at + p);
    at += p;
    return { shape: s, dtype: X(c).dtype, ...(value ? { value } : {}) };
  });
}

function slice(c: Ctx): Out[] {
  const x = X(c).shape;
  let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
  if (c.opset < 10) {
    starts = intsAttr(c, 'starts') ?? fail(c, 'starts missing');
    ends = intsAttr(c, 'ends') ?? fail(c, 'ends missing');
    axes = intsAttr(c, 'axes');
  } else {
    starts = valueOf(c, 1, 'starts');
    ends = valueOf(c, 2, 'ends');
    axes = has(c, 3) ? valueOf(c, 3, 'axes') : undefined;
    steps = has(c, 4) ? valueOf(c, 4, 'steps') : undefined;
  }
  axes ??= starts.map((_, i) => i);
  const shape = [...x];
  const ranges = x.map((d) => ({ start: 0, end: d, step: 1 }));
  axes.forEach((a0, i) => {
    const a = normAxis(a0, x.length);
    const d = x[a];
    const step = steps?.[i] ?? 1;
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    let s = starts[i] < 0 ? starts[i] + d : starts[i];
    let e = ends[i] < 0 ? ends[i] + d : ends[i];
    if (step > 0) {
      s = clamp(s, 0, d);
      e = clamp(e, 0, d);
      shape[a] = Math.max(0, Math.ceil((e - s) / step));
    } else {
      s = clamp(s, -1, d - 1);
      e = clamp(e, -1, d - 1);
      shape[a] = Math.max(0, Math.ceil((e - s) / step));
    }
    ranges[a] = { start: s, end: e, step };
  });
  let value: number[] | undefined;
  if (x.length === 1 && X(c).value) {
    const { start, step } = ranges[0];
    value = Array.from({ length: shape[0] }, (_, i) => X(c).value![start + i * step]);
  }
  return [{ shape, dtype: X(c).dtype, value }];
}

function pad(c: Ctx): Out[] {
  const x = X(c).shape;
  const pads = c.opset < 11 ? (intsAttr(c, 'pads') ?? fail(c, 'pads missing')) : valueOf(c, 1, 'pads');
  let axes = x.map((_, i) => i);
  if (c.opset >= 18 && has(c, 3)) axes = valueOf(c, 3, 'axes').map((a) => normAxis(a, x.length));
  const shape = [...x];
  axes.forEach((a, i) => (shape[a] = x[a] + pads[i] + pads[i + axes.length]));
  return [{ shape, dtype: X(c).dtype }];
}

function resize(c: Ctx): Out[] {
  const x = X(c).shape;
  let scales: number[] | undefined;
  let sizes: number[] | undefined;
  if (c.node.opType === 'Upsample') scales = c.opset < 9 ? (c.node.attrs.scales as number[]) : valueOf(c, 1, 'scales');
  else if (c.opset < 11) scales = valueOf(c, 1, 'scales');
  else {
    if (has(c, 3) && c.ins[3]!.shape.some((d) => d > 0)) sizes = valueOf(c, 3, 'sizes');
    else if (has(c, 2)) scales = valueOf(c, 2, 'scales');
  }
  if (sizes?.length === 0) sizes = undefined;
  if (scales?.length === 0) scales = undefined;
  let axes = x.map((_, i) => i);
  if (c.opset >= 18 && intsAttr(c, 'axes')) axes = intsAttr(c, 'axes')!.map((a) => normAxis(a, x.length));
  const shape = [...x];
  if (sizes) axes.forEach((a, i) => (shape[a] = sizes![i]));
  else if (scales) axes.forEach((a, i) => (shape[a] = Math.floor(x[a] * scales![i] + 1e-9)));
  else fail(c, 'neither scales nor sizes given');
  return [{ shape, dtype: X(c).dtype }];
}

function reshape(c: Ctx): Out[] {
  const x = X(c);
  const target = valueOf(c, 1, 'shape');
  const allowZero = intAttr(c, 'allowzero', 0) === 1;
  const shape = target.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const minus = shape.indexOf(-1);
  if (minus >= 0) shape[minus] = known ? size(x.shape) / known : 0;
  if (size(shape) !== size(x.shape)) fail(c, `cannot reshape [${x.shape}] into [${target}]`);
  return [{ shape, dtype: x.dtype, value: x.value }];
}

function transpose(c: Ctx): Out[] {
  const x = X(c).shape;
  const perm = intsAttr(c, 'perm') ?? x.map((_, i) => x.length - 1 - i);
  return [{ shape: perm.map((p) => x[p]), dtype: X(c).dtype }];
}

function flatten(c: Ctx): Out[] {
  const x = X(c).shape;
  const axis = normAxis(intAttr(c, 'axis', 1), x.length, true);
  return [{ shape: [size(x.slice(0, axis)), size(x.slice(axis))], dtype: X(c).dtype, value: X(c).value }];
}

function axesOf(c: Ctx, fromInputSince: number): number[] | undefined {
  if (c.opset >= fromInputSince) return has(c, 1) ? valueOf(c, 1, 'axes') : undefined;
  return intsAttr(c, 'axes');
}

function squeeze(c: Ctx): Out[] {
  const x = X(c).shape;
  const axes = axesOf(c, 13)?.map((a) => normAxis(a, x.length));
  const shape = x.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
  return [{ shape, dtype: X(c).dtype, value: X(c).value }];
}

function unsqueeze(c: Ctx): Out[] {
  const x = X(c).shape;
  const axes = axesOf(c, 13) ?? fail(c, 'axes missing');
  const rank = x.length + axes.length;
  const norm = axes.map((a) => normAxis(a, rank));
  const shape: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) shape.push(norm.includes(i) ? 1 : x[j++]);
  return [{ shape, dtype: X(c).dtype, value: X(c).value }];
}

function reduce(c: Ctx): Out[] {
  const x = X(c).shape;
  const since = c.node.opType === 'ReduceSum' ? 13 : 18;
  let axes = axesOf(c, since);
  const keep = intAttr(c, 'keepdims', 1) === 1;
  if (!axes || axes.length === 0) axes = intAttr(c, 'noop_with_empty_axes', 0) ? [] : x.map((_, i) => i);
  const norm = axes.map((a) => normAxis(a, x.length));
  const shape = keep ? x.map((d, i) => (norm.includes(i) ? 1 : d)) : x.filter((_, i) => !norm.includes(i));
  return [{ shape, dtype: X(c).dtype }];
}

function argReduce(c: Ctx): Out[] {
  const x = X(c).shape;
  const axis = normAxis(intAttr(c, 'axis', 0), x.length);
  const keep = intAttr(c, 'keepdims', 1) === 1;
  return [{ shape: keep ? x.map((d, i) => (i === axis ? 1 : d)) : x.filter((_, i) => i !== axis), dtype: 'int64' }];
}

function shapeOp(c: Ctx): Out[] {
  const x = X(c).shape;
  const rank = x.length;
  // Shape's start and end are clipped to [0, rank] (the spec), not refused.
  const clip = (a: number) => Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
  const start = clip(intAttr(c, 'start', 0));
  const end = c.node.attrs.end === undefined ? rank : clip(intAttr(c, 'end', rank));
  const value = x.slice(Math.max(0, start), Math.min(rank, end));
  return [{ shape: [value.length], dtype: 'int64', value }];
}

function gather(c: Ctx): Out[] {
  const data = X(c);
  const idx = X(c, 1);
  const axis = normAxis(intAttr(c, 'axis', 0), data.shape.length);
  const shape = [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)];
  let value: number[] | undefined;
  if (data.shape.length === 1 && data.value && idx.value) value = idx.value.map((i) => data.value![i < 0 ? i + data.shape[0] : i]);
  return [{ shape, dtype: data.dtype, value }];
}

function constant(c: Ctx): Out[] {
  const a = c.node.attrs;
  const t = a.value as onnxProto.onnx.ITensorProto | undefined;
  if (t && typeof t === 'object') {
    return [{ shape: tensorDims(t), dtype: DTYPE_NAMES[t.dataType ?? 0]?.name ?? 'unknown', value: tensorValues(t) }];
  }
  if (typeof a.value_float === 'number') return [{ shape: [], dtype: 'float32', value: [a.value_float] }];
  if (typeof a.value_int === 'number') return [{ shape: [], dtype: 'int64', value: [a.value_int] }];
  if (Array.isArray(a.value_floats)) return [{ shape: [a.value_floats.length], dtype: 'float32', value: a.value_floats as number[] }];
  if (Array.isArray(a.value_ints)) return [{ shape: [a.value_ints.length], dtype: 'int64', value: a.value_ints as number[] }];
  return fail(c, 'no value attribute this reader knows (value, value_float(s), value_int(s))');
}

function constantOfShape(c: Ctx): Out[] {
  const shape = valueOf(c, 0, 'shape');
  const t = c.node.attrs.value as onnxProto.onnx.ITensorProto | undefined;
  const fill = t ? (tensorValues(t)?.[0] ?? 0) : 0;
  const dtype = t ? (DTYPE_NAMES[t.dataType ?? 0]?.name ?? 'float32') : 'float32';
  return [{ shape, dtype, value: size(shape) <= MAX_FOLDED_ELEMENTS ? Array(size(shape)).fill(fill) : undefined }];
}

function range(c: Ctx): Out[] {
  const [start] = valueOf(c, 0, 'start');
  const [limit] = valueOf(c, 1, 'limit');
  const [delta] = valueOf(c, 2, 'delta');
  const n = Math.max(0, Math.ceil((limit - start) / delta));
  return [{ shape: [n], dtype: X(c).dtype, value: small(Array.from({ length: n }, (_, i) => start + i * delta)) }];
}

function expand(c: Ctx): Out[] {
  const shape = broadcast(c, [X(c).shape, valueOf(c, 1, 'shape')]);
  return [{ shape, dtype: X(c).dtype }];
}

function tile(c: Ctx): Out[] {
  const reps = valueOf(c, 1, 'repeats');
  return [{ shape: X(c).shape.map((d, i) => d * reps[i]), dtype: X(c).dtype }];
}

function cast(c: Ctx): Out[] {
  const to = DTYPE_NAMES[intAttr(c, 'to', 1)]?.name ?? 'unknown';
  const v = X(c).value;
  return [{ shape: [...X(c).shape], dtype: to, value: v && (isInt(to) ? v.map(Math.trunc) : v) }];
}

function where(c: Ctx): Out[] {
  const shape = broadcast(c, [X(c).shape, X(c, 1).shape, X(c, 2).shape]);
  return [{ shape, dtype: X(c, 1).dtype, value: foldElementwise(c, shape, (cond, a, b) => (cond ? a : b)) }];
}

function depthToSpace(c: Ctx): Out[] {
  const [n, ch, h, w] = X(c).shape;
  const b = intAttr(c, 'blocksize', 1);
  return [{ shape: [n, ch / (b * b), h * b, w * b], dtype: X(c).dtype }];
}
function spaceToDepth(c: Ctx): Out[] {
  const [n, ch, h, w] = X(c).shape;
  const b = intAttr(c, 'blocksize', 1);
  return [{ shape: [n, ch * b * b, h / b, w / b], dtype: X(c).dtype }];
}

function dropout(c: Ctx): Out[] {
  return [{ shape: [...X(c).shape], dtype: X(c).dtype, value: X(c).value }, { shape: [...X(c).shape], dtype: 'bool' }];
}

function batchNorm(c: Ctx): Out[] {
  const x = X(c);
  const ch = [x.shape[1]];
  // Training-mode outputs (opset 14+): running mean and variance per channel.
  return [{ shape: [...x.shape], dtype: x.dtype }, { shape: ch, dtype: x.dtype }, { shape: ch, dtype: x.dtype }, { shape: ch, dtype: x.dtype }, { shape: ch, dtype: x.dtype }];
}

function layerNorm(c: Ctx): Out[] {
  const x = X(c);
  const axis = normAxis(intAttr(c, 'axis', -1), x.shape.length);
  const stat = x.shape.map((d, i) => (i < axis ? d : 1));
  return [{ shape: [...x.shape], dtype: x.dtype }, { shape: stat, dtype: 'float32' }, { shape: stat, dtype: 'float32' }];
}

function sizeOp(c: Ctx): Out[] {
  return [{ shape: [], dtype: 'int64', value: [size(X(c).shape)] }];
}

function topK(c: Ctx): Out[] {
  const x = X(c).shape;
  const axis = normAxis(intAttr(c, 'axis', -1), x.length);
  const k = c.opset < 10 ? intAttr(c, 'k', 1) : valueOf(c, 1, 'k')[0];
  const shape = x.map((d, i) => (i === axis ? k : d));
  return [{ shape, dtype: X(c).dtype }, { shape, dtype: 'int64' }];
}

/** LSTM, GRU and RNN: sequence output Y and the last hidden (and LSTM's cell) state, in either `layout` (opset 14+). */
function recurrent(gates: number, states: number): Rule {
  return (c) => {
    const x = X(c).shape;
    const w = X(c, 1).shape;
    if (x.length !== 3 || w.length !== 3) fail(c, `X [${x}] and W [${w}] must be 3-D`);
    const batchFirst = c.opset >= 14 && intAttr(c, 'layout', 0) === 1;
    const [seq, batch] = batchFirst ? [x[1], x[0]] : [x[0], x[1]];
    const dirs = strAttr(c, 'direction', 'forward') === 'bidirectional' ? 2 : 1;
    const hidden = intAttr(c, 'hidden_size', w[1] / gates);
    if (w[0] !== dirs || w[1] !== gates * hidden || w[2] !== x[2])
      fail(c, `W [${w}] must be [${dirs} directions, ${gates}×hidden_size ${hidden}, input size ${x[2]}]`);
    const dtype = X(c).dtype;
    const y = { shape: batchFirst ? [batch, seq, dirs, hidden] : [seq, dirs, batch, hidden], dtype };
    const state = { shape: batchFirst ? [batch, dirs, hidden] : [dirs, batch, hidden], dtype };
    return [y, ...Array.from({ length: states }, () => ({ ...state, shape: [...state.shape] }))];
  };
}

/** Einsum: the equation's output letters (explicit after '->', else those used once, sorted), '...' broadcast. */
function einsum(c: Ctx): Out[] {
  const eq = strAttr(c, 'equation', '').replace(/\s/g, '');
  const [lhs, rhs] = eq.split('->');
  const terms = lhs.split(',');
  const ins = c.ins.filter(Boolean) as TensorInfo[];
  if (terms.length !== ins.length) fail(c, `equation '${eq}' has ${terms.length} operands, the node ${ins.length} inputs`);
  const dims = new Map<string, number>();
  const counts = new Map<string, number>();
  const ellipses: number[][] = [];
  terms.forEach((t, i) => {
    const s = ins[i].shape;
    const [pre, post] = t.includes('...') ? t.split('...') : [t, undefined];
    const letters = pre.length + (post?.length ?? 0);
    const ell = post === undefined ? 0 : s.length - letters;
    if (ell < 0 || (post === undefined && letters !== s.length)) fail(c, `operand '${t}' does not fit input ${i} of shape [${s}]`);
    if (post !== undefined) ellipses.push(s.slice(pre.length, pre.length + ell));
    [...pre].forEach((l, k) => set(l, s[k]));
    [...(post ?? '')].forEach((l, k) => set(l, s[pre.length + ell + k]));
  });
  function set(l: string, d: number) {
    counts.set(l, (counts.get(l) ?? 0) + 1);
    const had = dims.get(l);
    if (had !== undefined && had !== d && had !== 1 && d !== 1) fail(c, `letter '${l}' is ${had} in one operand and ${d} in another`);
    dims.set(l, had === undefined || had === 1 ? d : had);
  }
  const ell = ellipses.length ? broadcast(c, ellipses) : [];
  const out = rhs ?? (ellipses.length ? '...' : '') + [...counts.keys()].filter((l) => counts.get(l) === 1).sort().join('');
  const [pre, post] = out.includes('...') ? out.split('...') : [out, undefined];
  const letter = (l: string) => dims.get(l) ?? fail(c, `output letter '${l}' is in no operand`);
  const shape = [...[...pre].map(letter), ...(post === undefined ? [] : [...ell, ...[...post].map(letter)])];
  return [{ shape, dtype: X(c).dtype }];
}

function gridSample(c: Ctx): Out[] {
  const x = X(c).shape;
  const g = X(c, 1).shape;
  if (g.length !== x.length || g[g.length - 1] !== x.length - 2) fail(c, `grid [${g}] must be N × output spatial × ${x.length - 2} for input [${x}]`);
  return [{ shape: [x[0], x[1], ...g.slice(1, -1)], dtype: X(c).dtype }];
}

function gatherElements(c: Ctx): Out[] {
  return [{ shape: [...X(c, 1).shape], dtype: X(c).dtype }];
}

function gatherND(c: Ctx): Out[] {
  const data = X(c).shape;
  const idx = X(c, 1).shape;
  const b = intAttr(c, 'batch_dims', 0);
  const k = idx[idx.length - 1];
  if (!(k >= 1 && b + k <= data.length)) fail(c, `indices [${idx}] index ${k} dims of data [${data}] after ${b} batch dims`);
  return [{ shape: [...idx.slice(0, -1), ...data.slice(b + k)], dtype: X(c).dtype }];
}

/** Compress keeps the slices whose condition is true: computable only when the condition is a constant. */
function compress(c: Ctx): Out[] {
  const x = X(c).shape;
  const cond = valueOf(c, 1, 'condition');
  const axisAttr = c.node.attrs.axis;
  const axis = typeof axisAttr === 'number' ? normAxis(axisAttr, x.length) : undefined;
  const n = axis === undefined ? size(x) : x[axis];
  const kept = cond.slice(0, n).filter(Boolean).length;
  return [{ shape: axis === undefined ? [kept] : x.map((d, i) => (i === axis ? kept : d)), dtype: X(c).dtype }];
}

function oneHot(c: Ctx): Out[] {
  const idx = X(c).shape;
  const [depth] = valueOf(c, 1, 'depth');
  const axis = normAxis(intAttr(c, 'axis', -1), idx.length + 1);
  const shape = [...idx];
  shape.splice(axis, 0, Math.trunc(depth));
  return [{ shape, dtype: X(c, 2).dtype }];
}

const quantized = (zeroPoint: number): Rule => (c) => {
  const to = intAttr(c, 'output_dtype', 0);
  const dtype = to ? (DTYPE_NAMES[to]?.name ?? 'unknown') : has(c, zeroPoint) ? X(c, zeroPoint).dtype : 'uint8';
  return [{ shape: [...X(c).shape], dtype }];
};
function dequantize(c: Ctx): Out[] {
  return [{ shape: [...X(c).shape], dtype: X(c, 1).dtype }];
}
function dynamicQuantize(c: Ctx): Out[] {
  return [{ shape: [...X(c).shape], dtype: 'uint8' }, { shape: [], dtype: 'float32' }, { shape: [], dtype: 'uint8' }];
}
/** An op laid out as another with its tensors at other input positions (QLinearConv: x 0, w 3), of another element type. */
function as(rule: Rule, inputs: number[], dtype: (c: Ctx) => string): Rule {
  return (c) => rule({ ...c, ins: inputs.map((i) => c.ins[i]) }).map((o) => ({ shape: o.shape, dtype: dtype(c) }));
}
const int32 = () => 'int32';
const zeroPointType = (i: number) => (c: Ctx) => (has(c, i) ? X(c, i).dtype : 'uint8');

function roiAlign(c: Ctx): Out[] {
  const x = X(c).shape;
  const rois = X(c, 1).shape;
  return [{ shape: [rois[0], x[1], intAttr(c, 'output_height', 1), intAttr(c, 'output_width', 1)], dtype: X(c).dtype }];
}

const boolOf: Rule = (c) => [{ shape: [...X(c).shape], dtype: 'bool' }];

const cmp = (f: (a: number, b: number) => boolean) => binary((a, b) => (f(a, b) ? 1 : 0), 'bool');

export const RULES: Record<string, Rule> = {
  Conv: conv,
  ConvTranspose: convTranspose,
  BatchNormalization: batchNorm,
  InstanceNormalization: same,
  LayerNormalization: layerNorm,
  LRN: same,
  Relu: unary((a) => Math.max(0, a)),
  Clip: same,
  LeakyRelu: same,
  PRelu: same,
  Sigmoid: same,
  HardSigmoid: same,
  HardSwish: same,
  Tanh: same,
  Elu: same,
  Selu: same,
  Softplus: same,
  Softsign: same,
  Mish: same,
  Gelu: same,
  Erf: same,
  Exp: same,
  Log: same,
  Sqrt: unary(Math.sqrt),
  Reciprocal: same,
  Abs: unary(Math.abs),
  Neg: unary((a) => -a),
  Floor: unary(Math.floor),
  Ceil: unary(Math.ceil),
  Round: unary(Math.round),
  Sign: unary(Math.sign),
  Not: unary((a) => (a ? 0 : 1)),
  Identity: unary((a) => a),
  Softmax: same,
  LogSoftmax: same,
  Add: binary((a, b) => a + b),
  Sub: binary((a, b) => a - b),
  Mul: binary((a, b) => a * b),
  Div: binary((a, b) => a / b),
  Pow: binary((a, b) => a ** b),
  Mod: binary((a, b) => a % b),
  Max: variadic(Math.max),
  Min: variadic(Math.min),
  Sum: variadic((a, b) => a + b),
  Mean: (c) => [{ shape: broadcast(c, c.ins.filter(Boolean).map((t) => t!.shape)), dtype: X(c).dtype }],
  Equal: cmp((a, b) => a === b),
  Less: cmp((a, b) => a < b),
  Greater: cmp((a, b) => a > b),
  LessOrEqual: cmp((a, b) => a <= b),
  GreaterOrEqual: cmp((a, b) => a >= b),
  And: cmp((a, b) => !!a && !!b),
  Or: cmp((a, b) => !!a || !!b),
  Where: where,
  Concat: concat,
  Split: split,
  Slice: slice,
  Pad: pad,
  Resize: resize,
  Upsample: resize,
  MaxPool: pool,
  AveragePool: pool,
  LpPool: pool,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  Gemm: gemm,
  MatMul: matmul,
  Reshape: reshape,
  Transpose: transpose,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  ReduceMean: reduce,
  ReduceSum: reduce,
  ReduceMax: reduce,
  ReduceMin: reduce,
  ReduceProd: reduce,
  ReduceL2: reduce,
  ArgMax: argReduce,
  ArgMin: argReduce,
  Shape: shapeOp,
  Size: sizeOp,
  Gather: gather,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Range: range,
  Expand: expand,
  Tile: tile,
  Cast: cast,
  DepthToSpace: depthToSpace,
  SpaceToDepth: spaceToDepth,
  Dropout: dropout,
  TopK: topK,
  // Recognition models' recurrent layers and the other ops common in vision/OCR models (issue 17).
  LSTM: recurrent(4, 2),
  GRU: recurrent(3, 1),
  RNN: recurrent(1, 1),
  Einsum: einsum,
  GridSample: gridSample,
  GatherElements: gatherElements,
  GatherND: gatherND,
  ScatterND: same,
  ScatterElements: same,
  Scatter: same,
  CumSum: same,
  Trilu: same,
  ReverseSequence: same,
  Compress: compress,
  OneHot: oneHot,
  QuantizeLinear: quantized(2),
  DequantizeLinear: dequantize,
  DynamicQuantizeLinear: dynamicQuantize,
  MatMulInteger: as(matmul, [0, 1], int32),
  ConvInteger: as(conv, [0, 1], int32),
  QLinearMatMul: as(matmul, [0, 3], zeroPointType(7)),
  QLinearConv: as(conv, [0, 3], zeroPointType(7)),
  RoiAlign: roiAlign,
  GroupNormalization: same,
  MeanVarianceNormalization: same,
  Hardmax: same,
  Celu: same,
  Shrink: same,
  ThresholdedRelu: same,
  Sin: same,
  Cos: same,
  Tan: same,
  Asin: same,
  Acos: same,
  Atan: same,
  Sinh: same,
  Cosh: same,
  Asinh: same,
  Acosh: same,
  Atanh: same,
  EyeLike: (c) => [{ shape: [...X(c).shape], dtype: c.node.attrs.dtype === undefined ? X(c).dtype : (DTYPE_NAMES[intAttr(c, 'dtype', 1)]?.name ?? 'unknown') }],
  IsNaN: boolOf,
  IsInf: boolOf,
  Xor: cmp((a, b) => !!a !== !!b),
  BitShift: (c) => [{ shape: broadcast(c, [X(c).shape, X(c, 1).shape]), dtype: X(c).dtype }],
  BitwiseAnd: binary((a, b) => a & b),
  BitwiseOr: binary((a, b) => a | b),
  BitwiseXor: binary((a, b) => a ^ b),
  BitwiseNot: same,
  ReduceL1: reduce,
  ReduceLogSum: reduce,
  ReduceLogSumExp: reduce,
  ReduceSumSquare: reduce,
  GlobalLpPool: globalPool,
};

/**
 * Ops whose output shape depends on their input's values, not only its shape: no rule can give it, so a file
 * with them reads only when it records their output shapes (value_info). Said in the reader's error.
 */
export const DATA_DEPENDENT_OPS: Record<string, string> = {
  NonZero: 'the number of non-zero elements of its input, known only when the model runs',
  Unique: 'the number of distinct values of its input',
  NonMaxSuppression: 'the number of boxes it keeps',
};

/** Ops all of whose outputs are optional (the reader accepts a node that writes only its later ones). */
export const OPTIONAL_FIRST_OUTPUT = new Set(['LSTM', 'GRU', 'RNN']);

/** Ops whose output is known from their inputs' shapes alone (not their values): folded even on a runtime input. */
export const SHAPE_ONLY_OPS = new Set(['Shape', 'Size']);

export { num };
