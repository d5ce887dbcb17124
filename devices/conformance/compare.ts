/** Element-wise comparison of a runtime's output with ONNX's expected output. */
import type { TensorData } from './tensor.js';

export interface Tolerance {
  /** Relative tolerance: |actual − expected| ≤ atol + rtol·|expected| (numpy.allclose's rule). */
  rtol: number;
  atol: number;
}

/** CPU runtimes: float32 kernels that may reorder sums or fuse. */
export const CPU_TOLERANCE: Tolerance = { rtol: 1e-4, atol: 1e-5 };
/** GPU runtimes: shader math (fast exp/tanh, different accumulation order). */
export const GPU_TOLERANCE: Tolerance = { rtol: 1e-3, atol: 1e-4 };

/** undefined when `actual` matches `expected`, else what differs (first mismatch, worst error). */
export function mismatch(actual: TensorData, expected: TensorData, tol: Tolerance): string | undefined {
  if (actual.type !== expected.type) return `type ${actual.type}, expected ${expected.type}`;
  if (actual.dims.join('x') !== expected.dims.join('x')) return `dims [${actual.dims.join(', ')}], expected [${expected.dims.join(', ')}]`;
  const float = expected.type === 'float32' || expected.type === 'float64';
  let bad = 0;
  let first = -1;
  let worst = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i];
    const e = expected.data[i];
    let ok: boolean;
    if (float) {
      const x = a as number;
      const y = e as number;
      ok = Number.isNaN(y) ? Number.isNaN(x) : x === y || Math.abs(x - y) <= tol.atol + tol.rtol * Math.abs(y);
      if (!ok) worst = Math.max(worst, Math.abs(x - y));
    } else {
      ok = a === e;
    }
    if (!ok) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (!bad) return undefined;
  const detail = `element ${first}: ${String(actual.data[first])} vs ${String(expected.data[first])}`;
  return `${bad} of ${expected.data.length} elements differ (${detail}${float ? `, max abs error ${worst.toExponential(2)}, rtol ${tol.rtol}, atol ${tol.atol}` : ''})`;
}
