/**
 * nb201cell: a NAS-Bench-201 cell, one instance of the general cell rule (cell.ts): one input node,
 * nodes 1..3 each the sum of op_ij(node i) over i < j, the output is node 3. Edges are catalog blocks
 * (reluconv, avg pool 3×3 stride 1, identity); "none" edges are left out.
 */
import { nb201EdgeSpec, parseNb201Cell } from '../nb201-cell.js';
import type { Nb201CellSpec, Shape } from '../specs.js';
import type { Cell } from './cell.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export function nb201Cell(cellString: string, shape: Shape): Cell {
  const { edges } = parseNb201Cell(cellString);
  const nodes: Cell['nodes'] = [1, 2, 3].map((to) => ({
    edges: edges.filter((e) => e.to === to && e.op !== 'none').map((e) => ({ from: e.from, spec: nb201EdgeSpec(e.op, shape)! })),
  }));
  return { inputs: 1, nodes, output: 'last' };
}

export const nb201cell: Lowering<Nb201CellSpec> = {
  fields: [f('cell', '', 'cell')],
  cell: (s, input) => nb201Cell(s.cell, input),
};
