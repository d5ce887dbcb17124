import { describe, expect, it } from 'vitest';
import { batchIndices, epochOrder, gatherBatch, orderedBatches } from '../../src/data/batches.js';
import { prepare } from '../../src/data/prepare.js';
import type { ImageSet } from '../../src/data/types.js';

/** n images of 4x4x2 whose pixels encode (image, channel) so we can trace them. */
function fakeSet(n: number): ImageSet {
  const pixels = new Uint8Array(n * 4 * 4 * 2);
  for (let i = 0; i < n; i++) for (let p = 0; p < 16; p++) {
    pixels[(i * 16 + p) * 2] = i;
    pixels[(i * 16 + p) * 2 + 1] = 100 + (p % 4) * 10;
  }
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
  return { name: 'fake', part: 'train', source: 'mem', count: n, height: 4, width: 4, channels: 2, classes: 3, classNames: ['a', 'b', 'c'], pixels, labels };
}

describe('prepare', () => {
  it('splits a seeded subset without overlap, the same for the same seed', () => {
    const set = fakeSet(50);
    const a = prepare(set, { limit: 20, validation: 0.25, seed: 4 });
    expect([a.train.count, a.validation.count]).toEqual([15, 5]);
    const used = new Set([...a.trainIndices, ...a.validationIndices]);
    expect(used.size).toBe(20);
    const b = prepare(set, { limit: 20, validation: 5, seed: 4 });
    expect([...b.trainIndices]).toEqual([...a.trainIndices]);
    expect([...prepare(set, { limit: 20, validation: 5, seed: 5 }).trainIndices]).not.toEqual([...a.trainIndices]);
    // Labels follow their images.
    a.trainIndices.forEach((idx, i) => expect(a.train.labels[i]).toBe(idx % 3));
  });

  it('normalises per channel with the training statistics', () => {
    const p = prepare(fakeSet(40), { validation: 8, seed: 1 });
    for (let ch = 0; ch < 2; ch++) {
      let s = 0;
      let q = 0;
      for (let i = ch; i < p.train.x.length; i += 2) {
        s += p.train.x[i];
        q += p.train.x[i] * p.train.x[i];
      }
      const n = p.train.x.length / 2;
      expect(s / n).toBeCloseTo(0, 5);
      expect(q / n).toBeCloseTo(1, 4);
    }
    expect(p.normalisation.mean[1]).toBeCloseTo(115 / 255, 6);
  });

  it('down-scales by average pooling', () => {
    const p = prepare(fakeSet(10), { validation: 2, downscale: 2, normalisation: { mean: [0, 0], std: [1, 1] } });
    expect([p.train.height, p.train.width]).toEqual([2, 2]);
    // Channel 1 of the left 2x2 block averages columns 0 and 1: (100 + 110) / 2.
    expect(p.train.x[1]).toBeCloseTo(105 / 255, 6);
    expect(p.train.x[3]).toBeCloseTo(125 / 255, 6);
  });

  it('rejects bad options with what to use instead', () => {
    const set = fakeSet(10);
    expect(() => prepare(set, { downscale: 3 })).toThrow(/whole factor of the image size 4x4/);
    expect(() => prepare(set, { validation: 10 })).toThrow(/leaves none to train on/);
    expect(() => prepare(set, { validation: 1.5 })).toThrow(/fraction/);
    expect(() => prepare(set, { limit: 1 })).toThrow(/limit/);
  });
});

describe('batches', () => {
  it('shuffles per (seed, epoch) and gathers NHWC batches', () => {
    const p = prepare(fakeSet(30), { validation: 0, seed: 2, normalisation: { mean: [0, 0], std: [1, 1] } });
    const o1 = epochOrder(p.train.count, 7, 0);
    expect([...epochOrder(p.train.count, 7, 0)]).toEqual([...o1]);
    expect([...epochOrder(p.train.count, 7, 1)]).not.toEqual([...o1]);
    expect([...o1].sort((a, b) => a - b)).toEqual([...Array(30).keys()]);
    const idx = batchIndices(o1, 8, 3);
    expect(idx.length).toBe(6);
    const b = gatherBatch(p.train, idx);
    expect(b.x.length).toBe(6 * 32);
    expect(b.x[0]).toBeCloseTo(p.trainIndices[idx[0]] / 255, 6);
    expect([...orderedBatches(p.train, 8)].map((x) => x.count)).toEqual([8, 8, 8, 6]);
  });
});
