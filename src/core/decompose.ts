/**
 * Which LUT instances an architecture's latency is the sum of.
 *
 * Every block node counts as itself, except a block whose lowering is a cell (src/core/lower/cell.ts):
 * a NAS-Bench-201 cell has 5^6 = 15625 variants per input shape, too many to measure one by one, so a
 * cell counts as its edge ops plus its combine ops (one `sum` per node adding more than one edge, one
 * `concat` per node concatenating them, one `concat` for a concatenated output), by one rule for every cell.
 */
import { placeLayers, type Architecture } from './arch.js';
import { blockCell, concatNodes, type Cell } from './lower/index.js';
import { nb201Cell } from './lower/nb201cell.js';
import { inputShapes, instance, outputShape, type DType, type OpInstance, type Shape } from './ops.js';

export { NB201_NODES, NB201_OPS, nb201CellString, nb201EdgeSpec, nb201NodeInputs, parseNb201Cell, type Nb201Edge, type Nb201Op } from './nb201-cell.js';

/**
 * The LUT instances a cell applied to `inputs` is made of: every edge op (on its source node's shape),
 * then the combine ops: one `sum` per node adding more than one edge, one `concat` per node concatenating more
 * than one edge and one when the output concatenates more than one node. Zero nodes (no edges) cost nothing.
 */
export function cellInstances(cell: Cell, inputs: readonly Shape[], dtype: DType): OpInstance[] {
  const shapes: Shape[] = [...inputs];
  const edges: OpInstance[] = [];
  const combines: OpInstance[] = [];
  for (const node of cell.nodes) {
    const terms = node.edges.map((e) => {
      edges.push(instance(e.spec, shapes[e.from], dtype));
      return outputShape(e.spec, shapes[e.from]);
    });
    const s = cell.stride ?? 1;
    const [n, c, h, w] = shapes[0];
    const joined = node.combine === 'concat' && terms.length > 1;
    const shape = joined
      ? ([terms[0][0], terms.reduce((a, t) => a + t[1], 0), terms[0][2], terms[0][3]] as const)
      : (terms[0] ?? ([n, c, Math.ceil(h / s), Math.ceil(w / s)] as const));
    if (joined) combines.push(instance({ kind: 'concat', channels: terms.map((t) => t[1]) }, terms[0], dtype));
    else if (terms.length > 1) combines.push(instance({ kind: 'sum', arity: terms.length }, shape, dtype));
    shapes.push(shape);
  }
  const parts = cell.output === 'concat' ? concatNodes(cell).map((n) => shapes[n]) : [];
  if (parts.length > 1) {
    combines.push(instance({ kind: 'concat', channels: parts.map((s) => s[1]) }, parts[0], dtype));
  }
  return [...edges, ...combines];
}

/** The LUT instances a NAS-Bench-201 cell applied to `input` is made of: edge ops, then node sums. */
export function nb201CellInstances(cell: string, input: Shape, dtype: OpInstance['dtype']): OpInstance[] {
  return cellInstances(nb201Cell(cell, input), [input], dtype);
}

/** The LUT instances of one block instance: itself, or its cell's parts. */
export function blockInstances(inst: OpInstance): OpInstance[] {
  const cell = blockCell(inst.spec, inst.input);
  return cell ? cellInstances(cell, inputShapes(inst.spec, inst.input), inst.dtype) : [inst];
}

/** The instances whose LUT latencies sum to the architecture's latency, with the layer each belongs to. */
export function lutInstances(arch: Architecture): { layerIndex: number; inst: OpInstance }[] {
  return placeLayers(arch).flatMap(({ index, inst }) => blockInstances(inst).map((part) => ({ layerIndex: index, inst: part })));
}
