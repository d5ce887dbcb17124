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
