/**
 * nasnetcell: a NASNet cell (src/core/nasnet-cell.ts), one instance of the general cell rule (cell.ts): two
 * inputs of the same shape, 5 blocks each the sum of two edges (possibly on the same state), the output the
 * concatenation of the chosen hidden states (by default those no block reads). In a reduction cell the edges on
 * the inputs have stride 2, and a concatenated input goes through FactorizedReduce first (TF slim's
 * _combine_unused_states), as an extra node with that one edge. For latency it counts as its edge ops, block
 * sums and the concat.
 */
import { UserError } from '../errors.js';
import { NASNET_INPUTS, nasnetEdgeSpec, parseNasnetCell } from '../nasnet-cell.js';
import type { NasnetCellSpec, Shape } from '../specs.js';
import type { Cell } from './cell.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export function nasnetCell(spec: NasnetCellSpec, input: Shape): Cell {
  const channels = input[1];
  const parsed = parseNasnetCell(spec.cell);
  const nodes: Cell['nodes'] = parsed.blocks.map((edges) => ({
    edges: edges.map((e) => ({ from: e.from, spec: nasnetEdgeSpec(e.op, channels, spec.reduce && e.from < NASNET_INPUTS ? 2 : 1) })),
  }));
  const concat = parsed.concat.map((s) => {
    if (!spec.reduce || s >= NASNET_INPUTS) return s;
    nodes.push({ edges: [{ from: s, spec: { kind: 'factreduce', cout: channels } }], fixed: true });
    return NASNET_INPUTS + nodes.length - 1;
  });
  return { inputs: NASNET_INPUTS, nodes, output: 'concat', concat, stride: spec.reduce ? 2 : 1, dropPaths: true };
}

export const nasnetcell: Lowering<NasnetCellSpec> = {
  fields: [f('cell', '', 'cell'), f('reduce', 'red', 'bool')],
  inputs(s, input) {
    const { concat } = parseNasnetCell(s.cell);
    if (concat.length === 0) throw new UserError(`nasnetcell: the cell '${s.cell}' concatenates no state`, { hint: "list at least one state after '>'" });
    const [, , h, w] = input;
    if (s.reduce && (h % 2 !== 0 || w % 2 !== 0))
      throw new UserError(`nasnetcell: a reduction cell needs an even height and width, got ${h}x${w}`, { hint: 'pick a resolution that stays even down to the last reduction' });
    return [input, input];
  },
  cell: (s, input) => nasnetCell(s, input),
};
