/**
 * The over-parameterised network of a differentiable search: the supernet's candidate table
 * (src/train/supernet/candidates.ts: fixed stem and head, one module per option of every searchable
 * layer, or per head where a decision chooses the head) with each decision wrapped in a MixedOp. Forward and backward follow Network's
 * contract (NHWC images in, logits out, what the backward needs kept until the step ends).
 *
 * The derived architecture's network (for its accuracy) is a Network over the chosen candidates' own
 * modules, so the trainer's BatchNorm recalibration and evaluation apply as they are (withDerivedNetwork).
 */
import * as tf from '@tensorflow/tfjs';
import { dropStep, SavedTensors, type Module, type Param } from '../../train/nn/module.js';
import { Network } from '../../train/nn/network.js';
import type { CandidateTable } from '../../train/supernet/candidates.js';
import { MixedOp } from './mixed-op.js';

export class MixedSupernet {
  readonly mixed: MixedOp[];
  private readonly sequence: Module[];
  /** Index in `sequence` of the first mixed op: the backward of an architecture step stops there. */
  private readonly firstMixed: number;
  private readonly saved = new SavedTensors();

  constructor(readonly table: CandidateTable) {
    // One mixed op per decision (α's order); a head decision's mixed op (its options whole heads) runs last.
    this.mixed = table.layers.map((l) => new MixedOp(l.ops));
    const at = (where: 'block' | 'head') => this.mixed.filter((_, i) => table.layers[i].at === where);
    this.sequence = [...table.stem.map((s) => s.module), ...at('block'), ...table.head.map((h) => h.module), ...at('head')];
    this.firstMixed = table.stem.length;
  }

  get classes(): number {
    return this.table.classes;
  }

  /** One image, NHWC. */
  get imageShape(): [number, number, number] {
    const { height, width, channels } = this.table.image;
    return [height, width, channels];
  }

  /** Every parameter and BatchNorm statistic of every candidate (not the architecture logits). */
  params(): Param[] {
    return this.table.params();
  }

  /** Logits [n, classes]; `training` keeps what backward needs. */
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    const ctx = training ? this.saved : undefined;
    return tf.tidy(() => tf.reshape(this.sequence.reduce((h, m) => m.forward(h, ctx), x), [x.shape[0], this.classes]));
  }

  /**
   * Back-propagates dL/dlogits through the last training forward. `to: 'mixed'` stops at the first
   * mixed op (architecture steps need dL/dg, not the stem's gradients); `needInput` returns dL/dx.
   */
  backward(dLogits: tf.Tensor2D, opts: { to?: 'input' | 'mixed'; needInput?: boolean } = {}): tf.Tensor4D | null {
    const stop = opts.to === 'mixed' ? this.firstMixed : 0;
    let g = tf.reshape(dLogits, [dLogits.shape[0], 1, 1, this.classes]) as tf.Tensor4D;
    let out: tf.Tensor4D | null = null;
    for (let i = this.sequence.length - 1; i >= stop; i--) {
      const next = this.sequence[i].backward(g, i > stop || (opts.needInput ?? false));
      g.dispose();
      if (!next) break;
      g = next;
      if (i === stop) out = next;
    }
    this.saved.release();
    return out;
  }

  /** Drops a training forward and every gradient. */
  cancelStep(): void {
    dropStep(this.saved, this.params());
  }

  /**
   * Runs `fn` on the derived architecture as a Network over the supernet's own modules (with nested
   * weight sharing an option's weights are slices of a shared kernel, so there is nothing to copy one to
   * one); the path's BatchNorm statistics are put back afterwards, so recalibrating the derived network
   * leaves the supernet as it was.
   */
  withDerivedNetwork<T>(choices: readonly number[], fn: (net: Network) => T): T {
    const path = this.table.path(choices);
    const stats = [...new Set(path.modules.flatMap((m) => m.params()))].filter((p) => !p.trainable);
    const saved = stats.map((p) => tf.clone(p.variable));
    const net = new Network(path.arch, { modules: path.modules });
    try {
      return fn(net);
    } finally {
      net.dispose();
      stats.forEach((p, i) => p.variable.assign(saved[i]));
      saved.forEach((t) => t.dispose());
    }
  }

  dispose(): void {
    this.saved.release();
    this.table.dispose();
  }
}
