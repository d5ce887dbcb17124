/**
 * An ONNX file as a node graph with every tensor's shape inferred from the input shapes: what unit
 * partitioning (partition.ts), unit extraction (extract.ts) and prediction need. Node and tensor names
 * are the file's; `index` is the node's position in the file (names may be empty or repeated).
 */
import type onnxProto from 'onnx-proto';
import type { AttrValue } from './tensor.js';

export interface TensorInfo {
  name: string;
  shape: number[];
  /** ONNX element type name, e.g. "float32", "int64". */
  dtype: string;
  /** Known at load time: an initializer, a Constant's output, or the output of a folded node. */
  constant: boolean;
  /** The values, for small constants (what shape computations need). */
  value?: number[];
  /** The tensor's data as stored in the file (initializers and Constant nodes): a unit extracted with it keeps the real weights. */
  proto?: onnxProto.onnx.ITensorProto;
}

export interface OnnxNode {
  index: number;
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  /** Computed at load time (shape arithmetic, constants): not a kernel the runtime runs per inference. */
  folded: boolean;
}

export interface OnnxGraph {
  file: string;
  irVersion: number;
  /** The default-domain opset the file imports. */
  opset: number;
  /** Other domains the file imports (e.g. com.microsoft), with their versions. */
  domains: Record<string, number>;
  inputs: { name: string; shape: number[]; dtype: string }[];
  outputs: string[];
  nodes: OnnxNode[];
  tensors: Map<string, TensorInfo>;
  model: onnxProto.onnx.ModelProto;
}

export function tensorOf(g: OnnxGraph, name: string): TensorInfo {
  const t = g.tensors.get(name);
  if (!t) throw new Error(`tensor '${name}' has no inferred shape`);
  return t;
}

/** Nodes the runtime runs (not folded). */
export function computeNodes(g: OnnxGraph): OnnxNode[] {
  return g.nodes.filter((n) => !n.folded);
}
