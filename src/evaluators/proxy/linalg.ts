/** Small dense linear algebra in float64 for proxy scores (matrices of batch × batch, batch ≤ a few hundred). */

/**
 * Eigenvalues of a symmetric n×n matrix (row-major) by cyclic Jacobi rotations: simple, stable and
 * accurate to round-off for the small matrices proxies build. Returned unsorted.
 */
export function symmetricEigenvalues(m: ArrayLike<number>, n: number, maxSweeps = 50): number[] {
  const a = Float64Array.from(m);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const v = a[i * n + j] ** 2;
        total += v;
        if (i !== j) off += v;
      }
    if (off <= 1e-22 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => a[i * n + i]);
}
