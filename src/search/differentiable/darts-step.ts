/**
 * DARTS's bilevel optimization (Liu et al., ICLR 2019, §2.3): min_α L_val(w*(α), α) s.t. w*(α) = argmin_w L_train(w, α),
 * the inner problem approximated by one step, w' = w − ξ ∇w L_train(w, α). The architecture gradient:
 *
 *   first order (ξ = 0)   ∇α L_val(w, α)
 *   second order          ∇α L_val(w', α) − ξ ∇²_{α,w} L_train(w, α) ∇w' L_val(w', α)
 *
 * with the Hessian-vector product by central finite differences, as in the paper (eq. 7–8):
 *   ∇²_{α,w} L_train(w, α) v ≈ (∇α L_train(w⁺, α) − ∇α L_train(w⁻, α)) / 2ε,   w± = w ± ε v,   ε = 0.01 / ‖v‖.
 *
 * ∇α of a loss comes from the mixed ops' dL/dgate (gate = softmax(α) per edge) through the softmax Jacobian.
 * The unrolled step is a plain gradient step (no momentum or weight decay: the paper's code adds the
 * optimizer's, a refinement left out here). Every pass uses batch statistics; the weights and the BatchNorm
 * running statistics are exactly as before when an architecture gradient is done.
 */
import * as tf from '@tensorflow/tfjs';
import { softmaxCrossEntropy } from '../../train/loss.js';
import type { Param } from '../../train/nn/module.js';
import { softmax, softmaxAlphaGrad } from './alpha.js';
import type { DartsSupernet } from './darts-supernet.js';

export interface DartsBatch {
  x: Float32Array;
  labels: Uint8Array;
  count: number;
}

export interface AlphaGradient {
  /** Cross-entropy on the validation batch (at w' in second order). */
  loss: number;
  /** ∂L_val/∂α, one row of 8 per edge (normal cell's 14, then the reduction cell's). */
  grad: number[][];
}

/** Forward and backward passes of the search network, and DARTS's architecture gradients. */
export class DartsPasses {
  private readonly trainable: Param[];

  constructor(readonly net: DartsSupernet) {
    this.trainable = net.params().filter((p) => p.trainable);
  }

  private input(b: DartsBatch): tf.Tensor4D {
    const [h, w, c] = this.net.imageShape;
    return tf.tensor4d(b.x, [b.count, h, w, c]);
  }

  /** Cross-entropy of a batch at gates softmax(α); its gradient accumulates into the weights' grads (and, with `record`, into ∂L/∂α, returned). */
  pass(alpha: readonly (readonly number[])[], b: DartsBatch, record: boolean): { loss: number; dAlpha?: number[][] } {
    const probs = alpha.map(softmax);
    this.net.setGates(probs, record);
    const logits = tf.tidy(() => this.net.forward(this.input(b), true).dataSync() as Float32Array);
    const r = softmaxCrossEntropy(logits, b.labels, this.net.classes);
    if (!Number.isFinite(r.loss)) {
      this.net.cancelStep();
      return { loss: r.loss };
    }
    tf.tidy(() => this.net.backward(tf.tensor2d(r.grad, [b.count, this.net.classes])));
    if (!record) return { loss: r.loss };
    const dGate = this.net.takeGateGrads();
    return { loss: r.loss, dAlpha: dGate.map((row, e) => softmaxAlphaGrad(probs[e], row)) };
  }

  /** Logits of a batch in inference mode (running statistics). */
  predict(alpha: readonly (readonly number[])[], x: tf.Tensor4D): Float32Array {
    this.net.setGates(alpha.map(softmax), false);
    return tf.tidy(() => this.net.forward(x, false).dataSync() as Float32Array);
  }

  clearGrads(): void {
    for (const p of this.trainable) p.clearGrad();
  }

  /** ξ = 0: ∇α L_val(w, α). */
  firstOrder(alpha: readonly (readonly number[])[], val: DartsBatch): AlphaGradient {
    return this.keepingWeights(() => {
      const r = this.pass(alpha, val, true);
      this.clearGrads();
      return { loss: r.loss, grad: r.dAlpha ?? [] };
    });
  }

  /** The unrolled gradient (second order), see the file comment. */
  secondOrder(alpha: readonly (readonly number[])[], train: DartsBatch, val: DartsBatch, xi: number): AlphaGradient {
    return this.keepingWeights((w0) => {
      // w' = w − ξ ∇w L_train(w, α)
      this.clearGrads();
      const t = this.pass(alpha, train, false);
      if (!Number.isFinite(t.loss)) return { loss: t.loss, grad: [] };
      this.setWeights(w0, (p, i) => tf.sub(w0[i], tf.mul(p.grad ?? tf.zerosLike(w0[i]), xi)));
      this.clearGrads();
      const v = this.pass(alpha, val, true);
      if (!Number.isFinite(v.loss)) return { loss: v.loss, grad: [] };
      const dw = this.trainable.map((p, i) => tf.keep(p.grad ? tf.clone(p.grad) : tf.zerosLike(w0[i])));
      this.clearGrads();
      try {
        const norm = Math.sqrt(tf.tidy(() => tf.addN(dw.map((g) => tf.sum(tf.square(g)))).dataSync()[0]));
        // A zero ∇w' L_val has a zero Hessian-vector product: the second-order term vanishes.
        if (!(norm > 0)) return { loss: v.loss, grad: v.dAlpha! };
        const eps = 0.01 / norm;
        const at = (sign: number) => {
          this.setWeights(w0, (_p, i) => tf.add(w0[i], tf.mul(dw[i], sign * eps)));
          const r = this.pass(alpha, train, true);
          this.clearGrads();
          return r.dAlpha;
        };
        const plus = at(1);
        const minus = at(-1);
        if (!plus || !minus) return { loss: NaN, grad: [] };
        const grad = v.dAlpha!.map((row, e) => row.map((g, o) => g - (xi * (plus[e][o] - minus[e][o])) / (2 * eps)));
        return { loss: v.loss, grad };
      } finally {
        dw.forEach((g) => g.dispose());
      }
    });
  }

  /** Runs `fn` and then puts every parameter (weights and BatchNorm statistics) back as it was; `w0`: the trainable weights before. */
  private keepingWeights<T>(fn: (w0: tf.Tensor[]) => T): T {
    const all = this.net.params();
    const before = all.map((p) => tf.clone(p.variable));
    const w0 = this.trainable.map((p) => before[all.indexOf(p)]);
    try {
      return fn(w0);
    } finally {
      all.forEach((p, i) => p.variable.assign(before[i]));
      before.forEach((t) => t.dispose());
      this.clearGrads();
    }
  }

  private setWeights(w0: tf.Tensor[], value: (p: Param, i: number) => tf.Tensor): void {
    tf.tidy(() => this.trainable.forEach((p, i) => p.variable.assign(value(p, i))));
  }
}
