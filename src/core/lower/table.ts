/**
 * Block kind → its definition (key fields, inputs, lowering): the one table everything reaches blocks
 * through, typed so every kind has exactly one entry. Adding a block kind is one file in this folder and
 * one line here. This module imports no other part of the catalog (ops.ts reads it), so it has no cycle.
 */
import { GraphBuilder, inferShapes, type Graph } from '../graph/index.js';
import type { OpInstance, OpSpec, Shape } from '../specs.js';
import { lowerCell, type Cell } from './cell.js';
import { basic } from './basic.js';
import { bottleneck } from './bottleneck.js';
import { concat } from './concat.js';
import { conv } from './conv.js';
import { dwconv } from './dwconv.js';
import { dilconv } from './dilconv.js';
import { dartscell } from './dartscell.js';
import { dwsep } from './dwsep.js';
import { factconv } from './factconv.js';
import { factreduce } from './factreduce.js';
import { fire } from './fire.js';
import { gpool } from './gpool.js';
import { identity } from './identity.js';
import { inception } from './inception.js';
import { linear } from './linear.js';
import { mbconv } from './mbconv.js';
import { nasnetcell } from './nasnetcell.js';
import { nb201cell } from './nb201cell.js';
import { norm } from './norm.js';
import { pool } from './pool.js';
import { reluconv } from './reluconv.js';
import { resblock } from './resblock.js';
import { se } from './se.js';
import { sepconv } from './sepconv.js';
import { shufflev2 } from './shufflev2.js';
import { sum } from './sum.js';
import type { Lowering, LoweringTable } from './types.js';
import { zero } from './zero.js';

export const LOWERINGS: LoweringTable = {
  ...{ conv, dwconv, dwsep, mbconv, se, resblock, reluconv, sum, concat, pool, gpool, linear, identity, zero, nb201cell },
  // The seed networks' kinds (issue 11).
  ...{ basic, bottleneck, shufflev2, fire, inception, factconv, dilconv, sepconv, norm },
  // DARTS (issue 11): FactorizedReduce and the two-input cell.
  ...{ factreduce, dartscell },
  // NASNet (issue 11): the two-input cell of 5 blocks.
  ...{ nasnetcell },
};

/** The definition of a spec's kind (own-property lookup: `toString` is not a kind). */
export function loweringOf(spec: OpSpec): Lowering<OpSpec> {
  if (!Object.prototype.hasOwnProperty.call(LOWERINGS, spec.kind))
    throw new Error(`no lowering for block kind '${String(spec.kind)}' (known: ${Object.keys(LOWERINGS).join(', ')})`);
  // The table is keyed by kind, so the entry always matches the spec; TypeScript cannot see that.
  return LOWERINGS[spec.kind] as unknown as Lowering<OpSpec>;
}

/** Shapes of every input an instance reads (several for sum and concat), given its first. */
export function blockInputShapes(spec: OpSpec, input: Shape): Shape[] {
  const l = loweringOf(spec);
  return l.inputs ? l.inputs(spec, input) : [input];
}

/** The cell a block decomposes into for latency, or undefined for a block measured whole. */
export function blockCell(spec: OpSpec, input: Shape): Cell | undefined {
  const l = loweringOf(spec);
  return l.cell ? l.cell(spec, input) : undefined;
}

/** Adds one block reading `xs` to `b` under node ids `<id>.…`; returns its output reference. */
export function lowerBlock(b: GraphBuilder, spec: OpSpec, xs: readonly string[], id: string): string {
  const l = loweringOf(spec);
  return l.cell ? lowerCell(b, l.cell(spec, b.shape(xs[0])), xs, id, lowerBlock) : l.lower(b, spec, xs, id);
}

/** Graph input names of a one-op model: `input`, or `input0`…`input<n-1>` for a multi-input op. */
export function instanceInputNames(inst: OpInstance): string[] {
  const n = blockInputShapes(inst.spec, inst.input).length;
  return n === 1 && inst.spec.kind !== 'sum' ? ['input'] : Array.from({ length: n }, (_, i) => `input${i}`);
}

/** One op instance as a graph under node ids `op.…`: what its LUT entry measures. */
export function lowerInstance(inst: OpInstance): Graph {
  const b = new GraphBuilder();
  const shapes = blockInputShapes(inst.spec, inst.input);
  const xs = instanceInputNames(inst).map((name, i) => b.input(name, shapes[i]));
  return b.build([lowerBlock(b, inst.spec, xs, 'op')]);
}

/** A block's output shape, from its lowering (ops.ts uses it for kinds it has no formula for). */
export function loweredOutputShape(spec: OpSpec, input: Shape): Shape {
  const g = lowerInstance({ spec, input, dtype: 'f32' });
  return inferShapes(g).get(g.outputs[0])!;
}
