/**
 * The depth sampler (sampler.ts): single paths whose number of skipped layers is uniform, so shallow
 * sub-networks are trained as often as deep ones (the uniform sampler almost never trains them).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { useTrainingBackend } from '../../src/train/backend.js';
import { Rng } from '../../src/core/rng.js';
import { createSpace } from '../../src/spaces/registry.js';
import { adaptArchitecture } from '../../src/train/train-evaluator.js';
import { CandidateTable } from '../../src/train/supernet/candidates.js';
import { checkSampler, extremes, pathsPerStep, samplePaths } from '../../src/train/supernet/sampler.js';
import { Supernet } from '../../src/train/supernet/supernet.js';
import { syntheticData, TinySpace } from './supernet-fixtures.js';

// mbv2-like: 6 layers without skip (6 options), 15 with (6 options + skip, cost 0, last)
const costs = Array.from({ length: 21 }, (_, i) => (i % 4 === 0 ? [1, 2, 3, 4, 5, 6] : [1, 2, 3, 4, 5, 6, 0]));
const counts = costs.map((c) => c.length);
const skippable = costs.filter((c) => c.includes(0)).length;
const skipped = (p: number[]) => p.filter((o, i) => costs[i][o] === 0).length;

beforeAll(async () => {
  await useTrainingBackend('wasm');
});

describe('depth sampler', () => {
  it('one path a step, the same for the same (seed, step); the number of skipped layers is uniform over 0..L, the uniform sampler concentrates it', () => {
    expect(skippable).toBe(15);
    expect(checkSampler('depth')).toBe('depth');
    expect(pathsPerStep('depth', counts)).toBe(1);
    const steps = 3200;
    const hist = new Array<number>(skippable + 1).fill(0);
    const uniformHist = new Array<number>(skippable + 1).fill(0);
    const kept = new Array<number>(6).fill(0);
    for (let step = 0; step < steps; step++) {
      const paths = samplePaths('depth', counts, 3, step, costs);
      expect(paths).toHaveLength(1);
      const p = paths[0];
      p.forEach((o, i) => expect(Number.isInteger(o) && o >= 0 && o < counts[i]).toBe(true));
      expect(samplePaths('depth', counts, 3, step, costs)).toEqual(paths);
      hist[skipped(p)]++;
      p.forEach((o, i) => costs[i][o] > 0 && kept[o]++);
      uniformHist[skipped(samplePaths('uniform', counts, 3, step)[0])]++;
    }
    // uniform over 16 counts: 200 each expected (binomial sd ~14); the bounds are ~7 sd wide
    for (const n of hist) expect(n).toBeGreaterThan(100);
    for (const n of hist) expect(n).toBeLessThan(300);
    // the uniform sampler: skip count ~ Binomial(15, 1/7), mean ~2; 8 or more skipped almost never
    expect(uniformHist.slice(8).reduce((a, b) => a + b, 0)).toBeLessThan(steps / 100);
    expect(hist.slice(8).reduce((a, b) => a + b, 0)).toBeGreaterThan(steps / 3);
    // the kept options are uniform among themselves
    const mean = kept.reduce((a, b) => a + b, 0) / kept.length;
    for (const n of kept) expect(Math.abs(n - mean) / mean).toBeLessThan(0.1);
    expect(() => samplePaths('depth', counts, 3, 0)).toThrow(/cost/);
  });

  it("draws the sandwich's random paths by depth too: the largest and the smallest every step, the skips of the others uniform over 0..L", () => {
    const { largest, smallest } = extremes(costs);
    const steps = 1600;
    const hist = new Array<number>(skippable + 1).fill(0);
    for (let step = 0; step < steps; step++) {
      const paths = samplePaths('sandwich', counts, 5, step, costs);
      expect(paths).toHaveLength(4);
      expect(paths[0]).toEqual(largest);
      expect(paths[1]).toEqual(smallest);
      for (const p of paths.slice(2)) hist[skipped(p)]++;
    }
    // 3,200 random paths, 200 per count expected; uniform random options would put under 1% at 8 or more skipped
    for (const n of hist) expect(n).toBeGreaterThan(100);
    for (const n of hist) expect(n).toBeLessThan(300);
    expect(hist.slice(8).reduce((a, b) => a + b, 0)).toBeGreaterThan((2 * steps) / 3);
  });

  it('trains a supernet (one path a step) and refuses in-place distillation', async () => {
    const data = syntheticData();
    const s = new Supernet(CandidateTable.build(new TinySpace(), data.train, 10, 1, 'nested'));
    try {
      const r = await s.train(data.train, { epochs: 1, batchSize: 16, sampler: 'depth', seed: 2 });
      expect(r.paths).toBe(r.steps);
      expect(Number.isFinite(r.loss)).toBe(true);
      // every step trained one option per layer
      r.optionCounts.forEach((c) => expect(c.reduce((a, b) => a + b, 0)).toBe(r.steps));
      await expect(s.train(data.train, { epochs: 1, batchSize: 16, sampler: 'depth', distill: true })).rejects.toThrow(UserError);
    } finally {
      s.dispose();
    }
  });
});

describe('the sub-network a supernet score is computed for', () => {
  it('is, on mbv2, exactly the architecture the stand-alone reference trains (adaptArchitecture), the shallowest and the deepest too', () => {
    const mbv2 = createSpace('mbv2', { resolution: 32 });
    const image = { channels: 1, height: 14, width: 14 };
    const t = CandidateTable.build(mbv2, image, 10, 0, 'nested');
    try {
      const { largest, smallest } = extremes(t.optionMacs());
      const rng = new Rng(5);
      for (const c of [smallest, largest, ...Array.from({ length: 4 }, () => mbv2.sample(rng))]) {
        const arch = mbv2.build(c);
        const choices = t.choicesOf(arch);
        expect(choices).toEqual(c);
        const path = t.path(choices);
        // the stand-alone bench trains new Network(adaptArchitecture(arch, image, classes))
        expect(path.arch).toEqual(adaptArchitecture(arch, image, 10));
        expect(path.modules).toHaveLength(path.arch.layers.length);
      }
    } finally {
      t.dispose();
    }
  });
});
