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
 */
import { createHash } from 'node:crypto';
import onnxProto from 'onnx-proto';
import type { ModelUnderTest } from '../../devices/types.js';
import type { Lut } from '../../lut/format.js';

const { onnx } = onnxProto;

/** How many inputs each feed model sums. */
export const FEED_INPUTS = [1, 4] as const;

const SHAPE = [1, 1, 1, 1];

/** The LUT key of the feed model with `inputs` one-element inputs (a Sum: onnx:Sum:1x1x1x1:<hash>:f32). */
export const feedKey = (inputs: number): string => `onnx:Sum:${SHAPE.join('x')}:${createHash('sha256').update(`feeds:${inputs}`).digest('hex').slice(0, 16)}:f32`;

export const FEED_KEYS = FEED_INPUTS.map(feedKey);

/** The feed model with `inputs` one-element float inputs, summed into one output. */
export function feedModel(inputs: number): ModelUnderTest & { outputs: number[][] } {
  const names = Array.from({ length: inputs }, (_, i) => `x${i}`);
  const vi = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: SHAPE.map((d) => ({ dimValue: d })) } } } });
  const key = feedKey(inputs);
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'hw-nas feed model',
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: key, node: [{ name: 'sum', opType: 'Sum', input: names, output: ['y'] }], input: names.map(vi), output: [vi('y')] },
  });
  return { key, onnx: onnx.ModelProto.encode(model).finish(), inputs: names.map((name) => ({ name, shape: [...SHAPE] })), ops: [], outputs: [[...SHAPE]] };
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
