/**
 * One unit as a standalone ONNX model, and its canonical LUT key.
 *
 * The model holds the unit's nodes as they are in the file; its inputs are the tensors the unit reads at
 * run time (with their inferred shapes), its outputs the tensors it hands to the rest of the graph. Weights
 * are the file's own (initializers, Constant nodes, external data read from its file); a constant computed
 * by folded nodes gets its folded values, or reproducible random values of the same shape when too large.
 *
 * The key depends on what the kernel computes, not on the weights: ops with their attributes, the wiring
 * inside the unit, every tensor's shape and type, and the values of small constants (Clip bounds, Resize
 * scales, Reshape targets change the kernel). onnx:<ops>:<first input NxCxHxW>:<16 hex of sha256>:<dtype>.
 */
import { createHash } from 'node:crypto';
import { openSync, readSync, closeSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import type { Graph } from '../core/graph/types.js';
import { Rng } from '../core/rng.js';
import type { OnnxGraph, OnnxNode, TensorInfo } from './graph.js';
import type { Unit } from './partition.js';
import { l2CacheBytes } from './cache-size.js';
import { unitGraph } from './primitives.js';
import { DTYPE_NAMES, isExternal, num } from './tensor.js';

const { onnx } = onnxProto;

export interface UnitIo {
  inputs: TensorInfo[];
  constants: TensorInfo[];
  outputs: TensorInfo[];
}

/** What a unit reads at run time, which constants it uses, and what it hands on. */
export function unitIo(g: OnnxGraph, unit: Unit): UnitIo {
  const produced = new Set(unit.nodes.flatMap((n) => n.outputs.filter(Boolean)));
  const inside = new Set(unit.nodes.map((n) => n.index));
  const seen = new Set<string>();
  const inputs: TensorInfo[] = [];
  const constants: TensorInfo[] = [];
  for (const n of unit.nodes)
    for (const name of n.inputs) {
      if (!name || produced.has(name) || seen.has(name)) continue;
      seen.add(name);
      const t = g.tensors.get(name)!;
      (t.constant ? constants : inputs).push(t);
    }
  const usedOutside = new Set<string>(g.outputs);
  for (const n of g.nodes) if (!inside.has(n.index)) for (const i of n.inputs) usedOutside.add(i);
  let outputs = [...produced].filter((o) => usedOutside.has(o)).map((o) => g.tensors.get(o)!);
  if (!outputs.length) outputs = unit.nodes[unit.nodes.length - 1].outputs.filter(Boolean).map((o) => g.tensors.get(o)!);
  return { inputs, constants, outputs };
}

const SMALL_CONSTANT = 16;

function canonicalAttr(v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const t = v as onnxProto.onnx.ITensorProto;
    return { tensor: (t.dims ?? []).map(num), type: t.dataType };
  }
  return v;
}

/** The unit's canonical description (what the key hashes) and its short op list. */
export function unitSignature(g: OnnxGraph, unit: Unit, io = unitIo(g, unit)): { ops: string[]; text: string } {
  const ref = new Map<string, string>();
  io.inputs.forEach((t, i) => ref.set(t.name, `in${i}`));
  io.constants.forEach((t, i) => ref.set(t.name, `c${i}`));
  unit.nodes.forEach((n, j) => n.outputs.forEach((o, k) => o && ref.set(o, `n${j}.${k}`)));
  // Values that change the kernel: integer constants (shapes, axes, pads), scalars (Clip bounds, x + 3 of a
  // decomposed hard-swish) and what Resize/Upsample/Pad read; not weights and biases, however small.
  const readers = new Map<string, string[]>();
  for (const n of unit.nodes) for (const i of n.inputs) if (i) (readers.get(i) ?? readers.set(i, []).get(i)!).push(n.opType);
  const shaping = (t: TensorInfo) =>
    !t.dtype.startsWith('float') || t.shape.length === 0 || (readers.get(t.name) ?? []).some((op) => op === 'Resize' || op === 'Upsample' || op === 'Pad' || op === 'Clip');
  const desc = {
    inputs: io.inputs.map((t) => [t.dtype, t.shape]),
    constants: io.constants.map((t) => [t.dtype, t.shape, t.value && t.value.length <= SMALL_CONSTANT && shaping(t) ? t.value : null]),
    nodes: unit.nodes.map((n) => [
      n.domain,
      n.opType,
      Object.keys(n.attrs)
        .sort()
        .map((k) => [k, canonicalAttr(n.attrs[k])]),
      n.inputs.map((i) => (i ? ref.get(i) : '')),
      n.outputs.map((o) => (o ? g.tensors.get(o)!.shape : null)),
    ]),
    outputs: io.outputs.map((t) => ref.get(t.name)),
  };
  return { ops: unit.nodes.map((n) => (n.domain ? `${n.domain}.${n.opType}` : n.opType)), text: JSON.stringify(desc) };
}

export function unitKey(g: OnnxGraph, unit: Unit, io = unitIo(g, unit)): string {
  const { ops, text } = unitSignature(g, unit, io);
  const first = io.inputs[0];
  const shape = !first ? 'none' : first.shape.length ? first.shape.join('x') : 'scalar';
  const dtype = !first || first.dtype === 'float32' ? 'f32' : first.dtype.replace(/[^a-z0-9]/g, '');
  return `onnx:${ops.join('+')}:${shape}:${createHash('sha256').update(text).digest('hex').slice(0, 16)}:${dtype}`;
}

function externalBytes(g: OnnxGraph, t: onnxProto.onnx.ITensorProto): Uint8Array {
  const kv = Object.fromEntries((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const file = path.resolve(path.dirname(g.file), kv.location);
  const offset = num(kv.offset ?? 0);
  const count = (t.dims ?? []).map(num).reduce((a, b) => a * b, 1);
  const length = kv.length !== undefined ? num(kv.length) : count * (DTYPE_NAMES[t.dataType ?? 0]?.bytes ?? 4);
  const buf = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, length, offset);
  } finally {
    closeSync(fd);
  }
  return buf;
}

const DTYPE_CODES: Record<string, number> = Object.fromEntries(Object.entries(DTYPE_NAMES).map(([code, d]) => [d.name, Number(code)]));

/** An initializer for a constant the unit reads: the file's data, the folded values, or random values of its shape. */
function constantTensor(g: OnnxGraph, t: TensorInfo, rng: Rng): onnxProto.onnx.ITensorProto {
  if (t.proto) {
    const copy = onnx.TensorProto.decode(onnx.TensorProto.encode(t.proto).finish());
    copy.name = t.name;
    if (isExternal(t.proto)) {
      copy.rawData = externalBytes(g, t.proto);
      copy.externalData = [];
      copy.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    }
    return copy;
  }
  const dataType = DTYPE_CODES[t.dtype] ?? 1;
  const count = t.shape.reduce((a, b) => a * b, 1);
  const values = t.value ?? (dataType === 1 ? Array.from(rng.fill(count)) : Array(count).fill(0));
  const proto: onnxProto.onnx.ITensorProto = { name: t.name, dims: t.shape, dataType };
  if (dataType === 1) proto.floatData = values;
  else if (dataType === 7) proto.int64Data = values;
  else if (dataType === 6) proto.int32Data = values;
  else if (dataType === 11) proto.doubleData = values;
  else proto.int32Data = values; // bool, (u)int8/16: int32_data per the ONNX spec
  return proto;
}

function valueInfo(t: TensorInfo): onnxProto.onnx.IValueInfoProto {
  return { name: t.name, type: { tensorType: { elemType: DTYPE_CODES[t.dtype] ?? 1, shape: { dim: t.shape.map((d) => ({ dimValue: d })) } } } };
}

export interface UnitModel {
  key: string;
  ops: string[];
  onnx: Uint8Array;
  inputs: { name: string; shape: number[]; dtype: string }[];
  outputs: { name: string; shape: number[] }[];
  /** The unit's nodes as primitives, when every one maps (src/onnx/primitives.ts): what tfjs devices time. */
  graph?: Graph;
  /** Why it has no primitive graph (the ops with none), when it has not. */
  noGraph?: string;
}

export function unitModel(g: OnnxGraph, unit: Unit, opts: { seed?: number } = {}): UnitModel {
  const io = unitIo(g, unit);
  const key = unitKey(g, unit, io);
  const rng = new Rng(opts.seed ?? 0);
  const protoNodes = g.model.graph!.node!;
  const graph: onnxProto.onnx.IGraphProto = {
    name: key,
    node: unit.nodes.map((n: OnnxNode) => protoNodes[n.index]),
    initializer: io.constants.map((t) => constantTensor(g, t, rng)),
    input: io.inputs.map(valueInfo),
    output: io.outputs.map(valueInfo),
  };
  const model = onnx.ModelProto.create({
    // IR < 4 would need every initializer listed as an input too.
    irVersion: Math.max(g.irVersion, 4),
    producerName: 'hw-nas unit extractor',
    opsetImport: [{ domain: '', version: g.opset }, ...Object.entries(g.domains).map(([domain, version]) => ({ domain, version }))],
    graph,
  });
  const prims = unitGraph(g, unit.nodes, io.inputs, io.outputs);
  return {
    key,
    ops: unitSignature(g, unit, io).ops,
    ...(prims.graph ? { graph: prims.graph } : { noGraph: prims.unmapped }),
    onnx: onnx.ModelProto.encode(model).finish(),
    inputs: io.inputs.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype })),
    outputs: io.outputs.map((t) => ({ name: t.name, shape: t.shape })),
  };
}

/**
 * In-chain figures. A weight-free unit whose one output has its first run-time input's shape and type (an
 * element-wise op, a same-size pool, a softmax) can be timed applied twice in a row, its copy reading the first
 * one's output: the second copy then reads an input the kernel before it has just written and may write over it
 * in place, as the unit does inside its file, while a unit alone reads a tensor handed in by the caller (on wasm
 * copied into the heap every run) and writes a fresh one. (twice − once) is what the prediction counts for it
 * (src/onnx/predict.ts; measured: docs/benchmarks.md, "Issue 17: PP-OCR mobile cls").
 */
export function chainable(io: UnitIo, weightBytes: number, maxBytes = chainMaxBytes()): boolean {
  const [first] = io.inputs;
  const [out] = io.outputs;
  const bytes = 4 * [...io.inputs, ...io.outputs].reduce((t, x) => t + x.shape.reduce((a, b) => a * b, 1), 0);
  return weightBytes === 0 && io.outputs.length === 1 && !!first && first.dtype === out.dtype && first.shape.join('x') === out.shape.join('x') && bytes <= maxBytes;
}

/**
 * The in-chain figure stands for a unit whose input is still in the core's cache when it runs, written by the
 * kernel just before: a unit whose activations (inputs + output, float32) exceed a core's L2 streams them from
 * farther inside its file whatever ran before it, and keeps its figure alone. The limit is this machine's L2 per
 * core as the OS reports it (src/onnx/cache-size.ts; 1 MiB on the development VM, and where none is reported).
 * Replayed on the same LUTs at 1 MiB (docs/benchmarks.md, "Issue 17: PP-OCR mobile cls"): PP-OCRv4 det on wasm
 * −12.4% with every chainable unit, −8.0% with this limit, −6.1% with none; PP-OCR cls +6.9% either way (its
 * largest 153 KB). A LUT's in-chain entries are keyed per unit, so a LUT profiled where the L2 is larger holds
 * more of them; a prediction uses those of the units chainable on the machine it runs on.
 */
export const chainMaxBytes = (): number => l2CacheBytes();

/** The LUT key of a unit's in-chain model: its ops twice, its first input's shape, a hash of the unit's key. */
export function chainedKey(unitKey: string): string {
  const [, ops, shape, , dtype] = unitKey.split(':');
  return `onnx:${ops}+${ops}:${shape}:${createHash('sha256').update(`chained:${unitKey}`).digest('hex').slice(0, 16)}:${dtype}`;
}

/** A unit's model applied twice: a copy of its nodes reads the first copy's output in place of its first run-time input. */
export function chainedModel(m: UnitModel): UnitModel {
  const model = onnx.ModelProto.decode(m.onnx);
  const g = model.graph!;
  const first = m.inputs[0].name;
  const out = m.outputs[0].name;
  const inner = new Set((g.node ?? []).flatMap((n) => n.output ?? []));
  const rename = (t: string) => (t === first ? out : inner.has(t) ? `${t}__chained` : t);
  const copy = (g.node ?? []).map((n) => ({ ...n, name: `${n.name ?? ''}__chained`, input: (n.input ?? []).map(rename), output: (n.output ?? []).map((o) => (o ? `${o}__chained` : o)) }));
  g.node = [...(g.node ?? []), ...copy];
  g.output = [{ ...g.output![0], name: `${out}__chained` }];
  return { ...m, key: chainedKey(m.key), ops: [...m.ops, ...m.ops], onnx: onnx.ModelProto.encode(model).finish(), outputs: [{ ...m.outputs[0], name: `${out}__chained` }], graph: m.graph && chainedGraph(m.graph) };
}

/** The same for a primitive graph: a copy of its nodes reads its output in place of its first input. */
function chainedGraph(g: Graph): Graph {
  const ids = new Set(g.nodes.map((n) => n.id));
  const [first] = g.inputs;
  const [out] = g.outputs;
  const rename = (r: string) => (r === first.name ? out : ids.has(r.split(':')[0]) ? `${r.split(':')[0]}c${r.slice(r.split(':')[0].length)}` : r);
  return { inputs: g.inputs, nodes: [...g.nodes, ...g.nodes.map((n) => ({ ...n, id: `${n.id}c`, inputs: n.inputs.map(rename) }))], outputs: [rename(out)] };
}
