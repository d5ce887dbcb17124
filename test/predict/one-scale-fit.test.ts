/**
 * What `nas profile --calibrate` keeps on ort-cpu when the weight cost is measured (src/predict/one-scale-fit.ts):
 * one scale over the whole prediction, the ops less their own edge reorders, the weight cost paid beyond a cache
 * share chosen on the plain calibration nets (issue 13: replayed on 23 runs, better than the choice among models).
 */
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../src/core/arch.js';
import { contextVariants } from '../../src/core/context-class.js';
import { lutInstances } from '../../src/core/decompose.js';
import { opKey } from '../../src/core/keys.js';
import { Rng } from '../../src/core/rng.js';
import { lutSums } from '../../src/predict/calibrate.js';
import { chooseContextFit, keepCalibration } from '../../src/predict/context-fit.js';
import { fitOneScale } from '../../src/predict/one-scale-fit.js';
import { ownEdgeMs, predict } from '../../src/predict/predictor.js';
import { createMbv2Space } from '../../src/spaces/mbv2.js';
import type { Lut } from '../../lut/format.js';
import { syntheticLut } from './fixtures/synthetic-lut.js';

describe('the one-scale calibration kept with a measured weight cost', () => {
  const space = createMbv2Space({ resolution: 64 });
  const nets = (seed: number, n: number) => {
    const r = new Rng(seed);
    return Array.from({ length: n }, () => space.build(space.sample(r)));
  };
  const plainArchs = nets(1, 12);
  const variantArchs = contextVariants(plainArchs, ['se'], 3, 4);
  const base = syntheticLut([...space.allInstances(), ...variantArchs.flatMap((a) => lutInstances(a).map((p) => p.inst))], ['mbv2@64']);
  const rng = new Rng(7);
  const lut: Lut = {
    ...base,
    entries: Object.fromEntries(Object.entries(base.entries).map(([k, e]) => [k, { ...e, ownLayout: { reorders: 2, kernelMs: 0.5 * e.stats.median, edgeReorders: 2, edgeMs: (0.05 + 0.2 * rng.next()) * e.stats.median, runs: 5 } }])),
  };
  const MiB = 2 ** 20;
  const perWeightByteMs = 3e-8;
  const cache = 4 * MiB;
  const ov = lut.overhead.median;
  const edges = (a: Architecture) => lutInstances(a).reduce((t, { inst }) => t + ownEdgeMs(lut.entries[opKey(inst)]), 0);
  // Networks that pay 1.15 × (overhead + each op's one-op time less its session overhead and its edge reorders + the weights beyond 4 MiB).
  const time = (a: Architecture) => {
    const s = lutSums(lut, a);
    return 1.15 * (ov + s.sumMedian - edges(a) - s.ops * ov + perWeightByteMs * Math.max(0, s.weightBytes - cache));
  };
  const plain = plainArchs.map((arch) => ({ arch, ms: time(arch) }));
  const variants = variantArchs.map((arch) => ({ arch, ms: time(arch) }));

  it('recovers the scale and the cache share, and predicts other networks with them (the weight cost scaled too)', () => {
    const fit = fitOneScale(lut, plain, perWeightByteMs, 'synthetic', [0, 2, 4, 6, 8]);
    expect(fit.cacheMiB).toBe(4);
    expect(fit.calibration.scale).toBeCloseTo(1.15, 9);
    expect(fit.calibration.perWeightByteMs).toBeCloseTo(1.15 * perWeightByteMs, 15);
    const c = chooseContextFit(lut, plain, variants, ['se'], 'synthetic', { perWeightByteMs, weightCacheMiB: [0, 2, 4, 6, 8] }).calibration!;
    expect(c.context?.kept).toBe('plain-nets');
    expect(c.classScales).toBeUndefined();
    expect(c.lessOwnEdges).toBe(true);
    expect(c.weightCacheBytes).toBe(cache);
    const other = nets(2, 1)[0];
    expect(predict({ ...lut, calibration: c }, other, { breakdown: false }).ms / time(other)).toBeCloseTo(1, 9);
    // The rule before (the choice among models, the measured weight cost unscaled) does not reach it.
    const before = chooseContextFit(lut, plain, variants, ['se'], 'synthetic', { perWeightByteMs, weightCacheMiB: [0, 2, 4, 6, 8], keep: 'choose' }).calibration!;
    expect(Math.abs(predict({ ...lut, calibration: before }, other, { breakdown: false }).ms / time(other) - 1)).toBeGreaterThan(1e-4);
  });

  it('is not kept where the plain sum predicts the networks as well', () => {
    const asSum = plain.map(({ arch }) => ({ arch, ms: predict({ ...lut, calibration: undefined }, arch, { breakdown: false }).ms }));
    const choice = chooseContextFit(lut, asSum, [], [], 'synthetic', { perWeightByteMs });
    expect(choice.calibration).toBeUndefined();
    expect(choice.message).toMatch(/not kept/);
  });

  it('is what a calibration without in-context variants keeps too (a space whose ops have no class, or whose blocks cannot carry it: mbv2, regnet)', () => {
    const kept = keepCalibration(lut, plain, [], [], 'synthetic', { perWeightByteMs, weightCacheMiB: [0, 2, 4, 6, 8] });
    expect(kept.calibration?.reason).toMatch(/^one-scale fit on the 12 plain networks kept/);
    expect(kept.calibration).toMatchObject({ scale: expect.closeTo(1.15, 9), lessOwnEdges: true, weightCacheBytes: cache });
    expect(kept.calibration?.classScales).toBeUndefined();
    // Without the weight cost, the fit on the plain networks where it beats the plain sum (as before); never the one scale.
    const without = keepCalibration(lut, plain, [], [], 'synthetic');
    expect(without.calibration?.reason ?? '').toMatch(/^fit kept/);
    expect(without.calibration?.lessOwnEdges === true && without.calibration?.weightCacheBytes !== undefined).toBe(false);
    // With variants it is the context choice's answer.
    expect(keepCalibration(lut, plain, variants, ['se'], 'synthetic', { perWeightByteMs, weightCacheMiB: [0, 2, 4, 6, 8] }).calibration).toMatchObject({ scale: expect.closeTo(1.15, 9) });
  });

  it('keeps nothing without variants where the plain sum predicts as well, and says why', () => {
    const asSum = plain.map(({ arch }) => ({ arch, ms: predict({ ...lut, calibration: undefined }, arch, { breakdown: false }).ms }));
    for (const opts of [{ perWeightByteMs }, {}]) {
      const kept = keepCalibration(lut, asSum, [], [], 'synthetic', opts);
      expect(kept.calibration).toBeUndefined();
      expect(kept.message).toMatch(/not kept, the plain LUT sum predicts as well/);
    }
  });

  it('leaves LUTs without a measured weight cost to the choice among models', () => {
    const c = chooseContextFit(lut, plain, variants, ['se'], 'synthetic').calibration;
    expect(c?.context?.reason ?? '').not.toMatch(/one-scale/);
  });
});
