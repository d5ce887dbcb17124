/**
 * Fuzzing the ONNX reader (src/onnx/read.ts, what `nas predict --onnx` and `nas profile --onnx` read):
 * mutated valid ONNX files, fed to readOnnxGraph in-process, then to the primitive metrics counted on
 * the graph it returns. Mutations: byte flips, inserted and deleted bytes, truncation, and protobuf
 * field mutations (the model decoded into plain objects through onnx-proto, a field replaced, deleted,
 * duplicated or scaled, encoded again), which reach deeper than broken bytes do.
 *
 * Every input must end in one of two ways: refused with one UserError (exit 2) whose message is one line
 * without a stack, or accepted with a graph that holds together (opset in range, positive input dims,
 * every node output and graph output with a shape of whole non-negative dims, finite metrics). Anything
 * else — another exception (an internal error, exit 70), a wrong accepted graph — fails. Shared by
 * test/fuzz/onnx.test.ts and bench/fuzz-parsers.ts (`--only "ONNX file"`).
 */
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { networkModel } from '../../export/model.js';
import { validateArchitecture } from '../../src/core/arch-file.js';
import { isUserError } from '../../src/core/errors.js';
import { onnxMetrics } from '../../src/onnx/primitives.js';
import { MAX_OPSET, MIN_OPSET, readOnnxGraph } from '../../src/onnx/read.js';
import { mutateValue } from './harness.js';
import { shapeChainModel } from './onnx-models.js';

const { onnx } = onnxProto;
type Model = onnxProto.onnx.IModelProto;

const float = (name: string, dims: number[]) => ({ name, dims, dataType: 1, floatData: Array<number>(dims.reduce((a, b) => a * b, 1)).fill(0.01) });
const int64 = (name: string, values: number[]) => ({ name, dims: [values.length], dataType: 7, int64Data: values });
const input = (name: string, dims: number[]) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
const encode = (m: Model) => onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish();

/** A transformer-ish block: MatMul, Add, Transpose, Softmax, Split, Slice, ReduceMean, Pad, Resize, Where, Constant. */
function mixedOps(): Uint8Array {
  return encode({
    irVersion: 9,
    opsetImport: [{ domain: '', version: 18 }],
    graph: {
      name: 'mixed',
      node: [
        { name: 'mm', opType: 'MatMul', input: ['x', 'w'], output: ['a'] },
        { name: 'add', opType: 'Add', input: ['a', 'b'], output: ['a1'] },
        { name: 'tr', opType: 'Transpose', input: ['a1'], output: ['t'], attribute: [{ name: 'perm', type: 7, ints: [0, 2, 1] }] },
        { name: 'sm', opType: 'Softmax', input: ['t'], output: ['p'], attribute: [{ name: 'axis', type: 2, i: -1 }] },
        { name: 'split', opType: 'Split', input: ['p', 'parts'], output: ['p0', 'p1'], attribute: [{ name: 'axis', type: 2, i: 1 }] },
        { name: 'slice', opType: 'Slice', input: ['p0', 'starts', 'ends', 'axes'], output: ['q'] },
        { name: 'mean', opType: 'ReduceMean', input: ['q', 'axes'], output: ['r'], attribute: [{ name: 'keepdims', type: 2, i: 1 }] },
        { name: 'k', opType: 'Constant', output: ['pads'], attribute: [{ name: 'value', type: 4, t: int64('pads', [0, 0, 1, 0, 0, 1]) }] },
        { name: 'pad', opType: 'Pad', input: ['p1', 'pads'], output: ['padded'] },
        { name: 'up', opType: 'Resize', input: ['padded', '', 'scales'], output: ['u'], attribute: [{ name: 'mode', type: 3, s: new TextEncoder().encode('nearest') }] },
        { name: 'gt', opType: 'Greater', input: ['u', 'zero'], output: ['m'] },
        { name: 'where', opType: 'Where', input: ['m', 'u', 'zero'], output: ['y'] },
      ],
      initializer: [
        float('w', [16, 8]),
        float('b', [8]),
        int64('parts', [4, 4]),
        int64('starts', [1]),
        int64('ends', [3]),
        int64('axes', [1]),
        { name: 'scales', dims: [3], dataType: 1, floatData: [1, 2, 1] },
        { name: 'zero', dims: [], dataType: 1, floatData: [0] },
      ],
      input: [input('x', [1, 4, 16])],
      output: [
        { name: 'y', type: { tensorType: { elemType: 1 } } },
        { name: 'r', type: { tensorType: { elemType: 1 } } },
      ],
    },
  });
}

/** One of our exported networks (stem conv, MBConv with and without SE, head, pool, linear) at 14x14. */
function exportedNet(): Uint8Array {
  const conv = (cout: number, k: number, stride: number) => ({ kind: 'conv', cout, k, stride, groups: 1, dilation: 1, act: 'relu6' });
  const mb = (cout: number, stride: number, se: number, skip: boolean) => ({ kind: 'mbconv', cout, k: 3, stride, expand: 2, se, act: 'hswish', skip });
  const arch = validateArchitecture(
    {
      format: 'hw-nas-arch',
      version: 1,
      name: 'fuzz',
      input: [1, 1, 14, 14],
      dtype: 'f32',
      layers: [
        { role: 'stem', spec: conv(8, 3, 2) },
        { role: 'block', spec: mb(8, 1, 0, true) },
        { role: 'block', spec: mb(16, 2, 0.25, false) },
        { role: 'head', spec: conv(32, 1, 1) },
        { role: 'head', spec: { kind: 'gpool', mode: 'avg' } },
        { role: 'head', spec: { kind: 'linear', cout: 10, act: 'none' } },
      ],
    },
    'fuzz.json',
  );
  return networkModel(arch).onnx;
}

export function onnxSeeds(): Uint8Array[] {
  return [shapeChainModel({ name: 'chain', weightDims: [4, 3, 3, 3], dims: [1, 3, 8, 8] }), mixedOps(), exportedNet()];
}

/** Values a careless or hostile file holds in its numeric and name fields. */
const VALUES: unknown[] = [0, -1, 1, 2, 3, 6, 7, 21, 22, 255, 65536, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, 1e9, -1e9, 0.5, '', 'x', 'w', 'c', 'y', 'Conv', 'Reshape', 'Gather', 'ai.onnx', 'com.microsoft', 'toString', '__proto__', [], [0], [-1], [1, 1], {}, null];

function byteMutation(bytes: Uint8Array, at: number, op: number, value: number): Uint8Array {
  const i = at % Math.max(1, bytes.length);
  const out = Uint8Array.from(bytes);
  switch (op % 5) {
    case 0:
      return out.subarray(0, i); // truncated
    case 1:
      out[i] ^= 1 << value % 8; // one bit
      return out;
    case 2:
      out[i] = value & 0xff;
      return out;
    case 3:
      return Buffer.concat([out.subarray(0, i), Uint8Array.of(value & 0xff), out.subarray(i)]);
    default:
      return Buffer.concat([out.subarray(0, i), out.subarray(i + 1 + (value % 8))]);
  }
}

/**
 * Swaps every long array (weights, raw bytes) for a marker while the fields are mutated, and back after:
 * the mutations then pick among the model's structure (names, dims, attributes, opsets) rather than
 * among thousands of weight values, and run fast.
 */
function stashLong(value: unknown, kept: unknown[][]): unknown {
  if (Array.isArray(value)) return value.length > 16 ? { stashed: kept.push(value) - 1 } : value.map((v) => stashLong(v, kept));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stashLong(v, kept)]));
  return value;
}
function unstash(value: unknown, kept: unknown[][]): unknown {
  if (Array.isArray(value)) return value.map((v) => unstash(v, kept));
  if (value && typeof value === 'object') {
    const s = (value as { stashed?: unknown }).stashed;
    if (Object.keys(value).length === 1 && typeof s === 'number' && kept[s]) return kept[s];
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unstash(v, kept)]));
  }
  return value;
}

interface Decoded {
  /** The model as plain objects, long arrays stashed. */
  doc: unknown;
  kept: unknown[][];
}

function decoded(bytes: Uint8Array): Decoded {
  const kept: unknown[][] = [];
  const doc = stashLong(onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: Number, enums: Number, bytes: String, defaults: false }), kept);
  return { doc, kept };
}

/** A field mutation through the decoded model; undefined when onnx-proto cannot encode the result (a type it refuses). */
function fieldMutation(seed: Decoded, ops: [number, number, unknown][]): Uint8Array | undefined {
  const doc = ops.reduce<unknown>((d, [pick, op, v]) => mutateValue(d, pick, op, structuredClone(v)), structuredClone(seed.doc));
  try {
    return onnx.ModelProto.encode(onnx.ModelProto.fromObject(unstash(doc, seed.kept) as Record<string, unknown>)).finish();
  } catch {
    return undefined;
  }
}

/** Inputs: a seed with 1–3 mutations, field mutations for two thirds, byte mutations for the rest. */
export function mutatedOnnx(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const op = fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...VALUES), fc.nat(255));
  const docs = seeds.map(decoded);
  return fc.tuple(fc.nat(seeds.length - 1), fc.array(op, { minLength: 1, maxLength: 3 }), fc.nat(2)).map(([s, ops, kind]) => {
    const bytes = () => ops.reduce((b, [at, o, , v]) => byteMutation(b, at, o, v), seeds[s]);
    if (kind === 0) return bytes();
    return fieldMutation(
      docs[s],
      ops.map(([pick, o, v]) => [pick, o, v]),
    ) ?? bytes();
  });
}

export type OnnxOutcome = 'accepted' | 'refused';

const must = (ok: boolean, why: string) => {
  if (!ok) throw new Error(why);
};
const wholeDims = (shape: unknown) => Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= 0);

/** Reads one input (written to `file`); returns how it ended, or throws describing a failure. */
export async function runOnnxOne(file: string, bytes: Uint8Array): Promise<OnnxOutcome> {
  writeFileSync(file, bytes);
  const show = () => Buffer.from(bytes).toString('base64').slice(0, 600);
  let g;
  try {
    g = await readOnnxGraph(file);
    const m = onnxMetrics(g);
    must([m.macs, m.params, m.activations].every((v) => Number.isFinite(v) && v >= 0), `metrics not finite: ${JSON.stringify(m)}`);
  } catch (e) {
    if (!isUserError(e)) throw new Error(`ONNX file: internal error on input (base64) ${show()}: ${(e as Error)?.stack ?? String(e)}`);
    if (e.exitCode !== 2) throw new Error(`ONNX file: exit code ${e.exitCode} for a bad file: ${e.message}`);
    if (!e.message.trim() || e.message.includes('\n')) throw new Error(`ONNX file: message is not one clear line: ${JSON.stringify(e.message)}`);
    return 'refused';
  }
  try {
    must(g.opset >= MIN_OPSET && g.opset <= MAX_OPSET, `opset ${g.opset} accepted`);
    for (const i of g.inputs) must(wholeDims(i.shape), `input ${i.name} with dims ${i.shape} accepted`);
    for (const n of g.nodes)
      for (const o of n.outputs) if (o) must(wholeDims(g.tensors.get(o)?.shape), `node ${n.opType} output ${o}: shape ${JSON.stringify(g.tensors.get(o)?.shape)}`);
    for (const o of g.outputs) must(wholeDims(g.tensors.get(o)?.shape), `graph output ${o} without a shape`);
    for (const [name, t] of g.tensors) must(wholeDims(t.shape), `tensor ${name} with dims ${JSON.stringify(t.shape)}`);
  } catch (e) {
    throw new Error(`ONNX file: accepted a wrong graph from (base64) ${show()}: ${(e as Error).message}`);
  }
  return 'accepted';
}

/** Fuzzes the reader with `runs` inputs; returns how many were accepted and refused, and the slowest input's time. Throws on the first failure (shrunk). */
export async function fuzzOnnx(file: string, runs: number, seed?: number): Promise<Record<OnnxOutcome, number> & { slowestMs: number }> {
  const counts = { accepted: 0, refused: 0, slowestMs: 0 };
  const seeds = onnxSeeds();
  await fc.assert(
    fc.asyncProperty(mutatedOnnx(seeds), async (bytes) => {
      const t0 = performance.now();
      counts[await runOnnxOne(file, bytes)]++;
      counts.slowestMs = Math.max(counts.slowestMs, performance.now() - t0);
    }),
    { numRuns: runs, seed, endOnFailure: false },
  );
  return counts;
}
