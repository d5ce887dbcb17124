/**
 * A lowering turns one block (an OpSpec applied to its input tensors) into primitives of the graph IR.
 * Each block kind has exactly one, in its own file, and they are dispatched through one typed table
 * (table.ts): nothing else knows what a block computes (ops.ts keeps closed-form shapes and MACs of the
 * original kinds, checked against the lowerings by test/core/lower.test.ts).
 *
 * Node ids are the parameter names of export/weights.ts: `<id>.<part>` for convs and linears (e.g.
 * `layer3.expand`, `op.se.reduce`), `<conv id>.bn` for the BatchNorm after a conv (as the training
 * engine names it), so generated and trained weights keep their names whatever backend reads them.
 */
import type { GraphBuilder } from '../graph/index.js';
import type { OpKind, OpSpec, Shape } from '../specs.js';
import type { Field } from '../key-fields.js';
import type { Cell } from './cell.js';

/**
 * Everything the code knows about one block kind: the fields of its canonical LUT key (in order), the
 * shapes of its inputs when it takes several, and its lowering, directly to primitives or as a cell
 * (whose edges are blocks again). Its output shape and MACs follow from the lowering.
 */
export type Lowering<S extends OpSpec> = {
  fields: readonly Field[];
  /** Shapes of every input an instance reads, given its first (default: that one alone). Throws a UserError when the spec cannot apply. */
  inputs?(spec: S, input: Shape): Shape[];
} & (
  | {
      /**
       * Adds the block's primitives to `b`, reading the tensors `xs` (its inputs, shapes via
       * b.shape), every node id starting with `id`; returns the reference of the block's output.
       */
      lower(b: GraphBuilder, spec: S, xs: readonly string[], id: string): string;
      cell?: undefined;
    }
  | {
      /**
       * A block that is a small DAG of catalog ops (cell.ts): lowered edge by edge, and measured for
       * latency as its edge ops plus its combine ops, e.g. a NAS-Bench-201 cell.
       */
      cell(spec: S, input: Shape): Cell;
      lower?: undefined;
    }
);

export type LoweringTable = { readonly [K in OpKind]: Lowering<Extract<OpSpec, { kind: K }>> };
