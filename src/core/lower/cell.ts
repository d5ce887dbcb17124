/**
 * Cells: the one rule by which a block that is a small DAG of catalog ops (a NAS-Bench-201 cell, a
 * DARTS cell, a multi-branch block) is lowered and decomposed for latency.
 *
 * A cell has `inputs` input nodes (0..inputs-1) and then intermediate nodes; node j is the sum of its
 * edges (or their channel concatenation: a NASNet block that concatenates), each edge a catalog op applied to an earlier node (a node with no edges is zeros shaped like
 * input 0, as in NAS-Bench-201, subsampled by the cell's stride in a reduction cell). The cell's output is its last node, or the channel concatenation of
 * its intermediate nodes (DARTS). For latency it counts as its edge ops plus its combine ops: one `sum`
 * per node adding more than one edge, one `concat` per node concatenating more than one edge and one for a
 * concatenated output. Zero nodes cost nothing.
 */
import type { GraphBuilder } from '../graph/index.js';
import type { OpSpec } from '../specs.js';

export interface CellEdge {
  from: number;
  spec: OpSpec;
  /** Never a drop path, whatever it lowers to: TF slim's NASNet drops no 'none' (identity) op, not even as a 1×1 conv. */
  keep?: boolean;
}
export interface Cell {
  /** Number of input nodes (the block's inputs, in order). */
  inputs: number;
  /**
   * Intermediate nodes in order; node `inputs + i` is nodes[i]. `fixed`: not one of the searched blocks (NASNet's
   * FactorizedReduce of a concatenated input), so its edge is no cell path for ScheduledDropPath. `combine`: how
   * the node joins its edges, `add` (default) or `concat` along the channels (a NASNet block's step 5).
   */
  nodes: { edges: CellEdge[]; fixed?: boolean; combine?: 'add' | 'concat' }[];
  output: 'last' | 'concat';
  /** With output 'concat': the nodes (inputs included) it concatenates, in order; default every intermediate node (DARTS). NASNet concatenates its unused states. */
  concat?: readonly number[];
  /** Spatial stride of the intermediate nodes relative to the inputs (a DARTS reduction cell: 2); default 1. */
  stride?: number;
  /** Its non-identity edges are paths ScheduledDropPath drops in training (Graph.dropPaths): NASNet and DARTS cells. */
  dropPaths?: boolean;
}

/**
 * The cell's primitives: edge `<id>.edge<to>_<from>` lowered by its own kind's lowering, node sums
 * `<id>.node<to>`, the output concat `<id>.concat`. `lowerEdge` is the lowering table's dispatch
 * (passed in, so this file does not import the table that imports it).
 */
export function lowerCell(
  b: GraphBuilder,
  cell: Cell,
  xs: readonly string[],
  id: string,
  lowerEdge: (b: GraphBuilder, spec: OpSpec, xs: readonly string[], id: string) => string,
): string {
  if (xs.length !== cell.inputs) throw new Error(`${id}: the cell takes ${cell.inputs} input(s), got ${xs.length}`);
  const values: string[] = [...xs];
  cell.nodes.forEach((node, i) => {
    const to = cell.inputs + i;
    // A NASNet block may read one node twice: its second edge gets its own id.
    const terms = node.edges.map((e, k) => lowerEdge(b, e.spec, [values[e.from]], `${id}.edge${to}_${e.from}${node.edges.findIndex((o) => o.from === e.from) < k ? '_b' : ''}`));
    // An edge whose lowering is its input (identity) is no path to drop (NASNet, DARTS: drop-path skips identities).
    if (cell.dropPaths && !node.fixed) terms.forEach((t, k) => t !== values[node.edges[k].from] && !node.edges[k].keep && b.dropPath(t));
    const nodeId = `${id}.node${to}`;
    values.push(terms.length === 0 ? b.node(nodeId, { op: 'zero', stride: cell.stride ?? 1 }, [xs[0]]) : node.combine === 'concat' ? b.concat(terms, nodeId) : b.add(terms, nodeId));
  });
  return cell.output === 'concat' ? b.concat(concatNodes(cell).map((n) => values[n]), `${id}.concat`) : values[values.length - 1];
}

/** The nodes a concatenating cell's output joins. */
export function concatNodes(cell: Cell): number[] {
  return cell.concat ? [...cell.concat] : cell.nodes.map((_, i) => cell.inputs + i);
}
