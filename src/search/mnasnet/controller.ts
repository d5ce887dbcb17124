/**
 * The MnasNet / NASNet-style RNN controller over any space's decisions: one LSTM cell shared by every
 * step, a softmax head per decision, and as each step's input the embedding of the token chosen at the
 * previous step (a learned start token first). Sampling is autoregressive, token by token.
 *
 * Parameters live in float64 JS arrays (see adam.ts); each forward pass copies them into float32 tfjs
 * tensors, and tf.grads gives the policy-gradient objective's gradients w.r.t. those copies. Runs on
 * whatever tfjs backend is active; the search selects cpu (the model is tiny, per-step overhead matters
 * more than FLOPs).
 */
import * as tf from '@tensorflow/tfjs';
import type { Decision } from '../../core/space.js';
import type { Rng } from '../../core/rng.js';

export interface ControllerOptions {
  /** LSTM hidden size. Default 32. */
  hidden?: number;
}

/** Which objective one update minimises. */
export type PolicyObjective =
  | { kind: 'reinforce'; entropyWeight: number }
  | { kind: 'ppo'; entropyWeight: number; clip: number; oldLogProbs: readonly number[] };

export interface Samples {
  /** tokens[b][i]: option index of decision i in sample b. */
  tokens: number[][];
  /** Σ_i log π(token_i | earlier tokens) per sample, under the parameters that sampled them. */
  logProbs: number[];
}

export class Controller {
  readonly hidden: number;
  /**
   * Parameter arrays, checkpointed in this order: the LSTM's recurrent kernel [H, 4H] and bias [4H], then
   * per decision i its input table [rows, 4H] (rows: 1 for the start token at i = 0, else the previous
   * decision's option count), head kernel [H, K_i] and head bias [K_i]. The input table is the token
   * embedding already multiplied by the LSTM's input kernel (one linear map instead of two). Per-decision
   * tensors, rather than slices of shared ones, keep backprop linear in the number of decisions: the
   * gradient of a slice or a gather is as large as the tensor it reads from.
   */
  readonly params: Float64Array[];
  private readonly shapes: number[][];
  private readonly sizes: number[];

  constructor(decisions: readonly Decision[], opts: ControllerOptions, rng: Rng) {
    this.hidden = opts.hidden ?? 32;
    const h = this.hidden;
    this.sizes = decisions.map((d) => d.options.length);
    this.shapes = [[h, 4 * h], [4 * h]];
    this.sizes.forEach((k, i) => this.shapes.push([i === 0 ? 1 : this.sizes[i - 1], 4 * h], [h, k], [k]));
    // Uniform ±0.1 as in NAS/ENAS controllers (biases 0); small head weights make the first policy near uniform.
    this.params = this.shapes.map((shape) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const isBias = shape.length === 1;
      return isBias ? new Float64Array(n) : Float64Array.from(rng.fill(n, 0.1));
    });
  }

  get paramSizes(): number[] {
    return this.params.map((p) => p.length);
  }

  private tensors(): tf.Tensor[] {
    return this.params.map((p, i) => tf.tensor(Float32Array.from(p), this.shapes[i]));
  }

  /**
   * Unrolls the controller for `batch` sequences; `pick(step, logProbs)` returns each row's token for that
   * step. Returns the per-sequence log-probability [batch] and the mean over the batch of Σ_i entropy_i.
   */
  private unroll(p: tf.Tensor[], batch: number, pick: (step: number, logProbs: tf.Tensor2D) => Int32Array): { logProb: tf.Tensor1D; entropy: tf.Scalar } {
    const [recurrent, bias] = p;
    let state = tf.zeros([batch, this.hidden]);
    let cell = tf.zeros([batch, this.hidden]);
    let previous: Int32Array = new Int32Array(batch); // the start token, then each row's previous choice
    const steps: tf.Tensor[] = [];
    // chosen[b, offset_i + token] = 1: picks every step's log-probability out of one concatenated matrix.
    const total = this.sizes.reduce((a, b) => a + b, 0);
    const chosen = new Float32Array(batch * total);
    let offset = 0;
    this.sizes.forEach((k, i) => {
      const [input, headKernel, headBias] = p.slice(2 + 3 * i, 5 + 3 * i);
      const gates = tf.add(tf.add(tf.gather(input, tf.tensor1d(previous, 'int32')), tf.matMul(state, recurrent)), bias);
      const [gi, gf, gg, go] = tf.split(gates, 4, 1);
      cell = tf.add(tf.mul(tf.sigmoid(gf), cell), tf.mul(tf.sigmoid(gi), tf.tanh(gg)));
      state = tf.mul(tf.sigmoid(go), tf.tanh(cell));
      const logp = tf.logSoftmax(tf.add(tf.matMul(state, headKernel), headBias)) as tf.Tensor2D;
      steps.push(logp);
      previous = pick(i, logp);
      previous.forEach((t, b) => (chosen[b * total + offset + t] = 1));
      offset += k;
    });
    // Per-step bookkeeping is done once on the concatenated log-probabilities: fewer, larger ops.
    const all = tf.concat(steps, 1);
    const logProb = tf.sum(tf.mul(all, tf.tensor2d(chosen, [batch, total])), 1) as tf.Tensor1D;
    const entropy = tf.div(tf.neg(tf.sum(tf.mul(tf.exp(all), all))), batch) as tf.Scalar;
    return { logProb, entropy };
  }

  /** Samples `batch` sequences; `rng` draws every token, so the same rng state gives the same samples. */
  sample(batch: number, rng: Rng): Samples {
    const tokens: number[][] = Array.from({ length: batch }, () => []);
    const logProbs = tf.tidy(() => {
      const p = this.tensors();
      const { logProb } = this.unroll(p, batch, (step, logp) => {
        const k = logp.shape[1];
        const probs = tf.exp(logp).dataSync();
        const chosen = new Int32Array(batch);
        for (let b = 0; b < batch; b++) {
          const u = rng.next();
          let acc = 0;
          let t = k - 1; // rounding can leave Σp a hair below u: fall back to the last option
          for (let o = 0; o < k; o++) {
            acc += probs[b * k + o];
            if (u < acc) {
              t = o;
              break;
            }
          }
          chosen[b] = t;
          tokens[b][step] = t;
        }
        return chosen;
      });
      return Array.from(logProb.dataSync());
    });
    return { tokens, logProbs };
  }

  /**
   * Gradients of the objective for sequences `tokens` with advantages `advantages` (reward − baseline):
   *   REINFORCE: −mean_b(A_b · log π(seq_b)) − w · entropy
   *   PPO:       −mean_b(min(r_b A_b, clip(r_b, 1 ± ε) A_b)) − w · entropy,   r_b = π(seq_b) / π_old(seq_b)
   */
  gradients(tokens: readonly number[][], advantages: readonly number[], objective: PolicyObjective): { loss: number; grads: Float32Array[] } {
    const batch = tokens.length;
    return tf.tidy(() => {
      const p = this.tensors();
      const adv = tf.tensor1d(advantages as number[]);
      const f = (...inputs: tf.Tensor[]) => {
        const { logProb, entropy } = this.unroll(inputs, batch, (step) => Int32Array.from(tokens, (row) => row[step]));
        let surrogate: tf.Tensor;
        if (objective.kind === 'reinforce') surrogate = tf.mul(adv, logProb);
        else {
          const ratio = tf.exp(tf.sub(logProb, tf.tensor1d(objective.oldLogProbs as number[])));
          const clipped = tf.clipByValue(ratio, 1 - objective.clip, 1 + objective.clip);
          surrogate = tf.minimum(tf.mul(ratio, adv), tf.mul(clipped, adv));
        }
        return tf.sub(tf.neg(tf.mean(surrogate)), tf.mul(objective.entropyWeight, entropy)) as tf.Scalar;
      };
      const { value, grads } = tf.valueAndGrads(f)(p);
      return { loss: value.dataSync()[0], grads: grads.map((g) => Float32Array.from(g.dataSync())) };
    });
  }
}
