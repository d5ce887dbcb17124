/**
 * The cell-string syntax the DARTS and NASNet cells share (darts-cell.ts, nasnet-cell.ts): one '|'-delimited
 * group of two `op~source` edges per node, groups joined by '+', node j (numbered after the cell's inputs)
 * reading only nodes before it. Each cell kind adds its own rules on top (DARTS: two different sources;
 * NASNet: an optional '>' list of concatenated states).
 */
import { UserError } from './errors.js';
import type { OpSpec } from './specs.js';

export interface CellEdge<Op extends string> {
  op: Op;
  /** Source node: a cell input (0 .. inputs-1) or an earlier node. */
  from: number;
}

export interface CellSyntax<Op extends string> {
  /** Which cell, for messages ("DARTS", "NASNet"). */
  kind: string;
  /** What a group is called in messages ("node", "block"). */
  unit: string;
  /** How a group reads its sources, in messages ("take edges from nodes", "read states"). */
  reads: string;
  ops: readonly Op[];
  inputs: number;
  groups: number;
  hint: string;
  /** A rule of the cell kind on one group's edges: what is wrong, or undefined. */
  check?(edges: readonly CellEdge<Op>[], to: number): string | undefined;
}

/** The UserError for a bad cell string, with the syntax's hint. */
export function badCell(syntax: Pick<CellSyntax<string>, 'kind' | 'hint'>, cell: string, why: string): UserError {
  return new UserError(`bad ${syntax.kind} cell '${cell}': ${why}`, { hint: syntax.hint });
}

/** Each group's two edges, in order (the first group is node `inputs`). */
export function parseCellGroups<Op extends string>(syntax: CellSyntax<Op>, cell: string, body: string): CellEdge<Op>[][] {
  const bad = (why: string) => badCell(syntax, cell, why);
  const groups = body.split('+');
  if (groups.length !== syntax.groups) throw bad(`expected ${syntax.groups} ${syntax.unit} groups separated by '+', got ${groups.length}`);
  return groups.map((group, i) => {
    const to = syntax.inputs + i;
    if (!/^\|.*\|$/.test(group)) throw bad(`${syntax.unit} ${to}'s group '${group}' must start and end with '|'`);
    const tokens = group.slice(1, -1).split('|');
    if (tokens.length !== 2) throw bad(`${syntax.unit} ${to} takes 2 edges, got ${tokens.length}`);
    const edges = tokens.map((token): CellEdge<Op> => {
      const m = /^([a-z0-9_]+)~(\d+)$/.exec(token);
      if (!m) throw bad(`edge '${token}' must be op~source`);
      if (!(syntax.ops as readonly string[]).includes(m[1])) throw bad(`unknown op '${m[1]}' (known: ${syntax.ops.join(', ')})`);
      const from = Number(m[2]);
      if (from >= to) throw bad(`${syntax.unit} ${to} can only ${syntax.reads} 0..${to - 1}, got ~${from}`);
      return { op: m[1] as Op, from };
    });
    const wrong = syntax.check?.(edges, to);
    if (wrong) throw bad(wrong);
    return edges;
  });
}

/** The groups written back as a cell string (the inverse of parseCellGroups). */
export function cellGroupsString(groups: readonly (readonly CellEdge<string>[])[]): string {
  return groups.map((edges) => '|' + edges.map((e) => `${e.op}~${e.from}`).join('|') + '|').join('+');
}

/**
 * The ops DARTS and NASNet name alike, to `channels` out: sep_conv_kxk (sepconv), dil_conv_kxk (the separable
 * dilated conv, dilation 2), max_pool_kxk and avg_pool_kxk ("same" padding, average without the padding).
 */
export function namedEdgeSpec(op: string, channels: number, stride: number): OpSpec {
  const m = /^(sep_conv|dil_conv|max_pool|avg_pool)_(\d)x\2$/.exec(op);
  if (!m) throw new Error(`no catalog op for the cell op '${op}'`);
  const k = Number(m[2]);
  switch (m[1]) {
    case 'sep_conv':
      return { kind: 'sepconv', cout: channels, k, stride };
    case 'dil_conv':
      return { kind: 'dilconv', cout: channels, k, stride, dilation: 2 };
    default:
      return { kind: 'pool', mode: m[1] === 'max_pool' ? 'max' : 'avg', k, stride };
  }
}
