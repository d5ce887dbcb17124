/**
 * What a timed onnxruntime run returns (device option `outputs`).
 *
 * Every session.run hands each graph output to JavaScript as a new array: onnxruntime-node 1.30 allocates a
 * zero-filled ArrayBuffer and copies the output into it (large ones are fresh pages, faulted in on every run),
 * even for an output pre-allocated and passed as `fetches` (then it writes the output into that tensor and
 * still returns a copy: measured, docs/benchmarks.md "Unit outputs"); onnxruntime-web copies it out of the wasm
 * heap. A network pays that once, for its final output; a unit timed alone pays it for what is, inside a
 * network, an intermediate tensor that stays in the session's planned memory. So by default every model is
 * timed with its outputs kept inside the session, as a network keeps its intermediates:
 *
 *   sliced  each graph output is read by a Slice of its first element, and that one element is what the run
 *           returns; the output itself becomes an intermediate tensor of the session (its memory planned once
 *           and reused). What a Slice costs is in the overhead model too (it is timed the same way), so the
 *           LUT's overhead subtraction removes it.
 *   full    the model as it is: every output copied out on every run (every LUT measured before the option).
 *
 * A network is timed the same way, so its figure leaves out the copy of its own final outputs into JS (an
 * application pays that once per run, per MB of output: docs/devices.md).
 */
import { enumOption } from './options.js';
import type { DeviceOptions } from './types.js';

export const OUTPUT_MODES = ['sliced', 'full'] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

/**
 * The `outputs` option every onnxruntime device that returns outputs to JavaScript reads: default sliced, except
 * where the outputs already stay on the GPU (onnxruntime-web's WebGPU EP with gpu-buffer outputs: 'full' reads
 * nothing back, and a Slice would only add a dispatch; docs/devices.md).
 */
export const outputsOption = (device: string, options: DeviceOptions, fallback: OutputMode = 'sliced'): OutputMode =>
  enumOption(device, options, 'outputs', OUTPUT_MODES, fallback);

/** What LUTs measured before the option was recorded did (lut/validate.ts fills it in for them). */
export const LEGACY_OUTPUT_MODE: OutputMode = 'full';

/** Suffix of the one-element outputs slicedOutputs adds (an output `y` is returned as `y__first`). */
export const SLICED_SUFFIX = '__first';

/**
 * `bytes` with every graph output of rank ≥ 1 and known non-zero dims replaced by a Slice of its first element
 * (all other outputs, a scalar say, are left as they are). Bytes that do not decode as an ONNX model are
 * returned unchanged, so that loading them fails with the runtime's own message.
 */
export async function slicedOutputs(bytes: Uint8Array): Promise<Uint8Array> {
  const { default: onnxProto } = await import('onnx-proto');
  const { onnx } = onnxProto;
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    return bytes;
  }
  const graph = model.graph;
  if (!graph?.output?.length) return bytes;
  const opset = Number(model.opsetImport?.find((o) => !o.domain)?.version ?? 0);
  const taken = new Set([...(graph.node ?? []).flatMap((n) => n.output ?? []), ...(graph.input ?? []).map((i) => i.name), ...(graph.initializer ?? []).map((t) => t.name)]);
  const fresh = (name: string) => {
    let n = name;
    for (let i = 2; taken.has(n); i++) n = `${name}${i}`;
    taken.add(n);
    return n;
  };
  let changed = false;
  graph.output = graph.output.map((out) => {
    const dims = out.type?.tensorType?.shape?.dim ?? [];
    const known = dims.every((d) => d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0);
    if (!out.name || !out.type?.tensorType || dims.length === 0 || !known) return out;
    changed = true;
    const first = fresh(`${out.name}${SLICED_SUFFIX}`);
    const ones = dims.map(() => 1);
    if (opset >= 10) {
      const starts = fresh(`${out.name}__starts`);
      const ends = fresh(`${out.name}__ends`);
      const int64 = (name: string, values: number[]) => ({ name, dataType: onnx.TensorProto.DataType.INT64, dims: [values.length], int64Data: values });
      graph.initializer = [...(graph.initializer ?? []), int64(starts, dims.map(() => 0)), int64(ends, ones)];
      graph.node = [...(graph.node ?? []), { opType: 'Slice', input: [out.name, starts, ends], output: [first], name: first }];
    } else {
      // Opsets 1–9 take starts and ends as attributes.
      const ints = (name: string, values: number[]) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
      graph.node = [...(graph.node ?? []), { opType: 'Slice', input: [out.name], output: [first], name: first, attribute: [ints('starts', dims.map(() => 0)), ints('ends', ones)] }];
    }
    return { name: first, type: { tensorType: { elemType: out.type.tensorType.elemType, shape: { dim: ones.map((d) => ({ dimValue: d })) } } } };
  });
  return changed ? onnx.ModelProto.encode(model).finish() : bytes;
}

/**
 * Rewrites already made, by the identity of the bytes they were made from. A model is timed in several rounds
 * (and a LUT's overhead model many times), each a time() call with the same ModelUnderTest, so its bytes are
 * decoded and encoded once; a model the ModelCache could not keep is exported again for each round (new bytes,
 * rewritten again, as it is exported again). Weak keys: an entry goes when its model does.
 */
const sliced = new WeakMap<Uint8Array, Promise<Uint8Array>>();

/** The bytes a device with output mode `mode` times for `bytes` (the rewrite made once per model). */
export function timedBytes(bytes: Uint8Array, mode: OutputMode): Promise<Uint8Array> {
  if (mode !== 'sliced') return Promise.resolve(bytes);
  let made = sliced.get(bytes);
  if (!made) {
    made = slicedOutputs(bytes);
    sliced.set(bytes, made);
    // A failed rewrite is not kept: the next call tries again (and fails with its own message).
    made.catch(() => sliced.delete(bytes));
  }
  return made;
}
