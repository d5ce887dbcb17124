/**
 * nasnetcell: a NASNet cell (src/core/nasnet-cell.ts), one instance of the general cell rule (cell.ts): two
 * inputs of the same height and width, 5 blocks each the sum or the channel concatenation of two edges (possibly
 * on the same state), the output the concatenation of the chosen hidden states (by default those no block reads).
 * In a reduction cell the edges on the inputs have stride 2. Edges map any state's width to the filters (a
 * concatenating block's 2F, input 0 wider than the cell: NASNet-A-Mobile's first stem cell with `filters`). Before
 * the output concat, as TF slim's _combine_unused_states, a state of another height or width than the last
 * block's goes through FactorizedReduce (a reduction cell's input) or a 1×1 conv-BN to that block's width, as an
 * extra node with that one edge. A reduction cell on an odd size gives ⌈h/2⌉, as TF's "same" padding does. For
 * latency it counts as its edge ops, block sums and concats, and the output concat.
 */
import { UserError } from '../errors.js';
import { NASNET_INPUTS, nasnetEdgeSpec, nasnetStateWidths, parseNasnetCell } from '../nasnet-cell.js';
import type { NasnetCellSpec, OpSpec, Shape } from '../specs.js';
import type { Cell } from './cell.js';
import type { Lowering } from './types.js';
import { f, opt } from '../key-fields.js';

export function nasnetCell(spec: NasnetCellSpec, input: Shape): Cell {
  const channels = spec.filters ?? input[1];
  const parsed = parseNasnetCell(spec.cell);
  const width = nasnetStateWidths(parsed, channels, input[1]);
  const last = width[width.length - 1];
  const nodes: Cell['nodes'] = parsed.blocks.map((edges, j) => ({
    // slim drops no identity op, even where it is a 1×1 conv (at stride 2, or on a state of another width).
    edges: edges.map((e) => ({ from: e.from, spec: nasnetEdgeSpec(e.op, channels, spec.reduce && e.from < NASNET_INPUTS ? 2 : 1, width[e.from]), ...(e.op === 'identity' ? { keep: true } : {}) })),
    ...(parsed.combines[j] === 'concat' ? { combine: 'concat' as const } : {}),
  }));
  const concat = parsed.concat.map((s) => {
    const resized = spec.reduce && s < NASNET_INPUTS;
    if (!resized && width[s] === last) return s;
    // slim brings a state of another size or width to the last block's: FactorizedReduce at stride 2, 1×1 conv-BN at stride 1.
    const edge: OpSpec = resized ? { kind: 'factreduce', cout: last } : { kind: 'conv', cout: last, k: 1, stride: 1, groups: 1, dilation: 1, act: 'none' };
    nodes.push({ edges: [{ from: s, spec: edge }], fixed: true });
    return NASNET_INPUTS + nodes.length - 1;
  });
  return { inputs: NASNET_INPUTS, nodes, output: 'concat', concat, stride: spec.reduce ? 2 : 1, dropPaths: true };
}

export const nasnetcell: Lowering<NasnetCellSpec> = {
  fields: [f('cell', '', 'cell'), f('reduce', 'red', 'bool'), opt('filters', 'f', 'int')],
  inputs(s, input) {
    const { concat } = parseNasnetCell(s.cell);
    if (concat.length === 0) throw new UserError(`nasnetcell: the cell '${s.cell}' concatenates no state`, { hint: "list at least one state after '>'" });
    if (s.filters === undefined) return [input, input];
    if (!Number.isInteger(s.filters) || s.filters < 1) throw new UserError(`nasnetcell: filters must be a positive integer, got ${s.filters}`);
    const [n, , h, w] = input;
    return [input, [n, s.filters, h, w]];
  },
  cell: (s, input) => nasnetCell(s, input),
};
