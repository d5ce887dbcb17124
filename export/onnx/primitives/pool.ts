/**
 * pool → MaxPool / AveragePool with explicit pads, ceil_mode and (average) count_include_pad.
 *
 * Ceil mode: the IR (windowOut in src/core/graph/primitives/def.ts), PyTorch and onnxruntime's kernels
 * drop a last window that would start in the end padding; ONNX's opset-17 shape inference
 * (ceil((in + pads − k) / s) + 1, used by onnx.checker's full_check and by onnxruntime when it loads a
 * file) counts it. Where the two differ (e.g. 5×5, k 2, s 2, pads 1, ceil: the IR and onnxruntime
 * give 3×3, the opset-17 formula 4×4) the declared shape would fail the checker, so such a pool is
 * written in floor mode with the end padding that gives exactly the IR's windows: the added padding is
 * left out of maxima and averages, as ceil mode's overhang is. With count_include_pad the explicit
 * pads count and the overhang does not, so the explicit pads become a Pad with zeros first.
 * test/export/pool-ceil.test.ts sweeps the combinations against onnxruntime-node.
 */
import type { PoolPrim, Shape } from '../../../src/core/graph/index.js';
import type { PrimEmitter } from './types.js';

/** ONNX's opset-17 output size of one spatial axis. */
function onnxOut(size: number, k: number, s: number, begin: number, end: number, ceil: boolean): number {
  const span = size + begin + end - k;
  return (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
}

/** Whether the pool is written with ceil_mode 1 (a ceil pool whose windows the opset-17 formula counts as the IR does). */
export function writesCeilMode(p: PoolPrim, input: Shape, output: Shape): boolean {
  const [t, l, b, r] = p.pads;
  return p.ceil && onnxOut(input[2], p.kernel[0], p.stride[0], t, b, true) === output[2] && onnxOut(input[3], p.kernel[1], p.stride[1], l, r, true) === output[3];
}

export const pool: PrimEmitter<PoolPrim> = ({ g, inputShapes, outputShapes }, p, node, [x]) => {
  const [, , h, w] = inputShapes[0];
  const [, , oh, ow] = outputShapes[0];
  const emit = (input: string, pads: number[], ceil: boolean, countIncludePad: boolean) => {
    const attrs = { kernel_shape: [...p.kernel], strides: [...p.stride], pads, ...(ceil ? { ceil_mode: 1 } : {}) };
    return p.mode === 'avg' ? g.addNode('AveragePool', [input], node.id, { ...attrs, count_include_pad: countIncludePad ? 1 : 0 }) : g.addNode('MaxPool', [input], node.id, attrs);
  };
  const [t, l, b, r] = p.pads;
  if (!p.ceil || writesCeilMode(p, inputShapes[0], outputShapes[0])) return emit(x, [...p.pads], p.ceil, p.countIncludePad);
  // End padding that makes the IR's last window the last floor-mode window (never less than the given pads).
  const end = (size: number, out: number, k: number, s: number, begin: number, given: number) => Math.max(given, (out - 1) * s + k - size - begin);
  if (p.mode === 'avg' && p.countIncludePad && p.pads.some((v) => v > 0)) {
    const padded = g.addNode('Pad', [x, g.addInt64(`${node.id}.pads`, [0, 0, t, l, 0, 0, b, r])], `${node.id}.pad`, { mode: 'constant' });
    return emit(padded, [0, 0, end(h + t + b, oh, p.kernel[0], p.stride[0], 0, 0), end(w + l + r, ow, p.kernel[1], p.stride[1], 0, 0)], false, false);
  }
  // Here count_include_pad has no explicit pads to count (or the pool is max): the added padding never counts.
  return emit(x, [t, l, end(h, oh, p.kernel[0], p.stride[0], t, b), end(w, ow, p.kernel[1], p.stride[1], l, r)], false, false);
};
