/**
 * NASWOT (Mellor et al., "Neural Architecture Search without Training", ICML 2021): how differently
 * an untrained net's rectifiers switch on the inputs of one minibatch.
 *
 * Each input gets a binary code (which rectifier units are on). K[i][j] counts the units on which
 * inputs i and j agree (N_A minus the Hamming distance); the score is log|det K|. Nets that separate
 * their inputs into distinct linear regions score higher, which correlates with trained accuracy.
 */
import type * as TF from '@tensorflow/tfjs';
import type { ProxyNetwork } from './network.js';

/** K for one batch: every rectifier adds c·cᵀ + (1−c)(1−c)ᵀ for its codes c (batch × units). */
export function naswotKernel(net: ProxyNetwork, x: TF.Tensor4D): Float64Array {
  const { tf } = net;
  const batch = x.shape[0];
  const kernel = tf.tidy(() => {
    let k = tf.zeros([batch, batch]) as TF.Tensor2D;
    net.forward(x, net.params, {
      onRelu(pre) {
        // Each rectifier's contribution is folded in at once, so no activation outlives its layer.
        const next = tf.tidy(() => {
          const codes = tf.reshape(tf.cast(tf.greater(pre, 0), 'float32'), [batch, -1]) as TF.Tensor2D;
          const off = tf.sub(1, codes) as TF.Tensor2D;
          return tf.add(k, tf.add(tf.matMul(codes, codes, false, true), tf.matMul(off, off, false, true))) as TF.Tensor2D;
        });
        k.dispose();
        k = tf.keep(next);
      },
    });
    return k;
  });
  const data = Float64Array.from(kernel.dataSync());
  kernel.dispose();
  return data;
}

/**
 * log|det(K + I)| by LU with partial pivoting, in float64. The ridge of one agreement unit is
 * negligible next to K's entries (thousands of units) but keeps the score finite for nets whose codes
 * coincide (K singular, K + I still positive definite), which then rank last, as they should.
 */
export function logDetRidge(k: Float64Array, n: number): number {
  const a = Float64Array.from(k);
  for (let i = 0; i < n; i++) a[i * n + i] += 1;
  let logDet = 0;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]) > Math.abs(a[pivot * n + col])) pivot = r;
    if (pivot !== col)
      for (let j = 0; j < n; j++) {
        const t = a[col * n + j];
        a[col * n + j] = a[pivot * n + j];
        a[pivot * n + j] = t;
      }
    const p = a[col * n + col]; // K + I is positive definite: never 0
    logDet += Math.log(Math.abs(p));
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col] / p;
      if (f !== 0) for (let j = col; j < n; j++) a[r * n + j] -= f * a[col * n + j];
    }
  }
  return logDet;
}

export function naswotScore(net: ProxyNetwork, x: TF.Tensor4D): number {
  return logDetRidge(naswotKernel(net, x), x.shape[0]);
}
