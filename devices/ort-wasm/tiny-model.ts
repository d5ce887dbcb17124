/**
 * The smallest useful ONNX model: y = x + x on one float. ONNX devices run it to start their runtime
 * (so a model's setupMs is its own session creation, not the runtime's start-up), and
 * ort-webgpu-native uses it as a GPU fence and as its adapter probe.
 */
export const TINY_INPUT = 'x';
export const TINY_OUTPUT = 'y';

/** Serialised model bytes; onnx-proto is loaded here, on first use, not when a device registers. */
export async function tinyAddModel(): Promise<Uint8Array> {
  const { default: onnxProto } = await import('onnx-proto');
  const { onnx } = onnxProto;
  const scalar = (name: string) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }] } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'hw-nas',
    graph: {
      name: 'tiny_add',
      node: [{ opType: 'Add', input: [TINY_INPUT, TINY_INPUT], output: [TINY_OUTPUT] }],
      input: [scalar(TINY_INPUT)],
      output: [scalar(TINY_OUTPUT)],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
