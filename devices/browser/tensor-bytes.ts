/** Conformance tensors coming back from a page as bytes (the page sends them base64-encoded). */
import type { TensorArray, TensorData, TensorType } from '../conformance/tensor.js';

const ARRAYS: Record<TensorType, new (buffer: ArrayBuffer) => TensorArray> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

export function tensorFromBytes(type: TensorType, dims: number[], bytes: Uint8Array): TensorData {
  const Ctor = ARRAYS[type];
  if (!Ctor) throw new Error(`the page returned a tensor of element type '${type}', which the runner does not handle`);
  // A copy into a fresh, aligned buffer (Buffer.from(base64) may sit unaligned in a shared pool).
  return { type, dims, data: new Ctor(new Uint8Array(bytes).buffer) };
}
