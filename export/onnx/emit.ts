/**
 * A primitive graph (src/core/graph) as ONNX bytes: each node through its primitive's emitter
 * (primitives/), a BatchNorm folded into the conv in front of it when that conv has no bias of its
 * own and nothing else reads it, the graph's (first) output renamed `output`.
 */
import { inferShapes, outputRefs, type Graph, type Shape } from '../../src/core/graph/index.js';
import type { Weights } from '../weights.js';
import { GraphBuilder } from './graph.js';
import { ONNX_EMITTERS, type PrimEmitter } from './primitives/index.js';
import type { Prim } from '../../src/core/graph/index.js';

/** Ids of the BatchNorm nodes folded into their conv: the conv has no bias and the BN is its only reader. */
export function foldedBatchNorms(graph: Graph): Set<string> {
  const readers = new Map<string, number>();
  for (const n of graph.nodes) for (const r of n.inputs) readers.set(r, (readers.get(r) ?? 0) + 1);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const folded = new Set<string>();
  for (const n of graph.nodes) {
    if (n.prim.op !== 'bn') continue;
    const conv = byId.get(n.inputs[0]);
    if (conv?.prim.op === 'conv' && !conv.prim.bias && readers.get(conv.id) === 1 && !graph.outputs.includes(conv.id)) folded.add(n.id);
  }
  return folded;
}

export interface EmittedGraph {
  bytes: Uint8Array;
  outputShape: Shape;
}

export function emitOnnx(graph: Graph, name: string, weights: Weights): EmittedGraph {
  const shapes = inferShapes(graph);
  const folded = foldedBatchNorms(graph);
  const foldedInto = new Set([...folded].map((id) => graph.nodes.find((n) => n.id === id)!.inputs[0]));
  const g = new GraphBuilder();
  const tensor = new Map<string, string>();
  for (const input of graph.inputs) tensor.set(input.name, g.addInput(input.name, [...input.shape]));
  for (const node of graph.nodes) {
    if (folded.has(node.id)) {
      tensor.set(node.id, tensor.get(node.inputs[0])!);
      continue;
    }
    const refs = outputRefs(node, node.prim.op === 'split' ? node.prim.sizes.length : 1);
    const emitter = ONNX_EMITTERS[node.prim.op] as PrimEmitter<Prim>;
    const ctx = { g, weights, inputShapes: node.inputs.map((r) => shapes.get(r)!), outputShapes: refs.map((r) => shapes.get(r)!), foldsBn: foldedInto.has(node.id) };
    const out = emitter(ctx, node.prim, node, node.inputs.map((r) => tensor.get(r)!));
    (Array.isArray(out) ? out : [out]).forEach((t, k) => tensor.set(refs[k], t));
  }
  const outputShape = shapes.get(graph.outputs[0])!;
  g.addOutput(tensor.get(graph.outputs[0])!, 'output', [...outputShape]);
  return { bytes: g.encode(name), outputShape };
}
