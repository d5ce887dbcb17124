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

export type NasnetEdge = CellEdge<NasnetOp>;
export interface NasnetCell {
  /** Each block's two edges, block 0 (state 2) first. */
  blocks: NasnetEdge[][];
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
  hint: 'a NASNet cell looks like |sep_conv_3x3~0|identity~1|+|avg_pool_3x3~1|max_pool_3x3~0|+|conv_1x1~2|sep_conv_5x5~2|+|identity~3|conv_3x3~1|+|sep_conv_7x7~4|dil_conv_3x3~0| (optionally >1,2,… to list the concatenated states)',
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
  const blocks = parseCellGroups(SYNTAX, cell, body);
  if (list === undefined) return { blocks, concat: unusedStates(blocks) };
  const concat = list.split(',').map(Number);
  const states = NASNET_INPUTS + NASNET_BLOCKS;
  if (concat.some((s) => !Number.isInteger(s) || s < 0 || s >= states) || concat.some((s, i) => i > 0 && s <= concat[i - 1]))
    throw bad(`the concatenated states '${list}' must be ascending integers in 0..${states - 1}`);
  return { blocks, concat };
}

/** The cell string of 5 blocks' edges; the concat list is written only when it is not the unused states. */
export function nasnetCellString(blocks: readonly (readonly NasnetEdge[])[], concat?: readonly number[]): string {
  const body = cellGroupsString(blocks);
  const unused = unusedStates(blocks);
  return concat === undefined || concat.join(',') === unused.join(',') ? body : `${body}>${concat.join(',')}`;
}

/**
 * The catalog op an edge runs to `channels` out from a state of `inWidth` channels (default `channels`);
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
