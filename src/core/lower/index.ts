/**
 * Block kind → lowering: the one table every backend reaches blocks through (typed, so every kind has
 * exactly one entry), and the two graphs the backends consume: a whole architecture (a chain or a DAG
 * of blocks) and one op instance (what a LUT entry measures).
 */
import { placeLayers, type Architecture } from '../arch.js';
import { GraphBuilder, type Graph } from '../graph/index.js';
import { inputShapes, type OpInstance, type OpSpec, type Shape } from '../ops.js';
import { lowerCell, type Cell } from './cell.js';
import { basic } from './basic.js';
import { bottleneck } from './bottleneck.js';
import { concat } from './concat.js';
import { conv } from './conv.js';
import { dwconv } from './dwconv.js';
import { dilconv } from './dilconv.js';
import { dwsep } from './dwsep.js';
import { factconv } from './factconv.js';
import { fire } from './fire.js';
import { gpool } from './gpool.js';
import { identity } from './identity.js';
import { inception } from './inception.js';
import { linear } from './linear.js';
import { mbconv } from './mbconv.js';
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
};

function loweringOf(spec: OpSpec): Lowering<OpSpec> {
  if (!Object.prototype.hasOwnProperty.call(LOWERINGS, spec.kind)) throw new Error(`no lowering for block kind '${String(spec.kind)}'`);
  // The table is keyed by kind, so the entry always matches the spec; TypeScript cannot see that.
  return LOWERINGS[spec.kind] as unknown as Lowering<OpSpec>;
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

/**
 * The architecture as one graph: input `input`, layer i under id `layer<i>` (or its own id in a DAG),
 * output the last layer's. Layer shapes are checked first (placeLayers names the layer that does not fit).
 */
export function lowerArchitecture(arch: Architecture): Graph {
  const placed = placeLayers(arch);
  const b = new GraphBuilder();
  const refs = new Map<string, string>([['input', b.input('input', arch.input)]]);
  for (const p of placed) refs.set(p.id, lowerBlock(b, p.layer.spec, p.inputs.map((r) => refs.get(r)!), p.id));
  return b.build([refs.get(placed.length ? placed[placed.length - 1].id : 'input')!]);
}

/** Graph input names of a one-op model: `input`, or `input0`…`input<n-1>` for a multi-input op. */
export function instanceInputNames(inst: OpInstance): string[] {
  const n = inputShapes(inst.spec, inst.input).length;
  return n === 1 && inst.spec.kind !== 'sum' ? ['input'] : Array.from({ length: n }, (_, i) => `input${i}`);
}

/** One op instance as a graph under node ids `op.…`: what its LUT entry measures. */
export function lowerInstance(inst: OpInstance): Graph {
  const b = new GraphBuilder();
  const shapes = inputShapes(inst.spec, inst.input);
  const xs = instanceInputNames(inst).map((name, i) => b.input(name, shapes[i]));
  return b.build([lowerBlock(b, inst.spec, xs, 'op')]);
}

export type { Lowering, LoweringTable } from './types.js';
export type { Cell, CellEdge } from './cell.js';
export { cellInstances, lowerCell } from './cell.js';
export { actGain, RESIDUAL_GAIN, SE_GAIN } from './gains.js';
