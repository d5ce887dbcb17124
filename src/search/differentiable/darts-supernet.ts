/**
 * DARTS's search network (Liu et al., ICLR 2019, cnn/model_search.py): the `darts` space's network
 * (src/spaces/darts-net.ts: stem, cells with reductions at 1/3 and 2/3, each cell's two preprocessing
 * layers, global pool, linear) with every cell *relaxed*: each of its 14 edges (node j = 2..5 reads every
 * earlier node i < j) is a MixedOp (mixed-op.ts) over DARTS's 8 ops, gated by softmax(α) of its cell type:
 *
 *   x_j = Σ_{i<j} Σ_o softmax(α_{(i,j)})_o · o(x_i)          (the paper's eq. 2)
 *
 * All normal cells share one α, all reduction cells another (28 edges × 8 ops in all). The preprocessing
 * layers, stem, head and every edge op are the training engine's modules built from the same lowerings as
 * the exported network (buildLayer), so what is searched is what `nas export` writes; `none` is the Zero
 * module. Forward and backward follow Network's contract (NHWC images in, logits out, what the backward
 * needs kept until the step ends); the MixedOps record dL/dgate when asked, which is dL/dsoftmax(α).
 */
import * as tf from '@tensorflow/tfjs';
import { placeLayers } from '../../core/arch.js';
import { DARTS_INPUTS, DARTS_OPS, DARTS_STEPS, dartsEdgeSpec } from '../../core/darts-cell.js';
import type { Shape } from '../../core/ops.js';
import { dartsNetwork, dartsReductions } from '../../spaces/darts-net.js';
import { buildLayer } from '../../train/nn/graph-module.js';
import { disposeParams, dropStep, SavedTensors, type Module, type Param, type TrainContext } from '../../train/nn/module.js';
import { Zero } from '../../train/nn/pool.js';
import { MixedOp } from './mixed-op.js';

type T4 = tf.Tensor4D;

/** The 14 edges of a cell, node by node (node 2's two, node 3's three, …): the row order of α. */
export const DARTS_EDGES: readonly { to: number; from: number }[] = Array.from({ length: DARTS_STEPS }, (_, s) => DARTS_INPUTS + s).flatMap((to) =>
  Array.from({ length: to }, (_, from) => ({ to, from })),
);
export const CELL_TYPES = ['normal', 'reduce'] as const;

/** Row names of α and the latency table: `normal.edge2_0`, …, `reduce.edge5_4` (normal cell first). */
export function dartsEdgeNames(): string[] {
  return CELL_TYPES.flatMap((t) => DARTS_EDGES.map((e) => `${t}.edge${e.to}_${e.from}`));
}

export interface DartsSupernetOptions {
  /** Cells of the search network (DARTS: 8). */
  cells: number;
  /** C, the node channels of the first cells (DARTS: 16). */
  channels: number;
  /** One image, NHWC; height and width multiples of 4 (two reductions). */
  image: [number, number, number];
  classes: number;
  seed: number;
}

/** One relaxed cell: its two preprocessing layers and 14 mixed edges. */
class MixedCell {
  constructor(
    readonly reduce: boolean,
    readonly pre0: Module,
    readonly pre1: Module,
    readonly edges: MixedOp[],
  ) {}

  forward(s0: T4, s1: T4, ctx?: TrainContext): T4 {
    return tf.tidy(() => {
      const states: T4[] = [this.pre0.forward(s0, ctx), this.pre1.forward(s1, ctx)];
      for (let j = DARTS_INPUTS; j < DARTS_INPUTS + DARTS_STEPS; j++) {
        const terms = DARTS_EDGES.flatMap((e, k) => (e.to === j ? [this.edges[k].forward(states[e.from], ctx)] : []));
        states.push(tf.addN(terms) as T4);
      }
      return tf.concat(states.slice(DARTS_INPUTS), 3) as T4;
    });
  }

  /** dL/ds0, dL/ds1 from dL/dout. Edges run backward from the last node's, so a node's gradient is complete before its own edges use it. */
  backward(dy: T4): [T4, T4] {
    return tf.tidy(() => {
      const d: (T4 | undefined)[] = [undefined, undefined, ...(tf.split(dy, DARTS_STEPS, 3) as T4[])];
      for (let k = DARTS_EDGES.length - 1; k >= 0; k--) {
        const { to, from } = DARTS_EDGES[k];
        const g = this.edges[k].backward(d[to]!, true)!;
        d[from] = d[from] ? (tf.add(d[from]!, g) as T4) : g;
      }
      return [this.pre0.backward(d[0]!, true)!, this.pre1.backward(d[1]!, true)!] as [T4, T4];
    });
  }

  params(): Param[] {
    return [this.pre0, this.pre1, ...this.edges].flatMap((m) => m.params());
  }
}

export class DartsSupernet {
  readonly cells: MixedCell[];
  readonly classes: number;
  readonly imageShape: [number, number, number];
  private readonly stem: Module;
  private readonly head: Module[];
  private readonly saved = new SavedTensors();
  private readonly all: Param[];

  constructor(o: DartsSupernetOptions) {
    const [h, w, c] = o.image;
    this.imageShape = [h, w, c];
    this.classes = o.classes;
    // Only the layers' specs and shapes are read from the network; its cells' genotype does not matter.
    const anyCell = '|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|';
    const arch = dartsNetwork({ normal: anyCell, reduce: anyCell }, { name: 'darts-search', resolution: h, classes: o.classes, cells: o.cells, channels: o.channels, stem: 'cifar' });
    arch.input = [1, c, h, w];
    const placed = placeLayers(arch);
    const byId = new Map(placed.map((p) => [p.layer.id ?? `head${p.index}`, p]));
    const layer = (id: string) => {
      const p = byId.get(id)!;
      return buildLayer(p.layer.spec, p.inst.input, id, o.seed);
    };
    this.stem = layer('stem');
    const reductions = dartsReductions(o.cells);
    this.cells = Array.from({ length: o.cells }, (_, k) => {
      const id = `cell${k}`;
      const reduce = reductions.includes(k);
      const input = byId.get(id)!.inst.input;
      const channels = input[1];
      const reduced: Shape = reduce ? [input[0], channels, input[2] / 2, input[3] / 2] : input;
      const edges = DARTS_EDGES.map(({ to, from }) => {
        const stride = reduce && from < DARTS_INPUTS ? 2 : 1;
        const shape = from < DARTS_INPUTS ? input : reduced;
        const ops = DARTS_OPS.map((op) => {
          const spec = dartsEdgeSpec(op, channels, stride);
          return spec ? buildLayer(spec, shape, `${id}.edge${to}_${from}.${op}`, o.seed) : new Zero(stride);
        });
        return new MixedOp(ops);
      });
      return new MixedCell(reduce, layer(`${id}_pre0`), layer(`${id}_pre1`), edges);
    });
    this.head = placed.filter((p) => p.layer.role === 'head').map((p) => layer(`head${p.index}`));
    this.all = [this.stem, ...this.cells, ...this.head].flatMap((m) => m.params());
  }

  /** Every parameter and BatchNorm statistic (not α). */
  params(): Param[] {
    return this.all;
  }

  /** Gates of the next passes: softmax(α) rows of the normal cell (14 × 8), then the reduction cell's. `record`: keep dL/dgate. */
  setGates(rows: readonly (readonly number[])[], record: boolean): void {
    const n = DARTS_EDGES.length;
    for (const cell of this.cells) cell.edges.forEach((op, k) => op.configure(rows[(cell.reduce ? n : 0) + k], { gateGrads: record }));
  }

  /** dL/dgate of the last recorded backward, summed over the cells of each type: 28 rows × 8 ops. */
  takeGateGrads(): number[][] {
    const n = DARTS_EDGES.length;
    const out = Array.from({ length: 2 * n }, () => new Array<number>(DARTS_OPS.length).fill(0));
    for (const cell of this.cells)
      cell.edges.forEach((op, k) => {
        for (const [o, g] of op.takeGateGrads()) out[(cell.reduce ? n : 0) + k][o] += g;
      });
    return out;
  }

  /** Logits [n, classes]; `training` keeps what backward needs (and uses batch statistics). */
  forward(x: T4, training: boolean): tf.Tensor2D {
    const ctx = training ? this.saved : undefined;
    return tf.tidy(() => {
      const stem = this.stem.forward(x, ctx);
      let [s0, s1] = [stem, stem];
      for (const cell of this.cells) [s0, s1] = [s1, cell.forward(s0, s1, ctx)];
      const out = this.head.reduce((y, m) => m.forward(y, ctx), s1);
      return tf.reshape(out, [x.shape[0], this.classes]);
    });
  }

  /** Back-propagates dL/dlogits through the last training forward into every parameter's gradient (and the recorded gate gradients). */
  backward(dLogits: tf.Tensor2D): void {
    tf.tidy(() => {
      let g = tf.reshape(dLogits, [dLogits.shape[0], 1, 1, this.classes]) as T4;
      for (let i = this.head.length - 1; i >= 0; i--) g = this.head[i].backward(g, true)!;
      // d[k + 1]: dL/d(output of cell k); d[0]: dL/d(stem). Cell k reads cells k-2 and k-1 (the stem for the first two).
      const d: (T4 | undefined)[] = new Array(this.cells.length + 1).fill(undefined);
      d[this.cells.length] = g;
      const add = (i: number, t: T4) => (d[i] = d[i] ? (tf.add(d[i]!, t) as T4) : t);
      for (let k = this.cells.length - 1; k >= 0; k--) {
        const [d0, d1] = this.cells[k].backward(d[k + 1]!);
        add(Math.max(0, k - 1), d0);
        add(k, d1);
      }
      this.stem.backward(d[0]!, false);
    });
    this.saved.release();
  }

  /** Drops a training forward and every gradient. */
  cancelStep(): void {
    dropStep(this.saved, this.all);
  }

  dispose(): void {
    disposeParams(this.saved, this.all, true);
  }
}
