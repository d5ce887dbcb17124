/**
 * DARTS cell strings (Liu et al., ICLR 2019): parsing, writing, and the catalog op each edge runs. The
 * `darts` space, the cell's lowering (src/core/lower/dartscell.ts) and the published DARTS-V2 read cells
 * through these.
 *
 * A cell has two input nodes (0: c_{k-2}, 1: c_{k-1}) and 4 intermediate nodes 2..5; node j sums two ops,
 * each of an earlier node, the two from different nodes (as DARTS derives them: the top two incoming edges).
 * Written as one '|'-delimited group per node, joined by '+', in the genotype's order:
 * "|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~1|skip_connect~0|+|skip_connect~0|dil_conv_3x3~2|".
 */
import { badCell, cellGroupsString, namedEdgeSpec, parseCellGroups, type CellEdge, type CellSyntax } from './cell-string.js';
import type { OpSpec } from './specs.js';

/** DARTS's PRIMITIVES, in its order (genotypes.py). */
export const DARTS_OPS = ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5'] as const;
export type DartsOp = (typeof DARTS_OPS)[number];

export const DARTS_INPUTS = 2;
export const DARTS_STEPS = 4;

export type DartsEdge = CellEdge<DartsOp>;

const SYNTAX: CellSyntax<DartsOp> = {
  kind: 'DARTS',
  unit: 'node',
  reads: 'take edges from nodes',
  ops: DARTS_OPS,
  inputs: DARTS_INPUTS,
  groups: DARTS_STEPS,
  // As DARTS derives a cell: the top two incoming edges, from two different nodes.
  check: (edges, to) => (edges[0].from === edges[1].from ? `node ${to} takes its two edges from two different nodes, got both from ${edges[0].from}` : undefined),
  hint: 'a DARTS cell looks like |sep_conv_3x3~0|sep_conv_3x3~1|+|skip_connect~0|sep_conv_3x3~1|+|max_pool_3x3~0|skip_connect~2|+|avg_pool_3x3~1|dil_conv_3x3~3|',
};

/** The two edges of each intermediate node, in order (node 2 first). */
export function parseDartsCell(cell: string): DartsEdge[][] {
  if (typeof cell !== 'string') throw badCell(SYNTAX, cell, 'not a string');
  return parseCellGroups(SYNTAX, cell, cell);
}

/** The cell string of 4 nodes' edges (the inverse of parseDartsCell). */
export function dartsCellString(nodes: readonly (readonly DartsEdge[])[]): string {
  return cellGroupsString(nodes);
}

/**
 * The catalog op an edge runs with `channels` in and out, or undefined for "none". `stride` is 2 for the
 * edges of a reduction cell that read its inputs. As in DARTS's operations.py: pools pad 1 (average without
 * the padding), no BatchNorm after them; skip_connect at stride 2 is FactorizedReduce; dil_conv has dilation 2.
 */
export function dartsEdgeSpec(op: DartsOp, channels: number, stride: number): OpSpec | undefined {
  switch (op) {
    case 'none':
      return undefined;
    case 'skip_connect':
      return stride === 1 ? { kind: 'identity' } : { kind: 'factreduce', cout: channels };
    default:
      return namedEdgeSpec(op, channels, stride);
  }
}
