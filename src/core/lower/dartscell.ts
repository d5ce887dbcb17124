/**
 * dartscell: a DARTS cell (src/core/darts-cell.ts), one instance of the general cell rule (cell.ts): two
 * inputs of the same shape, 4 intermediate nodes each the sum of its two edges ("none" edges left out), the
 * output the concatenation of the 4 nodes. In a reduction cell the edges reading the inputs have stride 2.
 * For latency it counts as its edge ops, node sums and the concat.
 */
import { UserError } from '../errors.js';
import { DARTS_INPUTS, dartsEdgeSpec, parseDartsCell } from '../darts-cell.js';
import type { DartsCellSpec, Shape } from '../specs.js';
import type { Cell } from './cell.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export function dartsCell(spec: DartsCellSpec, input: Shape): Cell {
  const channels = input[1];
  const nodes: Cell['nodes'] = parseDartsCell(spec.cell).map((edges) => ({
    edges: edges.flatMap((e) => {
      const edge = dartsEdgeSpec(e.op, channels, spec.reduce && e.from < DARTS_INPUTS ? 2 : 1);
      return edge ? [{ from: e.from, spec: edge }] : [];
    }),
  }));
  return { inputs: DARTS_INPUTS, nodes, output: 'concat', stride: spec.reduce ? 2 : 1, dropPaths: true };
}

export const dartscell: Lowering<DartsCellSpec> = {
  fields: [f('cell', '', 'cell'), f('reduce', 'red', 'bool')],
  inputs(s, input) {
    parseDartsCell(s.cell);
    const [, , h, w] = input;
    if (s.reduce && (h % 2 !== 0 || w % 2 !== 0))
      throw new UserError(`dartscell: a reduction cell needs an even height and width, got ${h}x${w}`, { hint: 'pick a resolution that stays even down to the last reduction' });
    return [input, input];
  },
  cell: (s, input) => dartsCell(s, input),
};
