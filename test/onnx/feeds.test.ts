import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { Lut, LutEntry } from '../../lut/format.js';
import { COPY_KEY, FEED_KEYS, feedModels, perInputByteMs, perInputMs } from '../../src/onnx/feeds.js';

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
});
