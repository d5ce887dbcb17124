/**
 * NAS-Bench-201 cell strings: parsing, writing, and the catalog op each edge runs. The search space,
 * the cell's lowering (src/core/lower/nb201cell.ts) and the tools read cells through these.
 */
import { UserError } from './errors.js';
import type { OpSpec, Shape } from './specs.js';

/** The five NAS-Bench-201 edge ops, in the benchmark's order. */
export const NB201_OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'] as const;
export type Nb201Op = (typeof NB201_OPS)[number];

/** Nodes 1..3 each take one edge from every earlier node: 6 edges, node 3 is the cell output. */
export const NB201_NODES = 4;

export interface Nb201Edge {
  /** Source node, 0..to-1. */
  from: number;
  /** Target node, 1..3. */
  to: number;
  op: Nb201Op;
}

const CELL_HINT = 'a cell looks like |nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|';

/**
 * Parses a cell string into its 6 edges, ordered by target node then source node
 * (1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2: the order of NAS-Bench-201's architecture index).
 */
export function parseNb201Cell(cell: string): { edges: Nb201Edge[] } {
  const bad = (why: string) => new UserError(`bad NAS-Bench-201 cell '${cell}': ${why}`, { hint: CELL_HINT });
  const groups = cell.split('+');
  if (groups.length !== NB201_NODES - 1) throw bad(`expected ${NB201_NODES - 1} node groups separated by '+', got ${groups.length}`);
  const edges: Nb201Edge[] = [];
  groups.forEach((group, g) => {
    const to = g + 1;
    if (!/^\|.*\|$/.test(group)) throw bad(`node ${to}'s group '${group}' must start and end with '|'`);
    const tokens = group.slice(1, -1).split('|');
    if (tokens.length !== to) throw bad(`node ${to} needs ${to} edge(s), got ${tokens.length}`);
    const seen = new Map<number, Nb201Op>();
    for (const token of tokens) {
      const m = /^([a-z0-9_]+)~(\d+)$/.exec(token);
      if (!m) throw bad(`edge '${token}' must be op~source`);
      const op = m[1] as Nb201Op;
      const from = Number(m[2]);
      if (!NB201_OPS.includes(op)) throw bad(`unknown op '${m[1]}' (known: ${NB201_OPS.join(', ')})`);
      if (from >= to) throw bad(`node ${to} can only take edges from nodes 0..${to - 1}, got ~${from}`);
      if (seen.has(from)) throw bad(`node ${to} has two edges from node ${from}`);
      seen.set(from, op);
    }
    for (let from = 0; from < to; from++) edges.push({ from, to, op: seen.get(from)! });
  });
  return { edges };
}

/** The cell string for 6 edge ops in the order parseNb201Cell returns them. */
export function nb201CellString(ops: readonly Nb201Op[]): string {
  if (ops.length !== 6) throw new UserError(`a NAS-Bench-201 cell has 6 edges, got ${ops.length} ops`);
  for (const op of ops) if (!NB201_OPS.includes(op)) throw new UserError(`unknown NAS-Bench-201 op '${op}' (known: ${NB201_OPS.join(', ')})`);
  const group = (start: number, count: number) =>
    '|' + ops.slice(start, start + count).map((op, i) => `${op}~${i}`).join('|') + '|';
  return [group(0, 1), group(1, 2), group(3, 3)].join('+');
}

/** The catalog op an edge runs on a `shape` tensor, or undefined for "none". Channels are kept. */
export function nb201EdgeSpec(op: Nb201Op, shape: Shape): OpSpec | undefined {
  switch (op) {
    case 'none':
      return undefined;
    case 'skip_connect':
      return { kind: 'identity' };
    case 'nor_conv_1x1':
      return { kind: 'reluconv', cout: shape[1], k: 1, stride: 1 };
    case 'nor_conv_3x3':
      return { kind: 'reluconv', cout: shape[1], k: 3, stride: 1 };
    case 'avg_pool_3x3':
      return { kind: 'pool', mode: 'avg', k: 3, stride: 1 };
  }
}

/** The non-none edges entering each node 1..3 (index = node). */
export function nb201NodeInputs(edges: readonly Nb201Edge[]): Nb201Edge[][] {
  const inputs: Nb201Edge[][] = Array.from({ length: NB201_NODES }, () => []);
  for (const e of edges) if (e.op !== 'none') inputs[e.to].push(e);
  return inputs;
}
