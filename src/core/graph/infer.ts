/**
 * Shape inference and validation of a primitive graph. Every problem is a UserError naming the node and
 * what does not fit, e.g. "graph node 'layer3.dw' (conv): groups 5 must divide input channels 24 …".
 */
import { UserError } from '../errors.js';
import { primitiveDef } from './primitives/index.js';
import type { Graph, GraphNode, Shape } from './types.js';

/** The shape of every tensor reference of a graph (inputs, node outputs, `<id>:<k>` split outputs). */
export type ShapeMap = ReadonlyMap<string, Shape>;

export function nodeError(node: GraphNode, message: string): UserError {
  return new UserError(`graph node '${node.id}' (${node.prim.op}): ${message}`);
}

/** Output shapes of one node given its input shapes; errors name the node. */
export function nodeOutputs(node: GraphNode, inputs: readonly Shape[]): Shape[] {
  const def = primitiveDef(node.prim);
  const [lo, hi] = def.arity;
  if (inputs.length < lo || inputs.length > hi)
    throw nodeError(node, `takes ${lo === hi ? lo : hi === Infinity ? `at least ${lo}` : `${lo} to ${hi}`} input(s), got ${inputs.length}`);
  try {
    return def.outputs(node.prim, inputs);
  } catch (e) {
    throw nodeError(node, (e as Error).message);
  }
}

/** References a node defines: its id, or `<id>:<k>` for each output of a multi-output node. */
export function outputRefs(node: GraphNode, count: number): string[] {
  return node.prim.op === 'split' ? Array.from({ length: count }, (_, k) => `${node.id}:${k}`) : [node.id];
}

export function inferShapes(graph: Graph): ShapeMap {
  const shapes = new Map<string, Shape>();
  for (const input of graph.inputs) {
    if (shapes.has(input.name)) throw new UserError(`graph input '${input.name}' is declared twice`);
    if (input.shape.length !== 4 || input.shape.some((d) => !Number.isInteger(d) || d < 1))
      throw new UserError(`graph input '${input.name}': shape must be 4 positive integers (NCHW), got ${input.shape.join('x')}`);
    shapes.set(input.name, input.shape);
  }
  const ids = new Set<string>();
  for (const node of graph.nodes) {
    if (ids.has(node.id) || shapes.has(node.id)) throw nodeError(node, 'id is used twice');
    ids.add(node.id);
    const inputs = node.inputs.map((ref) => {
      const s = shapes.get(ref);
      if (!s) throw nodeError(node, `input '${ref}' is not defined before it (known: ${[...shapes.keys()].slice(-8).join(', ')})`);
      return s;
    });
    const outs = nodeOutputs(node, inputs);
    outputRefs(node, outs.length).forEach((ref, k) => shapes.set(ref, outs[k]));
  }
  if (!graph.outputs.length) throw new UserError('graph has no outputs');
  for (const out of graph.outputs) if (!shapes.has(out)) throw new UserError(`graph output '${out}' is not defined`);
  return shapes;
}
