import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { Lut, LutEntry } from '../../lut/format.js';
import { COPY_KEY, COPY_RULE, copiedInputBytes, copyModel, copyModelOf, FEED_KEYS, feedModels, perInputByteMs, perInputMs } from '../../src/onnx/feeds.js';

const entry = (median: number) => ({ stats: { median } }) as unknown as LutEntry;
const lutOf = (e: Record<string, number>) => ({ entries: Object.fromEntries(Object.entries(e).map(([k, v]) => [k, entry(v)])) }) as Pick<Lut, 'entries'>;

describe('the feed models', () => {
  it('run in onnxruntime on their inputs and hand on one element, under their own keys', async () => {
    const models = feedModels();
    expect(models.map((m) => m.key)).toEqual([...FEED_KEYS, COPY_KEY]);
    expect(new Set(models.map((m) => m.key)).size).toBe(3);
    expect(models.map((m) => m.inputs.length)).toEqual([1, 4, 1]);
    for (const m of models) {
      const session = await ort.InferenceSession.create(m.onnx, { intraOpNumThreads: 1 });
      const feeds = Object.fromEntries(m.inputs.map((i) => [i.name, new ort.Tensor('float32', new Float32Array(i.shape.reduce((a, b) => a * b, 1)).fill(1), i.shape)]));
      const out = Object.values(await session.run(feeds));
      expect(out.map((t) => [...t.dims])).toEqual([[1, 1, 1, 1]]);
      expect(out[0].data[0]).toBe(m.inputs.length); // the Sum of its inputs, or the copy's first element
      await session.release();
    }
  });

  it('give the cost of one more input and of one more input byte, never below 0, none without their entries', () => {
    const [one, four] = FEED_KEYS;
    expect(perInputMs(lutOf({ [one]: 0.01, [four]: 0.0145 }))).toBeCloseTo(0.0015, 12);
    expect(perInputMs(lutOf({ [one]: 0.01, [four]: 0.0145 }), 2)).toBeCloseTo(0.003, 12);
    expect(perInputMs(lutOf({ [one]: 0.01, [four]: 0.009 }))).toBe(0);
    expect(perInputMs(lutOf({ [one]: 0.01 }))).toBeUndefined();
    // 256 KiB more input (one element less) for 10.6 µs more: 42.4 µs per MiB
    const perByte = perInputByteMs(lutOf({ [one]: 0.01, [COPY_KEY]: 0.0206 }))!;
    expect(perByte * 2 ** 20 * 1000).toBeCloseTo((10.6 * 4 * 65536) / 65535, 6);
    expect(perInputByteMs(lutOf({ [one]: 0.01, [COPY_KEY]: 0.0099 }))).toBe(0);
    expect(perInputByteMs(lutOf({ [COPY_KEY]: 0.02 }))).toBeUndefined();
  });

  it('build a copy model of any input size that runs and hands on its first element; the LUT\'s one keeps its key', async () => {
    expect(copyModel().key).toBe(COPY_KEY);
    const m = copyModelOf([1, 1, 8, 1024], 'size:32');
    expect(m.key).toMatch(/^onnx:Slice:1x1x8x1024:[0-9a-f]{16}:f32$/);
    expect(m.key).not.toBe(copyModelOf([1, 1, 8, 1024], 'size:other').key);
    const session = await ort.InferenceSession.create(m.onnx, { intraOpNumThreads: 1 });
    const data = Float32Array.from({ length: 8 * 1024 }, (_, i) => i + 7);
    const [out] = Object.values(await session.run({ x: new ort.Tensor('float32', data, [1, 1, 8, 1024]) }));
    expect([...out.dims]).toEqual([1, 1, 1, 1]);
    expect(out.data[0]).toBe(7);
    await session.release();
  });

  it('take the input copy off units within the L2, and off units with weights beyond it only under the weighted rule', () => {
    const L2 = 1 << 20;
    const input = [1, 16, 64, 64]; // 256 KiB
    const within = { bytes: L2 / 2, weightBytes: 0, inputs: [input] };
    const weightedBeyond = { bytes: 3 * L2, weightBytes: 4096, inputs: [input, [1, 1, 1, 1]] };
    const freeBeyond = { bytes: 3 * L2, weightBytes: 0, inputs: [input] };
    for (const rule of ['within-l2', 'weighted'] as const) {
      expect(copiedInputBytes(within, L2, rule)).toBe(4 * 16 * 64 * 64);
      expect(copiedInputBytes(freeBeyond, L2, rule)).toBe(0);
    }
    expect(copiedInputBytes(weightedBeyond, L2, 'within-l2')).toBe(0);
    expect(copiedInputBytes(weightedBeyond, L2, 'weighted')).toBe(4 * (16 * 64 * 64 + 1)); // every run-time input
    // The default is the rule the choose set kept (docs/benchmarks.md, "Issue 17: the input copy beyond the L2").
    expect(copiedInputBytes(weightedBeyond, L2)).toBe(copiedInputBytes(weightedBeyond, L2, COPY_RULE));
  });
});
