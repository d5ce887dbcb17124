/**
 * Builds a primitive graph node by node, inferring shapes as it goes, so a lowering can ask the shape
 * of any tensor it made. Ids are `<prefix>.<name>`; a name used twice is an error (ids name parameters).
 */
import { nodeOutputs, outputRefs } from './infer.js';
import { samePads } from './primitives/index.js';
import type { Graph, GraphInput, GraphNode, InitHint, Pair, Pads, Prim, PrimAct, Shape } from './types.js';

export interface ConvOptions {
  k: number | Pair;
  stride?: number | Pair;
  groups?: number;
  dilation?: number | Pair;
  /** Explicit pads; default: "same" padding for the kernel and dilation. */
  pads?: Pads;
  bias?: boolean;
  /** Gain for generated weights (export/weights.ts): the gain of the activation after this conv, times extra factors. */
  gain?: number;
}

const pair = (v: number | Pair): Pair => (typeof v === 'number' ? [v, v] : v);

export class GraphBuilder {
  private readonly nodes: GraphNode[] = [];
  private readonly inputs: GraphInput[] = [];
  private readonly shapes = new Map<string, Shape>();
  private readonly paths: string[] = [];

  input(name: string, shape: Shape): string {
    if (this.shapes.has(name)) throw new Error(`graph builder: '${name}' is defined twice`);
    this.inputs.push({ name, shape });
    this.shapes.set(name, shape);
    return name;
  }

  shape(ref: string): Shape {
    const s = this.shapes.get(ref);
    if (!s) throw new Error(`graph builder: unknown tensor '${ref}'`);
    return s;
  }

  /** Adds a node; returns the reference of its (first) output. */
  node(id: string, prim: Prim, inputs: readonly string[], init?: InitHint): string {
    if (this.shapes.has(id)) throw new Error(`graph builder: node id '${id}' is used twice`);
    const node: GraphNode = init ? { id, prim, inputs, init } : { id, prim, inputs };
    const outs = nodeOutputs(node, inputs.map((r) => this.shape(r)));
    this.nodes.push(node);
    outputRefs(node, outs.length).forEach((ref, k) => this.shapes.set(ref, outs[k]));
    return node.prim.op === 'split' ? `${id}:0` : id;
  }

  conv(x: string, id: string, cout: number, o: ConvOptions): string {
    const [kh, kw] = pair(o.k);
    const dilation = pair(o.dilation ?? 1);
    const pads = o.pads ?? mergePads(samePads(kh, 1, dilation[0]), samePads(1, kw, dilation[1]));
    const prim: Prim = { op: 'conv', cout, kernel: [kh, kw], stride: pair(o.stride ?? 1), pads, dilation, groups: o.groups ?? 1, bias: o.bias ?? false };
    return this.node(id, prim, [x], { gain: o.gain ?? 1 });
  }

  bn(x: string, id: string, eps = 1e-5): string {
    return this.node(id, { op: 'bn', eps }, [x]);
  }

  /** `none` adds no node and returns `x` itself. */
  act(x: string, act: PrimAct, id: string): string {
    return act === 'none' ? x : this.node(id, { op: 'act', act }, [x]);
  }

  add(xs: readonly string[], id: string): string {
    return xs.length === 1 ? xs[0] : this.node(id, { op: 'add' }, xs);
  }

  mul(x: string, gate: string, id: string): string {
    return this.node(id, { op: 'mul' }, [x, gate]);
  }

  concat(xs: readonly string[], id: string): string {
    return xs.length === 1 ? xs[0] : this.node(id, { op: 'concat' }, xs);
  }

  /** All outputs of a channel split. */
  split(x: string, sizes: readonly number[], id: string): string[] {
    this.node(id, { op: 'split', sizes }, [x]);
    return sizes.map((_, k) => `${id}:${k}`);
  }

  /** Marks `ref` as a cell path (Graph.dropPaths). */
  dropPath(ref: string): void {
    this.shape(ref);
    this.paths.push(ref);
  }

  build(outputs: readonly string[]): Graph {
    const graph: Graph = { inputs: [...this.inputs], nodes: [...this.nodes], outputs: [...outputs] };
    return this.paths.length ? { ...graph, dropPaths: [...this.paths] } : graph;
  }
}

function mergePads(h: Pads, w: Pads): Pads {
  return [h[0], w[1], h[2], w[3]];
}
