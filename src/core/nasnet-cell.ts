/**
 * NASNet cell strings (Zoph et al., CVPR 2018, "Learning Transferable Architectures"): parsing, writing, the
 * catalog op each of the 13 search-space ops runs, and which hidden states a cell concatenates. The `nasnet`
 * space and the cell's lowering (src/core/lower/nasnetcell.ts) read cells through these.
 *
 * A cell has two input states (0: h_{i-1}, 1: h_i) and B = 5 blocks, states 2..6; block j applies two ops, each
 * on a state 0..j-1 (the same state may be picked twice), and combines them (the paper's step 5) by element-wise
 * addition (F filters) or by concatenation along the filters (2F). The output concatenates the hidden states no
 * block reads (the paper's rule), or, after '>', the listed states (TF slim's NASNet-A cells fix that list by hand).
 * Written as one '|'-delimited group per block, joined by '+', a concatenating block's group followed by `concat`:
 * "|sep_conv_5x5~0|sep_conv_3x3~1|+|…|concat+|…|+|…|+|sep_conv_3x3~0|identity~0|" or "…|>1,2,3,4,5,6".
 *
 * Widths follow TF slim's NASNet code (nasnet_utils.py), which only ever adds but is written for any width: an
 * op reading a state of another width than the cell's filters maps it to the filters (_apply_conv_operation:
 * identity becomes ReLU-conv 1×1-BN, a pool is followed by conv 1×1-BN, convs end at the filters), and the cell
 * output brings every concatenated state whose height or width differs from the last block's to that block's
 * shape before concatenating (_combine_unused_states: FactorizedReduce at stride 2, 1×1 conv-BN at stride 1).
 * So a cell concatenates m states of the last block's width: m·F, or m·2F when the last block concatenates.
 */
import { badCell, cellGroupsString, namedEdgeSpec, parseCellGroups, type CellEdge, type CellSyntax } from './cell-string.js';
import type { OpSpec } from './specs.js';

/** The 13 ops of NASNet's search space (paper, section 3), in the paper's order. */
export const NASNET_OPS = [
  'identity', 'conv_1x3_3x1', 'conv_1x7_7x1', 'dil_conv_3x3', 'avg_pool_3x3', 'max_pool_3x3', 'max_pool_5x5',
  'max_pool_7x7', 'conv_1x1', 'conv_3x3', 'sep_conv_3x3', 'sep_conv_5x5', 'sep_conv_7x7',
] as const;
export type NasnetOp = (typeof NASNET_OPS)[number];

export const NASNET_INPUTS = 2;
export const NASNET_BLOCKS = 5;

/** How a block combines its two ops (the paper's step 5), add first: NASNet-A adds everywhere. */
export const NASNET_COMBINES = ['add', 'concat'] as const;
export type NasnetCombine = (typeof NASNET_COMBINES)[number];
/** What follows a concatenating block's group in a cell string. */
const CONCAT_MARK = 'concat';

export type NasnetEdge = CellEdge<NasnetOp>;
export interface NasnetCell {
  /** Each block's two edges, block 0 (state 2) first. */
  blocks: NasnetEdge[][];
  /** Each block's combine, block 0 first. */
  combines: NasnetCombine[];
  /** The states concatenated at the output, ascending. */
  concat: number[];
}

const SYNTAX: CellSyntax<NasnetOp> = {
  kind: 'NASNet',
  unit: 'block',
  reads: 'read states',
  ops: NASNET_OPS,
  inputs: NASNET_INPUTS,
  groups: NASNET_BLOCKS,
  hint: "a NASNet cell looks like |sep_conv_3x3~0|identity~1|+|avg_pool_3x3~1|max_pool_3x3~0|concat+|conv_1x1~2|sep_conv_5x5~2|+|identity~3|conv_3x3~1|+|sep_conv_7x7~4|dil_conv_3x3~0| (a block whose group ends in 'concat' concatenates its two ops, the others add them; optionally >1,2,… to list the concatenated states)",
};

/** The states no block reads: what the paper's cell concatenates. */
export function unusedStates(blocks: readonly (readonly NasnetEdge[])[]): number[] {
  const used = new Set(blocks.flatMap((edges) => edges.map((e) => e.from)));
  return Array.from({ length: NASNET_INPUTS + blocks.length }, (_, s) => s).filter((s) => !used.has(s));
}

export function parseNasnetCell(cell: string): NasnetCell {
  const bad = (why: string) => badCell(SYNTAX, cell, why);
  if (typeof cell !== 'string') throw bad('not a string');
  const [body, list, ...rest] = cell.split('>');
  if (rest.length > 0) throw bad("at most one '>' (the concatenated states)");
  const groups = body.split('+');
  const combines = groups.map((g): NasnetCombine => (g.endsWith(`|${CONCAT_MARK}`) ? 'concat' : 'add'));
  const blocks = parseCellGroups(SYNTAX, cell, groups.map((g, i) => (combines[i] === 'concat' ? g.slice(0, -CONCAT_MARK.length) : g)).join('+'));
  if (list === undefined) return { blocks, combines, concat: unusedStates(blocks) };
  const concat = list.split(',').map(Number);
  const states = NASNET_INPUTS + NASNET_BLOCKS;
  if (concat.some((s) => !Number.isInteger(s) || s < 0 || s >= states) || concat.some((s, i) => i > 0 && s <= concat[i - 1]))
    throw bad(`the concatenated states '${list}' must be ascending integers in 0..${states - 1}`);
  return { blocks, combines, concat };
}

/**
 * The cell string of 5 blocks' edges and combines (default: every block adds); the concat list is written only
 * when it is not the unused states.
 */
export function nasnetCellString(blocks: readonly (readonly NasnetEdge[])[], combines?: readonly NasnetCombine[], concat?: readonly number[]): string {
  const body = cellGroupsString(blocks)
    .split('+')
    .map((g, i) => (combines?.[i] === 'concat' ? g + CONCAT_MARK : g))
    .join('+');
  const unused = unusedStates(blocks);
  return concat === undefined || concat.join(',') === unused.join(',') ? body : `${body}>${concat.join(',')}`;
}

/**
 * The channels of each state 0..6 of a cell of `filters` whose input 0 has `input0` channels: input 1 has the
 * filters, a block the filters when it adds and twice them when it concatenates.
 */
export function nasnetStateWidths(cell: NasnetCell, filters: number, input0 = filters): number[] {
  return [input0, filters, ...cell.combines.map((c) => (c === 'concat' ? 2 * filters : filters))];
}

/** The channels a cell of `filters` outputs: its concatenated states, each brought to the last block's width. */
export function nasnetOutputWidth(cell: string, filters: number): number {
  const parsed = parseNasnetCell(cell);
  return parsed.concat.length * nasnetStateWidths(parsed, filters).at(-1)!;
}

/**
 * The catalog op an edge runs to `channels` out from a state of `inWidth` channels (default `channels`: another
 * width is the first CIFAR cell's 3F-channel stem or a concatenating block's 2F);
 * `stride` is 2 for a reduction cell's edges on its inputs. As TF slim's nasnet_utils.py: identity at stride 2
 * or onto another width is ReLU-conv 1×1-BN; pools pad "same" (average without the padding) and have no
 * BatchNorm; convs are ReLU-conv-BN; sep convs are (ReLU, depthwise, pointwise, BN) twice, both pointwise convs
 * to `channels`. The 3×3 dilated conv is the separable one (dilation 2) that DARTS also uses. A pool on a state
 * of another width is followed by a 1×1 conv-BN to `channels` (slim's _apply_conv_operation): the first cell of a
 * CIFAR network reads the 3F-channel stem as h_{i-1}, as the first stem cell of an ImageNet one reads the stem conv.
 */
export function nasnetEdgeSpec(op: NasnetOp, channels: number, stride: number, inWidth = channels): OpSpec {
  switch (op) {
    case 'identity':
      return stride === 1 && inWidth === channels ? { kind: 'identity' } : { kind: 'reluconv', cout: channels, k: 1, stride };
    case 'conv_1x3_3x1':
      return { kind: 'factconv', cout: channels, k: 3, stride };
    case 'conv_1x7_7x1':
      return { kind: 'factconv', cout: channels, k: 7, stride };
    case 'conv_1x1':
      return { kind: 'reluconv', cout: channels, k: 1, stride };
    case 'conv_3x3':
      return { kind: 'reluconv', cout: channels, k: 3, stride };
    default: {
      const spec = namedEdgeSpec(op, channels, stride);
      return spec.kind === 'pool' && inWidth !== channels ? { ...spec, cout: channels } : spec;
    }
  }
}
