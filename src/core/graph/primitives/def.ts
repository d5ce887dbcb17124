/**
 * What a primitive is, as data the graph code and every backend dispatch through: how many inputs it
 * takes, the shapes it produces (throwing a plain Error that says what does not fit; the caller names the
 * node), its multiply-accumulates, its parameter tensors, and whether its output counts as an activation
 * in RegNet's sense (elements of conv outputs; linear layers count as 1×1 convs).
 */
import type { ParamInfo, Prim, PrimOp, PrimOf, Shape } from '../types.js';

export interface PrimitiveDef<P extends Prim> {
  /** Fewest and most inputs (Infinity = any number). */
  arity: readonly [number, number];
  outputs(p: P, inputs: readonly Shape[]): Shape[];
  macs(p: P, inputs: readonly Shape[], outputs: readonly Shape[]): number;
  params(p: P, inputs: readonly Shape[], id: string): ParamInfo[];
  /** True for conv and linear: RegNet's activation count sums the elements of these outputs. */
  convLike: boolean;
}

export type PrimitiveTable = { readonly [K in PrimOp]: PrimitiveDef<PrimOf<K>> };

export const elements = (s: Shape): number => s[0] * s[1] * s[2] * s[3];

export function sameShape(a: Shape, b: Shape): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

export const show = (s: Shape): string => s.join('x');

/**
 * Output size of a window op; `ceil` rounds partial windows up, and the last window must start inside the
 * input or the begin padding (PyTorch's rule and onnxruntime's kernels; ONNX's opset-17 shape formula
 * counts a window starting in the end padding, see export/onnx/primitives/pool.ts).
 */
export function windowOut(size: number, kernel: number, stride: number, padBegin: number, padEnd: number, dilation: number, ceil: boolean): number {
  const span = size + padBegin + padEnd - dilation * (kernel - 1) - 1;
  if (span < 0) throw new Error(`window ${kernel} (dilation ${dilation}) is larger than the padded input ${size + padBegin + padEnd}`);
  let out = (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceil && (out - 1) * stride >= size + padBegin) out -= 1;
  return out;
}

export function positiveInt(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${what} must be a positive integer, got ${v}`);
}

export function nonNegativeInt(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new Error(`${what} must be a non-negative integer, got ${v}`);
}

/** Per-channel affine parameters of a normalisation layer. */
export function affineParams(id: string, channels: number, withStats: boolean): ParamInfo[] {
  const parts: ParamInfo['part'][] = withStats ? ['gamma', 'beta', 'mean', 'var'] : ['gamma', 'beta'];
  return parts.map((part) => ({ name: `${id}.${part}`, shape: [channels], part }));
}
