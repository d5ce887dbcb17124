/**
 * Softmax cross-entropy on logits read back from the backend ([n, k] is tiny): the loss, its
 * gradient (softmax - onehot) / n, and the number of correct predictions, in one pass in JS.
 */
export interface LossResult {
  /** Mean cross-entropy over the batch; NaN or Infinity when the logits are. */
  loss: number;
  /** dLoss/dlogits, [n, k] row-major. */
  grad: Float32Array;
  correct: number;
}

export function softmaxCrossEntropy(logits: Float32Array, labels: ArrayLike<number>, classes: number): LossResult {
  const n = labels.length;
  const grad = new Float32Array(n * classes);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const row = i * classes;
    let max = -Infinity;
    let arg = 0;
    for (let j = 0; j < classes; j++) {
      if (logits[row + j] > max) {
        max = logits[row + j];
        arg = j;
      }
    }
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += Math.exp(logits[row + j] - max);
    const label = labels[i];
    loss += Math.log(sum) - (logits[row + label] - max);
    if (arg === label) correct++;
    for (let j = 0; j < classes; j++) grad[row + j] = (Math.exp(logits[row + j] - max) / sum - (j === label ? 1 : 0)) / n;
  }
  return { loss: loss / n, grad, correct };
}

/** Softmax of each row of [n, k] logits (a teacher's predictions for in-place distillation). */
export function softmaxRows(logits: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let row = 0; row < logits.length; row += classes) {
    let max = -Infinity;
    for (let j = 0; j < classes; j++) max = Math.max(max, logits[row + j]);
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += out[row + j] = Math.exp(logits[row + j] - max);
    for (let j = 0; j < classes; j++) out[row + j] /= sum;
  }
  return out;
}

/**
 * Cross-entropy against soft targets (each row a distribution; in-place distillation: the largest
 * sub-network's softmax): mean of -Σ t log softmax(z), gradient (softmax(z) - t) / n. `correct`
 * counts rows whose largest logit is the target's most likely class.
 */
export function softTargetCrossEntropy(logits: Float32Array, targets: Float32Array, classes: number): LossResult {
  const n = logits.length / classes;
  const p = softmaxRows(logits, classes);
  const grad = new Float32Array(logits.length);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const row = i * classes;
    let arg = 0;
    let want = 0;
    for (let j = 0; j < classes; j++) {
      const t = targets[row + j];
      if (t > 0) loss -= t * Math.log(Math.max(p[row + j], 1e-30));
      grad[row + j] = (p[row + j] - t) / n;
      if (logits[row + j] > logits[row + arg]) arg = j;
      if (t > targets[row + want]) want = j;
    }
    if (arg === want) correct++;
  }
  return { loss: loss / n, grad, correct };
}

/** Index of the largest logit of each row. */
export function argmaxRows(logits: Float32Array, classes: number): Uint8Array {
  const n = logits.length / classes;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (logits[i * classes + j] > logits[i * classes + best]) best = j;
    out[i] = best;
  }
  return out;
}
