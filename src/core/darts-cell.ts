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
import { UserError } from './errors.js';
import type { OpSpec } from './specs.js';

/** DARTS's PRIMITIVES, in its order (genotypes.py). */
export const DARTS_OPS = ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5'] as const;
export type DartsOp = (typeof DARTS_OPS)[number];

export const DARTS_INPUTS = 2;
export const DARTS_STEPS = 4;

export interface DartsEdge {
  op: DartsOp;
  /** Source node: 0, 1 (the cell inputs) or an earlier intermediate node 2..to-1. */
  from: number;
}

const HINT = 'a DARTS cell looks like |sep_conv_3x3~0|sep_conv_3x3~1|+|skip_connect~0|sep_conv_3x3~1|+|max_pool_3x3~0|skip_connect~2|+|avg_pool_3x3~1|dil_conv_3x3~3|';

/** The two edges of each intermediate node, in order (node 2 first). */
export function parseDartsCell(cell: string): DartsEdge[][] {
  const bad = (why: string) => new UserError(`bad DARTS cell '${cell}': ${why}`, { hint: HINT });
  if (typeof cell !== 'string') throw bad('not a string');
  const groups = cell.split('+');
  if (groups.length !== DARTS_STEPS) throw bad(`expected ${DARTS_STEPS} node groups separated by '+', got ${groups.length}`);
  return groups.map((group, i) => {
    const to = DARTS_INPUTS + i;
    if (!/^\|.*\|$/.test(group)) throw bad(`node ${to}'s group '${group}' must start and end with '|'`);
    const tokens = group.slice(1, -1).split('|');
    if (tokens.length !== 2) throw bad(`node ${to} takes 2 edges, got ${tokens.length}`);
    const edges = tokens.map((token): DartsEdge => {
      const m = /^([a-z0-9_]+)~(\d+)$/.exec(token);
      if (!m) throw bad(`edge '${token}' must be op~source`);
      if (!(DARTS_OPS as readonly string[]).includes(m[1])) throw bad(`unknown op '${m[1]}' (known: ${DARTS_OPS.join(', ')})`);
      const from = Number(m[2]);
      if (from >= to) throw bad(`node ${to} can only take edges from nodes 0..${to - 1}, got ~${from}`);
      return { op: m[1] as DartsOp, from };
    });
    if (edges[0].from === edges[1].from) throw bad(`node ${to} takes its two edges from two different nodes, got both from ${edges[0].from}`);
    return edges;
  });
}

/** The cell string of 4 nodes' edges (the inverse of parseDartsCell). */
export function dartsCellString(nodes: readonly (readonly DartsEdge[])[]): string {
  return nodes.map((edges) => '|' + edges.map((e) => `${e.op}~${e.from}`).join('|') + '|').join('+');
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
    case 'max_pool_3x3':
      return { kind: 'pool', mode: 'max', k: 3, stride };
    case 'avg_pool_3x3':
      return { kind: 'pool', mode: 'avg', k: 3, stride };
    case 'skip_connect':
      return stride === 1 ? { kind: 'identity' } : { kind: 'factreduce', cout: channels };
    case 'sep_conv_3x3':
      return { kind: 'sepconv', cout: channels, k: 3, stride };
    case 'sep_conv_5x5':
      return { kind: 'sepconv', cout: channels, k: 5, stride };
    case 'dil_conv_3x3':
      return { kind: 'dilconv', cout: channels, k: 3, stride, dilation: 2 };
    case 'dil_conv_5x5':
      return { kind: 'dilconv', cout: channels, k: 5, stride, dilation: 2 };
  }
}
