/**
 * The NASNet CIFAR network around two cells (Zoph et al., CVPR 2018; TF slim nets/nasnet/nasnet.py
 * build_nasnet_cifar, without the auxiliary head and drop-path): a 3×3 conv stem to 3F + BN, then N normal
 * cells, a reduction cell (filters doubled), N normal cells, a reduction cell (doubled again), N normal cells,
 * global average pooling and a linear classifier.
 *
 * Cell k reads the outputs of the two cells before it (the stem's for the first ones) as slim's _cell_base and
 * _reduce_prev_layer do: h_i through ReLU-conv-BN 1×1 to the cell's filters; h_{i-1} through FactorizedReduce
 * when it has twice the resolution (the cell before was a reduction), through ReLU-conv-BN 1×1 when it has
 * another width, and as it is when it has the cell's filters already (a cell before that concatenated one
 * state). The first cell has no h_{i-1} (slim's prev_layer is None): it reads the stem itself, 3F channels,
 * unchanged, and its ops on it map the 3F channels to F (the cell's `filters`, as in the ImageNet stem cell
 * below). Each preprocessing is its own layer of the DAG (`cell<k>_pre0`, `cell<k>_pre1`), the cell the
 * two-input layer `cell<k>` (block `nasnetcell`).
 *
 * The ImageNet network (build_nasnet_mobile / _imagenet_stem) starts instead with a 3×3 stride-2 conv of 32
 * filters without padding ("VALID": 224 → 111) + BN, then two reduction cells as "stem cells" at F/4 and F/2
 * filters. The first reads the stem conv as h_{i-1} unchanged (slim's prev_layer is None: its ops map the 32
 * channels to F/4 themselves, the cell's `filters`), the second reads it through FactorizedReduce (111 is
 * odd: slim's zero row, factreduce.ts). The cells then follow as above, h_{i-1} the stem cells' outputs.
 *
 * A cell outputs its concatenated states at the last block's width each (nasnetOutputWidth): F per state, 2F when
 * that block concatenates; the next cells' 1×1 convs and FactorizedReduce take whatever width it has.
 */
import type { Architecture, Layer } from '../core/arch.js';
import { UserError } from '../core/errors.js';
import type { CellGenotype } from './cell-space.js';
import type { OpSpec } from '../core/ops.js';
import { nasnetOutputWidth } from '../core/nasnet-cell.js';

/** The normal and the reduction cell string. */
export type NasnetGenotype = CellGenotype;

export interface NasnetNetOptions {
  name: string;
  resolution: number;
  classes: number;
  /** N, normal cells per stage (NASNet CIFAR: 6). */
  normalCells: number;
  /** F, the filters of the first stage's cells (NASNet CIFAR: 32, NASNet-A-Mobile: 44). */
  filters: number;
  /** `cifar` (default): a 3×3 conv to 3F + BN; `imagenet`: the 32-filter stride-2 conv and two stem cells. */
  stem?: 'cifar' | 'imagenet';
}

/** A layer applying ReLU-conv 1×1-BN (slim's _cell_base for h_i, and for h_{i-1} of another width). */
const reluConv1 = (cout: number): OpSpec => ({ kind: 'reluconv', cout, k: 1, stride: 1 });

export function nasnetNetwork(genotype: NasnetGenotype, o: NasnetNetOptions): Architecture {
  if (!Number.isInteger(o.normalCells) || o.normalCells < 1) throw new UserError(`NASNet network: N (normal cells per stage) must be a positive integer, got ${o.normalCells}`);
  if (!Number.isInteger(o.filters) || o.filters < 2 || o.filters % 2 !== 0) throw new UserError(`NASNet network: F must be an even integer ≥ 2, got ${o.filters}`);
  const layers: Layer[] = [];
  // s0, s1: the ids of h_{i-1} and h_i; prevReduced: h_{i-1} has twice h_i's resolution; w0, w1: their channels.
  let [s0, s1, prevReduced] = ['stem', 'stem', false];
  let [w0, w1] = [3 * o.filters, 3 * o.filters];
  if (o.stem === 'imagenet') {
    if (o.filters % 4 !== 0) throw new UserError(`NASNet ImageNet network: F must be a multiple of 4 (stem cells at F/4 and F/2), got ${o.filters}`);
    const [f4, f2] = [o.filters / 4, o.filters / 2];
    layers.push(
      { role: 'stem', id: 'stem', spec: { kind: 'conv', cout: 32, k: 3, stride: 2, groups: 1, dilation: 1, act: 'none', pad: 0 } },
      { role: 'stem', id: 'stem_cell0_pre1', inputs: ['stem'], spec: reluConv1(f4) },
      { role: 'stem', id: 'stem_cell0', inputs: ['stem', 'stem_cell0_pre1'], spec: { kind: 'nasnetcell', cell: genotype.reduce, reduce: true, filters: f4 } },
      { role: 'stem', id: 'stem_cell1_pre0', inputs: ['stem'], spec: { kind: 'factreduce', cout: f2 } },
      { role: 'stem', id: 'stem_cell1_pre1', inputs: ['stem_cell0'], spec: reluConv1(f2) },
      { role: 'stem', id: 'stem_cell1', inputs: ['stem_cell1_pre0', 'stem_cell1_pre1'], spec: { kind: 'nasnetcell', cell: genotype.reduce, reduce: true } },
    );
    [s0, s1, prevReduced] = ['stem_cell0', 'stem_cell1', true];
    [w0, w1] = [nasnetOutputWidth(genotype.reduce, f4), nasnetOutputWidth(genotype.reduce, f2)];
  } else layers.push({ role: 'stem', id: 'stem', spec: { kind: 'conv', cout: 3 * o.filters, k: 3, stride: 1, groups: 1, dilation: 1, act: 'none' } });
  let c = o.filters;
  const kinds = [0, 1, 2].flatMap((stage) => [...(stage > 0 ? [true] : []), ...Array<boolean>(o.normalCells).fill(false)]);
  kinds.forEach((reduce, k) => {
    if (reduce) c *= 2;
    const id = `cell${k}`;
    const cell = reduce ? genotype.reduce : genotype.normal;
    // The CIFAR network's first cell: h_{i-1} is the stem, unchanged; its ops map it to c.
    const raw = (k === 0 && o.stem !== 'imagenet') || (!prevReduced && w0 === c);
    const pre0 = raw ? s0 : `${id}_pre0`;
    if (!raw) layers.push({ role: 'block', id: pre0, inputs: [s0], spec: prevReduced ? { kind: 'factreduce', cout: c } : reluConv1(c) });
    layers.push(
      { role: 'block', id: `${id}_pre1`, inputs: [s1], spec: reluConv1(c) },
      { role: 'block', id, inputs: [pre0, `${id}_pre1`], spec: { kind: 'nasnetcell', cell, reduce, ...(raw && w0 !== c ? { filters: c } : {}) } },
    );
    [s0, s1, prevReduced, w0, w1] = [s1, id, reduce, w1, nasnetOutputWidth(cell, c)];
  });
  layers.push({ role: 'head', spec: { kind: 'gpool', mode: 'avg' } }, { role: 'head', spec: { kind: 'linear', cout: o.classes, act: 'none' } });
  return { name: o.name, input: [1, 3, o.resolution, o.resolution], dtype: 'f32', layers };
}
