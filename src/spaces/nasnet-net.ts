/**
 * The NASNet CIFAR network around two cells (Zoph et al., CVPR 2018; TF slim nets/nasnet/nasnet.py
 * build_nasnet_cifar, without the auxiliary head and drop-path): a 3×3 conv stem to 3F + BN, then N normal
 * cells, a reduction cell (filters doubled), N normal cells, a reduction cell (doubled again), N normal cells,
 * global average pooling and a linear classifier.
 *
 * Cell k reads the outputs of the two cells before it (the stem's for the first ones): h_{i-1} goes through
 * FactorizedReduce when it has twice the resolution (the cell before was a reduction), else ReLU-conv-BN 1×1;
 * h_i through ReLU-conv-BN 1×1; both to the cell's filters (slim's _cell_base). Each is its own layer of the
 * DAG (`cell<k>_pre0`, `cell<k>_pre1`), the cell the two-input layer `cell<k>` (block `nasnetcell`).
 */
import type { Architecture, Layer } from '../core/arch.js';
import { UserError } from '../core/errors.js';

export interface NasnetGenotype {
  normal: string;
  reduce: string;
}

export interface NasnetNetOptions {
  name: string;
  resolution: number;
  classes: number;
  /** N, normal cells per stage (NASNet CIFAR: 6). */
  normalCells: number;
  /** F, the filters of the first stage's cells (NASNet CIFAR: 32). */
  filters: number;
}

export function nasnetNetwork(genotype: NasnetGenotype, o: NasnetNetOptions): Architecture {
  if (!Number.isInteger(o.normalCells) || o.normalCells < 1) throw new UserError(`NASNet network: N (normal cells per stage) must be a positive integer, got ${o.normalCells}`);
  if (!Number.isInteger(o.filters) || o.filters < 2 || o.filters % 2 !== 0) throw new UserError(`NASNet network: F must be an even integer ≥ 2, got ${o.filters}`);
  const layers: Layer[] = [{ role: 'stem', id: 'stem', spec: { kind: 'conv', cout: 3 * o.filters, k: 3, stride: 1, groups: 1, dilation: 1, act: 'none' } }];
  // s0, s1: the ids of h_{i-1} and h_i; prevReduced: h_{i-1} has twice h_i's resolution.
  let [s0, s1, prevReduced] = ['stem', 'stem', false];
  let c = o.filters;
  const kinds = [0, 1, 2].flatMap((stage) => [...(stage > 0 ? [true] : []), ...Array<boolean>(o.normalCells).fill(false)]);
  kinds.forEach((reduce, k) => {
    if (reduce) c *= 2;
    const id = `cell${k}`;
    layers.push(
      { role: 'block', id: `${id}_pre0`, inputs: [s0], spec: prevReduced ? { kind: 'factreduce', cout: c } : { kind: 'reluconv', cout: c, k: 1, stride: 1 } },
      { role: 'block', id: `${id}_pre1`, inputs: [s1], spec: { kind: 'reluconv', cout: c, k: 1, stride: 1 } },
      { role: 'block', id, inputs: [`${id}_pre0`, `${id}_pre1`], spec: { kind: 'nasnetcell', cell: reduce ? genotype.reduce : genotype.normal, reduce } },
    );
    [s0, s1, prevReduced] = [s1, id, reduce];
  });
  layers.push({ role: 'head', spec: { kind: 'gpool', mode: 'avg' } }, { role: 'head', spec: { kind: 'linear', cout: o.classes, act: 'none' } });
  return { name: o.name, input: [1, 3, o.resolution, o.resolution], dtype: 'f32', layers };
}
