/**
 * What a unit timed alone pays per run for each run-time input beyond its first: the harness feeds every graph
 * input on every run (onnxruntime-node wraps each caller's tensor; onnxruntime-web copies it into its heap), and the
 * overhead model every net subtracts (export/model.ts, overheadModel) has one input. Inside its file a unit is fed
 * nothing: its inputs are what the kernels before it wrote. Measured on ort-cpu (bench/unit-io-cost.ts; load 12):
 * 1.5–1.7 µs per extra one-element input, against 5–8 µs for a small element-wise unit; PaddleOCR's mobile classifier
 * has 34 such inputs in its 148 units (hard-swish Muls, SE Muls, residual Adds fused into their convs), ~7% of
 * the file (docs/benchmarks.md, "Issue 17: a larger third-party set").
 *
 * So the LUT holds two feed models timed in the units' passes — a Sum of one and of four one-element inputs
 * (FEED_KEYS) — and the prediction counts every unit at its figure less `perInputMs` × (its run-time inputs − 1),
 * perInputMs = (four − one) / 3 (src/onnx/predict.ts). Not for a unit counted at its in-chain figure: (twice − once)
 * feeds nothing more. A LUT without the two entries predicts as before.
 *
 * And per byte: onnxruntime-web copies every input into its heap on every run (42 µs per MiB), which a unit alone
 * pays for the tensors the kernels before it wrote in the file. A third model (COPY_KEY: a Slice of the first element
 * of a 256 KiB input) gives `perInputByteMs`; a unit whose activations fit in a core's L2 (chainMaxBytes, as the
 * in-chain figures) is counted less perInputByteMs × its run-time input bytes. Beyond the L2 it is not: a large
 * tensor streams from farther inside the file too (PP-OCRv4 det's large element-wise units on wasm run many times
 * slower in the file than alone, docs/benchmarks.md "Issue 17, sixth pass"). On ort-cpu the per-byte figure is ~0
 * (onnxruntime-node binds the caller's buffer).
 */
import { createHash } from 'node:crypto';
import onnxProto from 'onnx-proto';
import type { ModelUnderTest } from '../../devices/types.js';
import type { Lut } from '../../lut/format.js';

const { onnx } = onnxProto;

/** A feed model: its ONNX op (what its LUT record names) and its outputs' shapes beside the model. */
export type FeedModel = ModelUnderTest & { op: string; outputs: number[][] };

/** How many inputs each feed model sums. */
export const FEED_INPUTS = [1, 4] as const;

const SHAPE = [1, 1, 1, 1];

/** The LUT key of the feed model with `inputs` one-element inputs (a Sum: onnx:Sum:1x1x1x1:<hash>:f32). */
export const feedKey = (inputs: number): string => `onnx:Sum:${SHAPE.join('x')}:${createHash('sha256').update(`feeds:${inputs}`).digest('hex').slice(0, 16)}:f32`;

export const FEED_KEYS = FEED_INPUTS.map(feedKey);

/** The input shape of the copy model: 256 KiB, within any core's L2, large enough for its copy to show. */
const COPY_SHAPE = [1, 1, 256, 256];

/** The LUT key of the copy model (a Slice of the first element of its one input: onnx:Slice:1x1x256x256:<hash>:f32). */
export const COPY_KEY = `onnx:Slice:${COPY_SHAPE.join('x')}:${createHash('sha256').update('feeds:copy').digest('hex').slice(0, 16)}:f32`;

/**
 * The copy model: one input of COPY_SHAPE of which a Slice takes the first element. Against the one-input feed model
 * (one element), what feeding 256 KiB more costs per run: onnxruntime-web copies every input into its heap (42 µs
 * per MiB measured), onnxruntime-node wraps the caller's buffer (nothing per byte).
 */
export const copyModel = (): FeedModel => copyModelOf(COPY_SHAPE, 'feeds:copy', COPY_KEY);

/** A copy model on an input of `shape` (a Slice of its first element), keyed by `tag` unless `key` is given. */
export function copyModelOf(shape: number[], tag: string, key = `onnx:Slice:${shape.join('x')}:${createHash('sha256').update(tag).digest('hex').slice(0, 16)}:f32`): FeedModel {
  const int64 = (name: string, v: number[]) => ({ name, dataType: 7, dims: [v.length], int64Data: v });
  const vi = (name: string, s: number[]) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: s.map((d) => ({ dimValue: d })) } } } });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'hw-nas feed model',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: key,
      node: [{ name: 'first', opType: 'Slice', input: ['x', 'starts', 'ends'], output: ['y'] }],
      initializer: [int64('starts', shape.map(() => 0)), int64('ends', shape.map(() => 1))],
      input: [vi('x', shape)],
      output: [vi('y', SHAPE)],
    },
  });
  return { key, op: 'Slice', onnx: onnx.ModelProto.encode(model).finish(), inputs: [{ name: 'x', shape: [...shape] }], ops: [], outputs: [[...SHAPE]] };
}

/**
 * Which units are counted less the copy of their run-time input bytes (perInputByteMs each byte; never a unit at its
 * in-chain figure, which feeds nothing more):
 *
 *   within-l2  units whose activations (inputs + outputs) fit in a core's L2 (the rule of "Issue 17: a larger
 *              third-party set");
 *   weighted   those, and every unit with weights whatever its size.
 *
 * Why the second: onnxruntime-web's input copy costs the same per byte from 64 KiB to 8 MiB (38–49 µs per MiB,
 * bench/feed-copy-size.ts), so a unit alone pays it whatever its size, and inside the file no unit does. What decides
 * whether taking it off is right is the unit's kernel: the runtime's own profiler (bench/onnx-file-cost.ts) puts the
 * kernels of units with weights beyond the L2 at the same time inside the file as alone (BlazeFace back 22.79 /
 * 22.66 ms for the whole file, whose units' sum is 15% over the file because of the copy alone; PP-OCRv4 det's
 * and rec's weighted units beyond the L2 0.97 / 0.95 of alone), while weight-free element-wise units on activations
 * beyond the L2 run slower inside the file than alone, by more than their copy (PP-OCRv4 det 4.8 → 17.6 ms, rec
 * 6.4 → 11.8 ms; cause not found): those keep their figure alone, copy included, under either rule.
 *
 * Judged on the files the rules are chosen on (our own nets, the seven older third-party files) by replaying three
 * wasm runs (bench/onnx-replay-feeds.ts): `weighted` moved PP-OCRv4 det 1.5 points further down in each (out of ±10%
 * in the quiet one) for a slightly lower error on our nets, so `within-l2` stays the default; held out, `weighted` put
 * BlazeFace back at +3% against +11%. `weighted` is the rule to make the default once the weight-free units'
 * slowdown beyond the L2 is modelled.
 */
export type CopyRule = 'within-l2' | 'weighted';

/** The rule predictOnnx uses unless told otherwise (docs/benchmarks.md, "Issue 17: the input copy beyond the L2"). */
export const COPY_RULE: CopyRule = 'within-l2';

/** The run-time input bytes a unit's figure alone holds the copy of and its file does not pay, under `rule`. */
export function copiedInputBytes(u: { bytes: number; weightBytes: number; inputs: readonly number[][] }, maxBytes: number, rule: CopyRule = COPY_RULE): number {
  const counted = u.bytes <= maxBytes || (rule === 'weighted' && u.weightBytes > 0);
  return counted ? 4 * u.inputs.reduce((t, x) => t + x.reduce((a, b) => a * b, 1), 0) : 0;
}

/** Every model the feed correction reads, by key. */
export const feedModels = (): FeedModel[] => [...FEED_INPUTS.map(feedModel), copyModel()];

/** The feed model with `inputs` one-element float inputs, summed into one output. */
export function feedModel(inputs: number): FeedModel {
  const names = Array.from({ length: inputs }, (_, i) => `x${i}`);
  const vi = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: SHAPE.map((d) => ({ dimValue: d })) } } } });
  const key = feedKey(inputs);
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'hw-nas feed model',
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: key, node: [{ name: 'sum', opType: 'Sum', input: names, output: ['y'] }], input: names.map(vi), output: [vi('y')] },
  });
  return { key, op: 'Sum', onnx: onnx.ModelProto.encode(model).finish(), inputs: names.map((name) => ({ name, shape: [...SHAPE] })), ops: [], outputs: [[...SHAPE]] };
}

/**
 * The LUT's cost of one more run-time input, ms (in the scale of its medians: `scale` multiplies, as a calibration's
 * does), from its two feed entries; undefined when it has not both. Never negative.
 */
export function perInputMs(lut: Pick<Lut, 'entries'>, scale = 1): number | undefined {
  const [one, four] = FEED_KEYS.map((k) => (Object.hasOwn(lut.entries, k) ? lut.entries[k] : undefined));
  if (!one || !four) return undefined;
  return Math.max(0, (scale * (four.stats.median - one.stats.median)) / (FEED_INPUTS[1] - FEED_INPUTS[0]));
}

/**
 * The LUT's cost of feeding one more byte of input, ms (copy model − one-input feed model, per byte of their inputs'
 * difference); undefined without both entries. Never negative.
 */
export function perInputByteMs(lut: Pick<Lut, 'entries'>, scale = 1): number | undefined {
  const one = Object.hasOwn(lut.entries, FEED_KEYS[0]) ? lut.entries[FEED_KEYS[0]] : undefined;
  const copy = Object.hasOwn(lut.entries, COPY_KEY) ? lut.entries[COPY_KEY] : undefined;
  if (!one || !copy) return undefined;
  const bytes = 4 * (COPY_SHAPE.reduce((a, b) => a * b, 1) - 1);
  return Math.max(0, (scale * (copy.stats.median - one.stats.median)) / bytes);
}

/**
 * The devices whose predictions take the feeds off by default (predictOnnx's `feeds`; the entries are measured on
 * every onnxruntime device). Chosen on the files the rules are chosen on (our own nets and the seven older third-party files),
 * in three ort-cpu and two wasm runs (docs/benchmarks.md, "Issue 17: a larger third-party set"): on wasm both terms
 * helped (PP-OCR cls +5.5% → −0.5%, our nets' mean error lower in both runs); on ort-cpu the per-byte term is 0 and the
 * per-input one moved cls by 1.3–1.6 points while our nets, through the in-file fit refitted on the corrected sums,
 * came out worse in two of three runs (random mbv2 within ±10% 10/10 → 8/10 in one): not by default there.
 */
export const FEEDS_BY_DEFAULT: ReadonlySet<string> = new Set(['wasm']);
