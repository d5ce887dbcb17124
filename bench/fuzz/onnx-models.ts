/**
 * Small hand-built ONNX models shared by the ONNX reader's tests (test/onnx/read.test.ts) and its fuzzer
 * (bench/fuzz/onnx.ts, whose seed this is): one definition, so a fix to the model reaches both.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export interface ShapeChainOptions {
  name?: string;
  opset?: number;
  /** The input's dims; a string is a symbolic dim (dimParam). */
  dims?: (number | string)[];
  /** Keep the weight in this external data file instead of inline. */
  external?: string;
  weightDims?: number[];
  /** Add a node without outputs (a malformed graph). */
  outputless?: boolean;
}

/** x [dims] → Conv 3x3 (pads 1) → Shape → Gather(0) → Unsqueeze → Concat(-1) → Reshape → y: shape arithmetic to fold. */
export function shapeChainModel(opts: ShapeChainOptions = {}): Uint8Array {
  const int64 = (name: string, values: number[]) => ({ name, dims: [values.length], dataType: 7, int64Data: values });
  const wDims = opts.weightDims ?? [8, 3, 3, 3];
  const weight: onnxProto.onnx.ITensorProto = { name: 'w', dims: wDims, dataType: 1, floatData: Array(wDims.reduce((a, b) => a * b, 1)).fill(0.01) };
  if (opts.external) {
    weight.floatData = [];
    weight.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    weight.externalData = [{ key: 'location', value: opts.external }, { key: 'offset', value: '0' }, { key: 'length', value: String(wDims.reduce((a, b) => a * b, 1) * 4) }];
  }
  const dims = opts.dims ?? [1, 3, 16, 16];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opts.opset ?? 17 }],
    graph: {
      name: opts.name ?? 'g',
      node: [
        { name: 'conv', opType: 'Conv', input: ['x', 'w'], output: ['c'], attribute: [{ name: 'pads', type: 7, ints: [1, 1, 1, 1] }] },
        { name: 'shape', opType: 'Shape', input: ['c'], output: ['s'] },
        { name: 'gather', opType: 'Gather', input: ['s', 'zero'], output: ['n'], attribute: [{ name: 'axis', type: 2, i: 0 }] },
        { name: 'unsq', opType: 'Unsqueeze', input: ['n', 'axes'], output: ['n1'] },
        { name: 'cat', opType: 'Concat', input: ['n1', 'minus1'], output: ['target'], attribute: [{ name: 'axis', type: 2, i: 0 }] },
        { name: 'reshape', opType: 'Reshape', input: ['c', 'target'], output: ['y'] },
        ...(opts.outputless ? [{ name: 'lost', opType: 'Conv', input: ['x', 'w'], output: [] }] : []),
      ],
      initializer: [weight, { name: 'zero', dims: [], dataType: 7, int64Data: [0] }, int64('axes', [0]), int64('minus1', [-1])],
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
