/**
 * Decoding onnx-proto values into plain data: attributes, and the tensors the reader needs to fold
 * shape computations (small integer and float constants). Large tensors (weights) keep only their
 * type and dims; their bytes stay in the TensorProto for unit extraction (src/onnx/extract.ts).
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;

/** ONNX element types by TensorProto.DataType, with their byte size (0: not fixed). */
export const DTYPE_NAMES: Record<number, { name: string; bytes: number }> = {
  1: { name: 'float32', bytes: 4 },
  2: { name: 'uint8', bytes: 1 },
  3: { name: 'int8', bytes: 1 },
  4: { name: 'uint16', bytes: 2 },
  5: { name: 'int16', bytes: 2 },
  6: { name: 'int32', bytes: 4 },
  7: { name: 'int64', bytes: 8 },
  8: { name: 'string', bytes: 0 },
  9: { name: 'bool', bytes: 1 },
  10: { name: 'float16', bytes: 2 },
  11: { name: 'float64', bytes: 8 },
  12: { name: 'uint32', bytes: 4 },
  13: { name: 'uint64', bytes: 8 },
  16: { name: 'bfloat16', bytes: 2 },
};

export const num = (v: unknown): number => (typeof v === 'number' ? v : v == null ? 0 : Number(v.toString()));

export type AttrValue = number | string | number[] | string[] | TensorProto | undefined;

/** An attribute's value: INT(S)/FLOAT(S) as numbers, STRING(S) as text, TENSOR as the proto. Graphs are not read. */
export function attrValue(a: AttributeProto): AttrValue {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.FLOAT:
      return a.f ?? 0;
    case T.INT:
      return num(a.i);
    case T.STRING:
      return Buffer.from(a.s ?? new Uint8Array()).toString('utf8');
    case T.TENSOR:
      return a.t ?? undefined;
    case T.FLOATS:
      return [...(a.floats ?? [])];
    case T.INTS:
      return (a.ints ?? []).map(num);
    case T.STRINGS:
      return (a.strings ?? []).map((s) => Buffer.from(s).toString('utf8'));
    default:
      return undefined;
  }
}

export const MAX_FOLDED_ELEMENTS = 4096;

/**
 * A tensor's values as numbers when it is small enough to matter for shapes (≤ MAX_FOLDED_ELEMENTS) and
 * of a numeric type; undefined otherwise (or when its data lives in an external file).
 */
export function tensorValues(t: TensorProto): number[] | undefined {
  const dims = (t.dims ?? []).map(num);
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > MAX_FOLDED_ELEMENTS) return undefined;
  const type = t.dataType ?? 0;
  const raw = t.rawData && t.rawData.length ? t.rawData : undefined;
  if (raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out: number[] = [];
    const size = DTYPE_NAMES[type]?.bytes ?? 0;
    if (!size || raw.byteLength < count * size) return undefined;
    for (let i = 0; i < count; i++) {
      const o = i * size;
      switch (type) {
        case 1: out.push(view.getFloat32(o, true)); break;
        case 11: out.push(view.getFloat64(o, true)); break;
        case 6: out.push(view.getInt32(o, true)); break;
        case 7: out.push(Number(view.getBigInt64(o, true))); break;
        case 12: out.push(view.getUint32(o, true)); break;
        case 13: out.push(Number(view.getBigUint64(o, true))); break;
        case 2: out.push(view.getUint8(o)); break;
        case 3: out.push(view.getInt8(o)); break;
        case 9: out.push(view.getUint8(o) ? 1 : 0); break;
        case 4: out.push(view.getUint16(o, true)); break;
        case 5: out.push(view.getInt16(o, true)); break;
        default: return undefined;
      }
    }
    return out;
  }
  if (t.floatData?.length) return [...t.floatData];
  if (t.int64Data?.length) return t.int64Data.map(num);
  if (t.int32Data?.length) return [...t.int32Data];
  if (t.doubleData?.length) return [...t.doubleData];
  if (t.uint64Data?.length) return t.uint64Data.map(num);
  if (count === 0) return [];
  return undefined;
}

export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map(num);
}

export function isExternal(t: TensorProto): boolean {
  return t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL;
}
