/** ONNX's own operator test cases (Debian's libonnx-testdata) as files our reader can take: integer inputs become initializers. */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
export const NODE_CASES = '/usr/share/libonnx-testdata/data/node';

export interface ConformanceCase {
  name: string;
  file: string;
  expected: number[][];
}

/** Writes each case whose only op is in `ops` into `dir`; returns them with the expected output shapes. */
export function conformanceCases(dir: string, ops: ReadonlySet<string>): ConformanceCase[] {
  if (!existsSync(NODE_CASES)) return [];
  const cases: ConformanceCase[] = [];
  for (const name of readdirSync(NODE_CASES).sort()) {
    const folder = path.join(NODE_CASES, name);
    const modelFile = path.join(folder, 'model.onnx');
    const data = path.join(folder, 'test_data_set_0');
    if (!existsSync(modelFile) || !existsSync(data)) continue;
    const model = onnx.ModelProto.decode(readFileSync(modelFile));
    const nodes = model.graph?.node ?? [];
    const opset = Number(model.opsetImport?.find((o) => !o.domain)?.version ?? 0);
    if (opset < 7) continue; // the reader handles opsets 7–21
    if (nodes.length !== 1 || !ops.has(nodes[0].opType ?? '') || (nodes[0].domain ?? '') !== '') continue;
    const inputs = (model.graph!.input ?? []).map((_, i) => path.join(data, `input_${i}.pb`));
    const outputs = (model.graph!.output ?? []).map((_, i) => path.join(data, `output_${i}.pb`));
    if (![...inputs, ...outputs].every(existsSync)) continue;
    if (!(model.graph!.input ?? []).every((vi) => vi.type?.tensorType)) continue;
    const keptInputs = [];
    for (const [i, vi] of (model.graph!.input ?? []).entries()) {
      const t = onnx.TensorProto.decode(readFileSync(inputs[i]));
      t.name = vi.name ?? '';
      // Integer tensors and 1-D ones (shapes, axes, scales, Range bounds) are what a real model holds as constants.
      if (t.dataType === 7 || t.dataType === 6 || (t.dims ?? []).length <= 1) model.graph!.initializer!.push(t);
      else {
        vi.type!.tensorType!.shape = { dim: (t.dims ?? []).map((d) => ({ dimValue: d })) };
        keptInputs.push(vi);
      }
    }
    model.graph!.input = keptInputs;
    const file = path.join(dir, `${name}.onnx`);
    writeFileSync(file, onnx.ModelProto.encode(model).finish());
    const expected = outputs.map((o) => (onnx.TensorProto.decode(readFileSync(o)).dims ?? []).map(Number));
    cases.push({ name, file, expected });
  }
  return cases;
}
