/**
 * Cost metrics of a primitive graph, the way the literature counts them: multiply-accumulates,
 * parameters (BatchNorm folded into the conv in front of it, as in published parameter counts of deployed
 * nets), and activations in RegNet's sense (Radosavovic et al. 2020: elements of all conv outputs;
 * linear layers count as 1×1 convs).
 */
import { elements } from './primitives/def.js';
import { primitiveDef } from './primitives/index.js';
import { inferShapes, outputRefs } from './infer.js';
import type { Graph, GraphNode, Shape } from './types.js';

export interface GraphMetrics {
  macs: number;
  params: number;
  activations: number;
}

export function graphMetrics(graph: Graph): GraphMetrics {
  const shapes = inferShapes(graph);
  const shapeOf = (ref: string): Shape => shapes.get(ref)!;
  let macs = 0;
  let params = 0;
  let activations = 0;
  const byId = new Map<string, GraphNode>(graph.nodes.map((n) => [n.id, n]));
  for (const node of graph.nodes) {
    const def = primitiveDef(node.prim);
    const inputs = node.inputs.map(shapeOf);
    const outputs = outputRefs(node, node.prim.op === 'split' ? node.prim.sizes.length : 1).map(shapeOf);
    if (node.prim.op === 'bn') {
      // Folded: a conv in front of it gains a bias of C (if it had none); the scale disappears into its weights.
      const producer = byId.get(node.inputs[0])?.prim;
      const foldable = producer !== undefined && (producer.op === 'conv' || producer.op === 'linear');
      params += foldable ? (producer.bias ? 0 : inputs[0][1]) : 2 * inputs[0][1];
      macs += foldable ? 0 : def.macs(node.prim, inputs, outputs);
      continue;
    }
    macs += def.macs(node.prim, inputs, outputs);
    for (const p of def.params(node.prim, inputs, node.id)) params += p.shape.reduce((a, b) => a * b, 1);
    if (def.convLike) activations += outputs.reduce((sum, s) => sum + elements(s), 0);
  }
  return { macs, params, activations };
}
