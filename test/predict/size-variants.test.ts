/** Size variants of the calibration nets (prefixes closed by a head): smaller nets, weight bytes unlike their size. */
import { describe, expect, it } from 'vitest';
import { placeLayers, type Architecture } from '../../src/core/arch.js';
import { lutInstances } from '../../src/core/decompose.js';
import { Rng } from '../../src/core/rng.js';
import { lutSums, netFamily } from '../../src/predict/calibrate.js';
import { SIZE_VARIANT, sizeVariants } from '../../src/predict/size-variants.js';
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
    const sizes = sizeVariants(base, 5);
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

});
