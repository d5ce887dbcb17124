/**
 * NASNet cell strings (Zoph et al., CVPR 2018, "Learning Transferable Architectures"): parsing, writing, the
 * catalog op each of the 13 search-space ops runs, and which hidden states a cell concatenates. The `nasnet`
 * space and the cell's lowering (src/core/lower/nasnetcell.ts) read cells through these.
 *
 * A cell has two input states (0: h_{i-1}, 1: h_i) and B = 5 blocks, states 2..6; block j adds two ops, each
 * on a state 0..j-1 (the same state may be picked twice). The output concatenates the hidden states no block
 * reads (the paper's rule), or, after '>', the listed states (TF slim's NASNet-A cells fix that list by hand).
 * Written as one '|'-delimited group per block, joined by '+':
 * "|sep_conv_5x5~0|sep_conv_3x3~1|+|…|+|…|+|…|+|sep_conv_3x3~0|identity~0|" or "…|>1,2,3,4,5,6".
 */
import { UserError } from './errors.js';
import type { OpSpec } from './specs.js';

/** The 13 ops of NASNet's search space (paper, section 3), in the paper's order. */
export const NASNET_OPS = [
  'identity', 'conv_1x3_3x1', 'conv_1x7_7x1', 'dil_conv_3x3', 'avg_pool_3x3', 'max_pool_3x3', 'max_pool_5x5',
  'max_pool_7x7', 'conv_1x1', 'conv_3x3', 'sep_conv_3x3', 'sep_conv_5x5', 'sep_conv_7x7',
] as const;
export type NasnetOp = (typeof NASNET_OPS)[number];

export const NASNET_INPUTS = 2;
export const NASNET_BLOCKS = 5;

export interface NasnetEdge {
  op: NasnetOp;
  /** Source state: 0, 1 (the cell inputs) or an earlier block's state 2..to-1. */
  from: number;
}
export interface NasnetCell {
  /** Each block's two edges, block 0 (state 2) first. */
  blocks: NasnetEdge[][];
  /** The states concatenated at the output, ascending. */
  concat: number[];
}

const HINT = 'a NASNet cell looks like |sep_conv_3x3~0|identity~1|+|avg_pool_3x3~1|max_pool_3x3~0|+|conv_1x1~2|sep_conv_5x5~2|+|identity~3|conv_3x3~1|+|sep_conv_7x7~4|dil_conv_3x3~0| (optionally >1,2,… to list the concatenated states)';

/** The states no block reads: what the paper's cell concatenates. */
export function unusedStates(blocks: readonly (readonly NasnetEdge[])[]): number[] {
  const used = new Set(blocks.flatMap((edges) => edges.map((e) => e.from)));
  return Array.from({ length: NASNET_INPUTS + blocks.length }, (_, s) => s).filter((s) => !used.has(s));
}

export function parseNasnetCell(cell: string): NasnetCell {
  const bad = (why: string) => new UserError(`bad NASNet cell '${cell}': ${why}`, { hint: HINT });
  if (typeof cell !== 'string') throw bad('not a string');
  const [body, list, ...rest] = cell.split('>');
  if (rest.length > 0) throw bad("at most one '>' (the concatenated states)");
  const groups = body.split('+');
  if (groups.length !== NASNET_BLOCKS) throw bad(`expected ${NASNET_BLOCKS} block groups separated by '+', got ${groups.length}`);
  const blocks = groups.map((group, i) => {
    const to = NASNET_INPUTS + i;
    if (!/^\|.*\|$/.test(group)) throw bad(`block ${to}'s group '${group}' must start and end with '|'`);
    const tokens = group.slice(1, -1).split('|');
    if (tokens.length !== 2) throw bad(`block ${to} takes 2 edges, got ${tokens.length}`);
    return tokens.map((token): NasnetEdge => {
      const m = /^([a-z0-9_]+)~(\d+)$/.exec(token);
      if (!m) throw bad(`edge '${token}' must be op~source`);
      if (!(NASNET_OPS as readonly string[]).includes(m[1])) throw bad(`unknown op '${m[1]}' (known: ${NASNET_OPS.join(', ')})`);
      const from = Number(m[2]);
      if (from >= to) throw bad(`block ${to} can only read states 0..${to - 1}, got ~${from}`);
      return { op: m[1] as NasnetOp, from };
    });
  });
  if (list === undefined) return { blocks, concat: unusedStates(blocks) };
  const concat = list.split(',').map(Number);
  const states = NASNET_INPUTS + NASNET_BLOCKS;
  if (concat.some((s) => !Number.isInteger(s) || s < 0 || s >= states) || concat.some((s, i) => i > 0 && s <= concat[i - 1]))
    throw bad(`the concatenated states '${list}' must be ascending integers in 0..${states - 1}`);
  return { blocks, concat };
}

/** The cell string of 5 blocks' edges; the concat list is written only when it is not the unused states. */
export function nasnetCellString(blocks: readonly (readonly NasnetEdge[])[], concat?: readonly number[]): string {
  const body = blocks.map((edges) => '|' + edges.map((e) => `${e.op}~${e.from}`).join('|') + '|').join('+');
  const unused = unusedStates(blocks);
  return concat === undefined || concat.join(',') === unused.join(',') ? body : `${body}>${concat.join(',')}`;
}

/**
 * The catalog op an edge runs to `channels` out from a state of `inWidth` channels (default `channels`);
 * `stride` is 2 for a reduction cell's edges on its inputs. As TF slim's nasnet_utils.py: identity at stride 2
 * or onto another width is ReLU-conv 1×1-BN; pools pad "same" (average without the padding) and have no
 * BatchNorm; convs are ReLU-conv-BN; sep convs are (ReLU, depthwise, pointwise, BN) twice, both pointwise convs
 * to `channels`. The 3×3 dilated conv is the separable one (dilation 2) that DARTS also uses. A pool on a state
 * of another width (slim adds a 1×1 conv-BN after it) is refused: no published cell has one.
 */
export function nasnetEdgeSpec(op: NasnetOp, channels: number, stride: number, inWidth = channels): OpSpec {
  if (inWidth !== channels && op.includes('pool'))
    throw new UserError(`NASNet cell: ${op} on a state of ${inWidth} channels cannot feed a block of ${channels}`, {
      hint: 'only the first stem cell of an ImageNet NASNet reads a state of another width; pick an op other than a pool on that input',
    });
  switch (op) {
    case 'identity':
      return stride === 1 && inWidth === channels ? { kind: 'identity' } : { kind: 'reluconv', cout: channels, k: 1, stride };
    case 'conv_1x3_3x1':
      return { kind: 'factconv', cout: channels, k: 3, stride };
    case 'conv_1x7_7x1':
      return { kind: 'factconv', cout: channels, k: 7, stride };
    case 'dil_conv_3x3':
      return { kind: 'dilconv', cout: channels, k: 3, stride, dilation: 2 };
    case 'avg_pool_3x3':
      return { kind: 'pool', mode: 'avg', k: 3, stride };
    case 'max_pool_3x3':
      return { kind: 'pool', mode: 'max', k: 3, stride };
    case 'max_pool_5x5':
      return { kind: 'pool', mode: 'max', k: 5, stride };
    case 'max_pool_7x7':
      return { kind: 'pool', mode: 'max', k: 7, stride };
    case 'conv_1x1':
      return { kind: 'reluconv', cout: channels, k: 1, stride };
    case 'conv_3x3':
      return { kind: 'reluconv', cout: channels, k: 3, stride };
    case 'sep_conv_3x3':
      return { kind: 'sepconv', cout: channels, k: 3, stride };
    case 'sep_conv_5x5':
      return { kind: 'sepconv', cout: channels, k: 5, stride };
    case 'sep_conv_7x7':
      return { kind: 'sepconv', cout: channels, k: 7, stride };
  }
}
