/**
 * Small ONNX models written by hand for the tests under test/onnx: a graph encoded as model bytes (IR 8, the
 * default domain at opset 17 unless given), and the value infos of its inputs and outputs.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** A tensor's value info: dims fixed (numbers) or dynamic (strings); no dims leaves its shape out. */
export function valueInfo(name: string, dims?: (number | string)[], elemType: number = FLOAT): onnxProto.onnx.IValueInfoProto {
  const tensorType: onnxProto.onnx.TypeProto.ITensor = { elemType };
  if (dims) tensorType.shape = { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name, type: { tensorType } };
}

/** The model's bytes: `graph` at IR version 8, importing the default domain at `opset`. */
export function modelBytes(graph: onnxProto.onnx.IGraphProto, opset = 17): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: opset }], graph })).finish();
}
