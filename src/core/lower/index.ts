/**
 * The lowerings (one file per block kind, one table: table.ts) and the graphs the backends consume: a
 * whole architecture (a chain or a DAG of blocks) and one op instance (what a LUT entry measures).
 */
import { placeLayers, type Architecture } from '../arch.js';
import { GraphBuilder, type Graph } from '../graph/index.js';
import { lowerBlock } from './table.js';

/**
 * The architecture as one graph: input `input`, layer i under id `layer<i>` (or its own id in a DAG),
 * output the last layer's. Layer shapes are checked first (placeLayers names the layer that does not fit).
 */
export function lowerArchitecture(arch: Architecture): Graph {
  const placed = placeLayers(arch);
  const b = new GraphBuilder();
  const refs = new Map<string, string>([['input', b.input('input', arch.input)]]);
  for (const p of placed) refs.set(p.id, lowerBlock(b, p.layer.spec, p.inputs.map((r) => refs.get(r)!), p.id));
  return b.build([refs.get(placed.length ? placed[placed.length - 1].id : 'input')!]);
}

export { blockCell, blockInputShapes, instanceInputNames, LOWERINGS, loweredOutputShape, lowerBlock, lowerInstance, loweringOf } from './table.js';
export type { Lowering, LoweringTable } from './types.js';
export type { Cell, CellEdge } from './cell.js';
export { concatNodes, lowerCell } from './cell.js';
export { actGain, RESIDUAL_GAIN, SE_GAIN } from './gains.js';
