/**
 * Tensors as plain data, the currency of the conformance runner: what ONNX's test cases store
 * (TensorProto files) and what any runtime — onnxruntime in Node, a browser page — takes and returns.
 */
import type onnxProto from 'onnx-proto';

type ITensorProto = onnxProto.onnx.ITensorProto;

/** Element types the runner handles, named as onnxruntime names them. */
export type TensorType = 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool';

export type TensorArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

export interface TensorData {
  type: TensorType;
  dims: number[];
  data: TensorArray;
}

/** ONNX TensorProto.DataType → our type; absent entries (string, float16, bfloat16, complex...) are not handled. */
const ONNX_TYPES: Record<number, TensorType> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
};
const ONNX_TYPE_NAMES: Record<number, string> = { 8: 'string', 10: 'float16', 14: 'complex64', 15: 'complex128', 16: 'bfloat16' };

/** The typed array that holds each element type (shared with tensors coming back from a browser page). */
export const TYPED_ARRAYS: Record<TensorType, { new (n: number): TensorArray; new (b: ArrayBuffer): TensorArray }> = {
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

/** The onnx element type name, for messages ("float16", "string"...). */
export function onnxTypeName(dataType: number): string {
  return ONNX_TYPES[dataType] ?? ONNX_TYPE_NAMES[dataType] ?? `type ${dataType}`;
}

export function isHandledType(dataType: number): boolean {
  return dataType in ONNX_TYPES;
}

/** protobufjs gives int64 fields as numbers or Long objects; both print as decimal integers. */
function big(v: number | { toString(): string }): bigint {
  return BigInt(v.toString());
}

/**
 * A TensorProto as TensorData. Values come from raw_data (little-endian, copied to an aligned buffer)
 * or from the typed field the ONNX spec assigns to the type (int32_data also carries 8/16-bit and bool).
 */
export function fromTensorProto(t: ITensorProto): TensorData {
  const dataType = t.dataType ?? 0;
  const type = ONNX_TYPES[dataType];
  if (!type) throw new Error(`tensor '${t.name ?? ''}' has element type ${onnxTypeName(dataType)}, which the runner does not handle`);
  const dims = (t.dims ?? []).map((d) => Number(d));
  const Ctor = TYPED_ARRAYS[type];
  let data: TensorArray;
  if (t.rawData && t.rawData.length) {
    // A copy: protobufjs hands out Buffer views into a shared pool, unaligned for wider types.
    data = new Ctor(new Uint8Array(t.rawData).buffer);
  } else {
    const count = dims.reduce((a, b) => a * b, 1);
    data = new Ctor(count);
    const source: ArrayLike<number | { toString(): string }> =
      type === 'float32' ? (t.floatData ?? []) : type === 'float64' ? (t.doubleData ?? []) : type === 'int64' ? (t.int64Data ?? []) : type === 'uint32' || type === 'uint64' ? (t.uint64Data ?? []) : (t.int32Data ?? []);
    if (source.length !== count) throw new Error(`tensor '${t.name ?? ''}' has ${source.length} values for dims [${dims.join(', ')}]`);
    for (let i = 0; i < count; i++) (data as unknown as unknown[])[i] = type === 'int64' || type === 'uint64' ? big(source[i]) : Number(source[i]);
  }
  const expected = dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected) throw new Error(`tensor '${t.name ?? ''}' has ${data.length} values for dims [${dims.join(', ')}]`);
  return { type, dims, data };
}
