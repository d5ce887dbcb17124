/**
 * A mixed operation: the candidates of one searchable layer combined by gates,
 *
 *   y = Σ_i g_i f_i(x)
 *
 * with an explicit forward and backward in the training engine's contract (src/train/nn/module.ts).
 * FBNet sets every gate to its Gumbel-softmax weight m_i; ProxylessNAS sets one gate to 1 (binary gates:
 * only that path runs) and, in its architecture step, also *probes* a second path: it runs forward with
 * gate 0, so it adds nothing to y, but its output gives dL/dg for that path.
 *
 * Backward, given dL/dy:
 *   dL/dg_i = <dL/dy, f_i(x)>            (recorded when asked, for every run or probed path)
 *   dL/dx   = Σ_{g_i ≠ 0} f_i'(x)^T (g_i dL/dy)
 * and each candidate's parameter gradients, from its own backward with dy scaled by g_i.
 */
import * as tf from '@tensorflow/tfjs';
import { tidyGrad, type Module, type Param, type TrainContext } from '../../train/nn/module.js';

export interface GateSettings {
  /** Options that run forward with gate 0, for their dL/dg only (ProxylessNAS's second path). */
  probes?: readonly number[];
  /** Record dL/dg of the run and probed paths in the next backward (architecture steps). */
  gateGrads?: boolean;
}

/** A training context that keeps nothing (probes). */
const DISCARD: TrainContext = { save: (t) => t };

export class MixedOp implements Module {
  private gates: number[];
  private probes: number[] = [];
  private recording = false;
  /** Outputs f_i(x) of the last training forward, by option, while gate gradients are recorded. */
  private outputs = new Map<number, tf.Tensor4D>();
  /** dL/dg_i of the last backward, by option (kept scalars until read). */
  private grads = new Map<number, tf.Scalar>();

  constructor(readonly ops: readonly Module[]) {
    this.gates = ops.map((_, i) => (i === 0 ? 1 : 0));
  }

  /** Gates of the next forward passes, one per option; options with gate 0 do not run (unless probed). */
  configure(gates: readonly number[], settings: GateSettings = {}): void {
    if (gates.length !== this.ops.length) throw new Error(`mixed op: ${gates.length} gates for ${this.ops.length} options`);
    if (!gates.some((g) => g !== 0)) throw new Error('mixed op: at least one gate must be non-zero');
    this.gates = [...gates];
    this.probes = [...(settings.probes ?? [])].filter((p) => gates[p] === 0);
    this.recording = settings.gateGrads ?? false;
  }

  private get active(): number[] {
    return this.gates.flatMap((g, i) => (g !== 0 ? [i] : []));
  }

  forward(x: tf.Tensor4D, ctx?: TrainContext): tf.Tensor4D {
    const record = ctx !== undefined && this.recording;
    this.outputs.clear();
    return tf.tidy(() => {
      let y: tf.Tensor4D | undefined;
      for (const i of this.active) {
        const yi = this.ops[i].forward(x, ctx);
        if (record) this.outputs.set(i, ctx!.save(yi));
        const term = this.gates[i] === 1 ? yi : (tf.mul(yi, this.gates[i]) as tf.Tensor4D);
        y = y ? (tf.add(y, term) as tf.Tensor4D) : term;
      }
      if (record) {
        for (const p of this.probes) {
          // A probe needs no backward: it runs in training mode (batch statistics) with a context that
          // keeps nothing, so what it would keep dies with this tidy (it must not free the shared input x).
          this.outputs.set(p, ctx!.save(this.ops[p].forward(x, DISCARD)));
        }
      }
      return y!;
    });
  }

  backward(dy: tf.Tensor4D, needInput: boolean): tf.Tensor4D | null {
    if (this.recording) {
      for (const g of this.grads.values()) g.dispose();
      this.grads.clear();
      tf.tidy(() => {
        for (const [i, yi] of this.outputs) this.grads.set(i, tf.keep(tf.sum(tf.mul(tf.reshape(dy, [-1]), tf.reshape(yi, [-1])))));
      });
      this.outputs.clear();
    }
    return tidyGrad(() => {
      let dx: tf.Tensor4D | null = null;
      for (const i of this.active) {
        const g = this.gates[i];
        const d = this.ops[i].backward(g === 1 ? dy : (tf.mul(dy, g) as tf.Tensor4D), needInput);
        if (d) dx = dx ? (tf.add(dx, d) as tf.Tensor4D) : d;
      }
      return dx;
    });
  }

  /** dL/dg of the last recorded backward, by option (run and probed paths only); frees them. */
  takeGateGrads(): Map<number, number> {
    const out = new Map<number, number>();
    for (const [i, g] of this.grads) {
      out.set(i, g.dataSync()[0]);
      g.dispose();
    }
    this.grads.clear();
    return out;
  }

  params(): Param[] {
    return this.ops.flatMap((m) => m.params());
  }
}
