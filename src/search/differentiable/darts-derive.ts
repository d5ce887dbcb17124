/**
 * DARTS's derivation of a discrete cell from α (Liu et al., ICLR 2019, §2.4; cnn/model_search.py genotype()):
 * on every edge the strongest op other than `none` (by softmax(α)), and for every intermediate node the two
 * incoming edges whose strongest such op weighs most (from two different earlier nodes, as the `darts`
 * space's cells are). Ties go to the lower-numbered op and source.
 */
import { DARTS_INPUTS, DARTS_OPS, DARTS_STEPS, dartsCellString, type DartsEdge } from '../../core/darts-cell.js';
import type { DartsGenotype } from '../../spaces/darts-net.js';
import { softmax } from './alpha.js';
import { DARTS_EDGES } from './darts-supernet.js';

/** The cell of one cell type's 14 rows of α. */
export function deriveCell(alpha: readonly (readonly number[])[]): string {
  if (alpha.length !== DARTS_EDGES.length) throw new Error(`DARTS cell: ${alpha.length} rows of α for ${DARTS_EDGES.length} edges`);
  const best = alpha.map((row) => {
    const p = softmax(row);
    let op = 1;
    for (let o = 2; o < DARTS_OPS.length; o++) if (p[o] > p[op]) op = o;
    return { op, weight: p[op] };
  });
  const nodes: DartsEdge[][] = Array.from({ length: DARTS_STEPS }, (_, s) => {
    const to = DARTS_INPUTS + s;
    const incoming = DARTS_EDGES.flatMap((e, k) => (e.to === to ? [{ from: e.from, ...best[k] }] : []));
    // Stable sort: equal weights keep the lower source first.
    const top = [...incoming].sort((a, b) => b.weight - a.weight).slice(0, 2);
    return top.map((e) => ({ op: DARTS_OPS[e.op], from: e.from }));
  });
  return dartsCellString(nodes);
}

/** The genotype of α: 28 rows, the normal cell's 14 edges then the reduction cell's. */
export function deriveGenotype(alpha: readonly (readonly number[])[]): DartsGenotype {
  const n = DARTS_EDGES.length;
  return { normal: deriveCell(alpha.slice(0, n)), reduce: deriveCell(alpha.slice(n, 2 * n)) };
}
