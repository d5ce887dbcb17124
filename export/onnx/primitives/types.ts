/**
 * One ONNX emitter per primitive of the graph IR (src/core/graph): the exporter knows primitives only,
 * never blocks. An emitter adds the nodes and initializers of one graph node and returns the ONNX
 * tensor name(s) of its output(s).
 */
import type { GraphNode, PrimOf, PrimOp, Shape } from '../../../src/core/graph/index.js';
import type { Weights } from '../../weights.js';
import type { GraphBuilder } from '../graph.js';

export interface EmitContext {
  g: GraphBuilder;
  weights: Weights;
  /** Shapes of the node's inputs, NCHW. */
  inputShapes: readonly Shape[];
  /** Shapes of its outputs. */
  outputShapes: readonly Shape[];
  /** True when the BatchNorm reading this conv is folded into it (the conv then has a bias: the BN's shift). */
  foldsBn: boolean;
}

export type PrimEmitter<P> = (ctx: EmitContext, p: P, node: GraphNode, xs: readonly string[]) => string | string[];

export type EmitterTable = { readonly [K in PrimOp]: PrimEmitter<PrimOf<K>> };
