/**
 * Size variants of the calibration nets (prefixes closed by a head) and what they let a calibration tell apart:
 * a per-weight-byte cost from a scale, which random nets of one space (same head, similar size) cannot.
 */
import { describe, expect, it } from 'vitest';
import { placeLayers, type Architecture } from '../../src/core/arch.js';
import { lutInstances } from '../../src/core/decompose.js';
import { Rng } from '../../src/core/rng.js';
import { fitCalibration, lutSums, netFamily, type MeasuredNet } from '../../src/predict/calibrate.js';
import { defaultSizeNets, SIZE_VARIANT, sizeVariants } from '../../src/predict/size-variants.js';
import { predict } from '../../src/predict/predictor.js';
import { createMbv2Space } from '../../src/spaces/mbv2.js';
import { syntheticLut } from './fixtures/synthetic-lut.js';

const space = createMbv2Space({ resolution: 64 });
const nets = (seed: number, n: number) => {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => space.build(space.sample(rng)));
};
const blocks = (a: Architecture) => a.layers.filter((l) => l.role === 'block').length;

describe('size variants of the calibration nets', () => {
  it('are prefixes of their base nets closed by the pool and classifier, or by the whole head, at spread cut points', () => {
    const base = nets(1, 10);
    const sizes = sizeVariants(base);
    expect(defaultSizeNets(10)).toBe(5);
    expect(defaultSizeNets(4)).toBe(3);
    expect(defaultSizeNets(2)).toBe(0);
    expect(sizes).toHaveLength(5);
    sizes.forEach((v, j) => {
      const b = base[j];
      expect(v.name.startsWith(b.name)).toBe(true);
      expect(v.name).toMatch(SIZE_VARIANT);
      expect(() => placeLayers(v)).not.toThrow();
      expect(v.space).toBeUndefined();
      expect(netFamily(v)).toBe('mbv2');
      expect(blocks(v)).toBe(Math.max(1, Math.round((blocks(b) * (j + 1)) / 6)));
      expect(v.layers.slice(0, 2)).toEqual(b.layers.slice(0, 2)); // the stem
      const head = v.layers.filter((l) => l.role === 'head').map((l) => l.spec.kind);
      expect(head).toEqual(j % 2 ? ['conv', 'gpool', 'linear'] : ['gpool', 'linear']);
    });
    // The small-head ones carry a fraction of the weights of their size; the whole-head ones the classifier's MiB.
    const lut = syntheticLut([...base, ...sizes].flatMap((a) => lutInstances(a).map((p) => p.inst)), ['mbv2@64']);
    const w = (a: Architecture) => lutSums(lut, a).weightBytes;
    expect(w(sizes[0])).toBeLessThan(0.05 * w(base[0]));
    expect(w(sizes[1])).toBeGreaterThan(0.35 * w(base[1])); // the classifier alone: 1280 × 1000 × 4 bytes
    expect(sizeVariants(base, 0)).toEqual([]);
  });

  it('let the calibration fit a per-weight-byte cost that random nets alone cannot tell from a scale', () => {
    const base = nets(2, 10);
    const sizes = sizeVariants(base);
    const tests = nets(3, 6);
    const lut = syntheticLut([...base, ...sizes, ...tests].flatMap((a) => lutInstances(a).map((p) => p.inst)), ['mbv2@64']);
    // Inside a network each op takes its one-op time and its weights cost 0.02 ms per MiB: small nets and nets
    // with few weight bytes pay less than a scale fitted on random nets says.
    const perByte = 0.02 / 2 ** 20;
    const noise = new Rng(7);
    const time = (a: Architecture) => (lut.overhead.median + lutSums(lut, a).sumMedian + perByte * lutSums(lut, a).weightBytes) * (1 + 0.003 * noise.normal());
    const m = (a: Architecture): MeasuredNet => ({ arch: a, ms: time(a) });
    const withSizes = fitCalibration(lut, [...base, ...sizes].map(m), 'synthetic', { fitWeights: true });
    expect(withSizes.perWeightByteMs! / perByte).toBeGreaterThan(0.8);
    expect(withSizes.perWeightByteMs! / perByte).toBeLessThan(1.2);
    // A small-head prefix: predicted within 2% by the fit with size variants.
    const small = sizeVariants(tests, 3)[0];
    const lutAll = syntheticLut([...base, ...sizes, ...tests, small].flatMap((a) => lutInstances(a).map((p) => p.inst)), ['mbv2@64']);
    const truth = lut.overhead.median + lutSums(lutAll, small).sumMedian + perByte * lutSums(lutAll, small).weightBytes;
    expect(Math.abs(predict({ ...lutAll, calibration: withSizes }, small, { breakdown: false }).ms / truth - 1)).toBeLessThan(0.02);
  });
});
