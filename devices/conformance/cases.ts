/**
 * ONNX's own operator test cases (the `node/` suite of the onnx repository, shipped by Debian's
 * libonnx-testdata): <case>/model.onnx plus test_data_set_<k>/{input,output}_<i>.pb TensorProto files.
 * We select the cases whose graphs use only the op types our exporter emits.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { UserError } from '../../src/core/errors.js';
import { fromTensorProto, isHandledType, onnxTypeName, type TensorData } from './tensor.js';

const { onnx } = onnxProto;

export const CONFORMANCE_DATA_DIR = '/usr/share/libonnx-testdata/data/node';

/**
 * Every ONNX op type the exporter's primitive emitters (export/onnx/primitives/) emit for the catalog's blocks (test/devices/conformance.test.ts checks the exporter
 * against this list): conv/BN-folded convs, the activations (MobileNetV3's hard-sigmoid SE gate too), SE and skip
 * arithmetic, pools, the linear head, zero's strided Slice and FactorizedReduce's shift, identity, concatenation;
 * ShuffleNetV2's channel split (Split) and shuffle (Reshape, Transpose, Reshape); layer and instance norm.
 */
export const EXPORTED_OP_TYPES = [
  'Conv',
  'Relu',
  'Clip',
  'HardSwish',
  'Sigmoid',
  'Mul',
  'Add',
  'Sum',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'AveragePool',
  'MaxPool',
  'Gemm',
  'Flatten',
  'Reshape',
  'Slice',
  'Identity',
  'Concat',
  'HardSigmoid',
  'Split',
  'Transpose',
  'LayerNormalization',
  'InstanceNormalization',
] as const;

/**
 * Op types whose definition has not changed for float tensors since the opset given (later versions only added
 * element types), so a case written for that opset states what the exporter's opset-17 node must compute:
 * GlobalAveragePool / GlobalMaxPool 1 (then 22), HardSigmoid and InstanceNormalization 6 (then 22).
 */
export const STABLE_SINCE: Readonly<Record<string, number>> = { GlobalAveragePool: 1, GlobalMaxPool: 1, HardSigmoid: 6, InstanceNormalization: 6 };

/**
 * The case restamped at `opset` (IR version at least 8), named `<name>@opset<opset>`, when every node's op type is
 * in STABLE_SINCE from the case's opset on; else undefined. onnxruntime's WebGPU EP refuses the old-opset test
 * models of these ops (opset 1 and 6), while the opset-17 nodes our exporter writes run there.
 */
export function atOpset(c: ConformanceCase, opset: number): ConformanceCase | undefined {
  const model = onnx.ModelProto.decode(c.onnx);
  const own = Number(String(model.opsetImport?.find((o) => !o.domain)?.version ?? 0)); // an int64: a Long or a number
  const nodes = model.graph?.node ?? [];
  const since = (t: string) => (Object.hasOwn(STABLE_SINCE, t) ? STABLE_SINCE[t] : Infinity);
  if (!nodes.every((n) => since(n.opType ?? '') <= own)) return undefined;
  model.opsetImport = [{ domain: '', version: opset }];
  model.irVersion = Math.max(Number(String(model.irVersion ?? 0)), 8);
  return { ...c, name: `${c.name}@opset${opset}`, onnx: onnx.ModelProto.encode(model).finish() };
}

export interface DataSet {
  inputs: Record<string, TensorData>;
  outputs: Record<string, TensorData>;
}

export interface ConformanceCase {
  name: string;
  opTypes: string[];
  onnx: Uint8Array;
  dataSets: DataSet[];
  /** Why no runtime can be fed this case by the runner (e.g. a sequence input); the case is then skipped. */
  unrunnable?: string;
}

export interface CaseSelection {
  dir?: string;
  /** Op types a case may use (all of its nodes must be among them); default EXPORTED_OP_TYPES. */
  opTypes?: readonly string[];
  /** Only cases whose name matches. */
  filter?: RegExp;
}

/** Non-tensor graph values (sequences, optionals) have no tensor type: the runner cannot feed or compare them. */
function nonTensor(values: onnxProto.onnx.IValueInfoProto[], what: string): string | undefined {
  for (const v of values) {
    if (!v.type?.tensorType) return `${what} '${v.name}' is not a tensor (a sequence or optional value)`;
    const t = v.type.tensorType.elemType ?? 0;
    if (!isHandledType(t)) return `${what} '${v.name}' has element type ${onnxTypeName(t)}`;
  }
  return undefined;
}

async function readTensors(dir: string, prefix: 'input' | 'output', names: string[]): Promise<Record<string, TensorData>> {
  const out: Record<string, TensorData> = {};
  for (let i = 0; i < names.length; i++) {
    const proto = onnx.TensorProto.decode(await readFile(path.join(dir, `${prefix}_${i}.pb`)));
    out[proto.name || names[i]] = fromTensorProto(proto);
  }
  return out;
}

async function loadCase(dir: string, name: string, model: onnxProto.onnx.ModelProto, bytes: Uint8Array): Promise<ConformanceCase> {
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name));
  const outputs = graph.output ?? [];
  const opTypes = [...new Set((graph.node ?? []).map((n) => n.opType ?? ''))];
  const base: ConformanceCase = { name, opTypes, onnx: bytes, dataSets: [] };
  const unrunnable = nonTensor(inputs, 'input') ?? nonTensor(outputs, 'output');
  if (unrunnable) return { ...base, unrunnable };
  const sets = (await readdir(path.join(dir, name))).filter((d) => d.startsWith('test_data_set_')).sort();
  for (const set of sets) {
    const setDir = path.join(dir, name, set);
    base.dataSets.push({
      inputs: await readTensors(setDir, 'input', inputs.map((v) => v.name ?? '')),
      outputs: await readTensors(setDir, 'output', outputs.map((v) => v.name ?? '')),
    });
  }
  if (!base.dataSets.length) return { ...base, unrunnable: 'the case has no test_data_set_* folder' };
  return base;
}

/** The selected cases, sorted by name; UserError when the data folder is missing. */
export async function loadCases(selection: CaseSelection = {}): Promise<ConformanceCase[]> {
  const dir = selection.dir ?? CONFORMANCE_DATA_DIR;
  if (!existsSync(dir))
    throw new UserError(`ONNX conformance data not found in ${dir}`, { hint: "apt-get install libonnx-testdata (Debian's copy of the onnx repository's node test cases)" });
  const allowed = new Set(selection.opTypes ?? EXPORTED_OP_TYPES);
  const cases: ConformanceCase[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (selection.filter && !selection.filter.test(name)) continue;
    const file = path.join(dir, name, 'model.onnx');
    if (!existsSync(file)) continue;
    const bytes = await readFile(file);
    const model = onnx.ModelProto.decode(bytes);
    const nodes = model.graph?.node ?? [];
    const standard = nodes.every((n) => !n.domain || n.domain === 'ai.onnx');
    if (!nodes.length || !standard || !nodes.every((n) => allowed.has(n.opType ?? ''))) continue;
    cases.push(await loadCase(dir, name, model, new Uint8Array(bytes)));
  }
  return cases;
}
