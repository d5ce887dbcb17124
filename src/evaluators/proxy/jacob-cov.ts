/**
 * jacob_cov (Mellor et al. 2020, the first version of "Neural Architecture Search without Training",
 * as used by Abdelfattah et al. 2021): how uncorrelated the input Jacobians of one minibatch are.
 * J (batch × input size) holds ∂(Σ logits)/∂x per image; with Σ_J its row correlation matrix and
 * λ its eigenvalues, the score is −Σ (log(λ + k) + 1/(λ + k)), k = 1e-5. Nets that respond to each
 * input differently have eigenvalues near 1 and score higher.
 */
import type * as TF from '@tensorflow/tfjs';
import { connectAll, type ProxyNetwork } from './network.js';
import { symmetricEigenvalues } from './linalg.js';

const K = 1e-5;

export function jacobCovScore(net: ProxyNetwork, x: TF.Tensor4D): number {
  const { tf } = net;
  const n = x.shape[0];
  const jac = tf.tidy(() => tf.grad((input: TF.Tensor) => connectAll(tf, tf.sum(net.forward(input as TF.Tensor4D, net.params)), [input]))(x));
  const data = jac.dataSync();
  jac.dispose();
  return jacobCovFromJacobian(data, n);
}

/** The score from J as n rows (float32 from the net, correlations in float64). */
export function jacobCovFromJacobian(j: ArrayLike<number>, n: number): number {
  const d = j.length / n;
  const rows: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const r = new Float64Array(d);
    let mean = 0;
    for (let k = 0; k < d; k++) mean += (r[k] = j[i * d + k]);
    mean /= d;
    let ss = 0;
    for (let k = 0; k < d; k++) ss += (r[k] -= mean) ** 2;
    // A row with no variance (the output ignores that image) correlates with nothing: left at zeros.
    const s = Math.sqrt(ss);
    if (s > 0) for (let k = 0; k < d; k++) r[k] /= s;
    rows.push(r);
  }
  const c = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    c[a * n + a] = 1;
    for (let b = a + 1; b < n; b++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += rows[a][k] * rows[b][k];
      c[a * n + b] = c[b * n + a] = dot;
    }
  }
  return -symmetricEigenvalues(c, n).reduce((s, v) => s + Math.log(v + K) + 1 / (v + K), 0);
}
