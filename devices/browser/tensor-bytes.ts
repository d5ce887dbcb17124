/** Conformance tensors coming back from a page as bytes (the page sends them base64-encoded). */
import { TYPED_ARRAYS, type TensorData, type TensorType } from '../conformance/tensor.js';

export function tensorFromBytes(type: TensorType, dims: number[], bytes: Uint8Array): TensorData {
  const Ctor = TYPED_ARRAYS[type];
  if (!Ctor) throw new Error(`the page returned a tensor of element type '${type}', which the runner does not handle`);
  // A copy into a fresh, aligned buffer (Buffer.from(base64) may sit unaligned in a shared pool).
  return { type, dims, data: new Ctor(new Uint8Array(bytes).buffer) };
}
