/**
 * The DARTS network around two cells (Liu et al., ICLR 2019; quark0/darts cnn/model.py NetworkCIFAR and
 * NetworkImageNet, without the auxiliary head): a stem, `cells` cells with reduction cells at 1/3 and 2/3 of
 * the depth (channels doubled there), global average pooling and a linear classifier.
 *
 * Cell k reads the outputs of the two cells before it (the stem's for the first ones): c_{k-2} goes through
 * FactorizedReduce when the cell before was a reduction (so it has twice the resolution), else ReLU-conv-BN
 * 1×1; c_{k-1} through ReLU-conv-BN 1×1; both to C channels. Each is its own layer of the DAG
 * (`cell<k>_pre0`, `cell<k>_pre1`), the cell the two-input layer `cell<k>` (block `dartscell`).
 */
import type { Architecture, Layer } from '../core/arch.js';
import { UserError } from '../core/errors.js';
import type { CellGenotype } from './cell-space.js';
import type { OpSpec } from '../core/ops.js';

/** The normal and the reduction cell string. */
export type DartsGenotype = CellGenotype;

export interface DartsNetOptions {
  name: string;
  resolution: number;
  classes: number;
  /** Number of cells (DARTS: 20 on CIFAR-10, 14 on ImageNet). */
  cells: number;
  /** C, the channels of each node in the first cells (DARTS: 36 on CIFAR-10, 48 on ImageNet). */
  channels: number;
  /** `cifar`: one 3×3 conv to 3C + BN; `imagenet`: DARTS's two stride-2 stems (stem0: two 3×3 stride-2 convs to C/2 and C; stem1: ReLU, 3×3 stride-2 conv, BN), total stride 8. */
  stem: 'cifar' | 'imagenet';
}

const conv3 = (cout: number, stride: number, act: 'relu' | 'none'): OpSpec => ({ kind: 'conv', cout, k: 3, stride, groups: 1, dilation: 1, act });

/** Indices of the reduction cells: ⌊n/3⌋ and ⌊2n/3⌋, as in DARTS. */
export function dartsReductions(cells: number): number[] {
  return [Math.floor(cells / 3), Math.floor((2 * cells) / 3)];
}

export function dartsNetwork(genotype: DartsGenotype, o: DartsNetOptions): Architecture {
  if (!Number.isInteger(o.cells) || o.cells < 3) throw new UserError(`DARTS network: needs at least 3 cells (two of them reductions), got ${o.cells}`);
  if (!Number.isInteger(o.channels) || o.channels < 2 || o.channels % 2 !== 0) throw new UserError(`DARTS network: C must be an even integer ≥ 2, got ${o.channels}`);
  const C = o.channels;
  const layers: Layer[] = [];
  // s0, s1: the ids of c_{k-2} and c_{k-1}; prevReduced: c_{k-2} has twice c_{k-1}'s resolution.
  let s0: string;
  let s1: string;
  let prevReduced: boolean;
  if (o.stem === 'cifar') {
    layers.push({ role: 'stem', id: 'stem', spec: conv3(3 * C, 1, 'none') });
    [s0, s1, prevReduced] = ['stem', 'stem', false];
  } else {
    layers.push({ role: 'stem', id: 'stem0a', spec: conv3(C / 2, 2, 'relu') }, { role: 'stem', id: 'stem0', spec: conv3(C, 2, 'none') });
    layers.push({ role: 'stem', id: 'stem1', inputs: ['stem0'], spec: { kind: 'reluconv', cout: C, k: 3, stride: 2 } });
    [s0, s1, prevReduced] = ['stem0', 'stem1', true];
  }
  const reductions = dartsReductions(o.cells);
  let c = C;
  for (let k = 0; k < o.cells; k++) {
    const reduce = reductions.includes(k);
    if (reduce) c *= 2;
    const id = `cell${k}`;
    const pre0: OpSpec = prevReduced ? { kind: 'factreduce', cout: c } : { kind: 'reluconv', cout: c, k: 1, stride: 1 };
    layers.push(
      { role: 'block', id: `${id}_pre0`, inputs: [s0], spec: pre0 },
      { role: 'block', id: `${id}_pre1`, inputs: [s1], spec: { kind: 'reluconv', cout: c, k: 1, stride: 1 } },
      { role: 'block', id, inputs: [`${id}_pre0`, `${id}_pre1`], spec: { kind: 'dartscell', cell: reduce ? genotype.reduce : genotype.normal, reduce } },
    );
    [s0, s1, prevReduced] = [s1, id, reduce];
  }
  layers.push({ role: 'head', spec: { kind: 'gpool', mode: 'avg' } }, { role: 'head', spec: { kind: 'linear', cout: o.classes, act: 'none' } });
  return { name: o.name, input: [1, 3, o.resolution, o.resolution], dtype: 'f32', layers };
}
