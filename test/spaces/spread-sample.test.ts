import { describe, expect, it } from 'vitest';
import { archMetrics } from '../../src/core/arch-metrics.js';
import { Rng } from '../../src/core/rng.js';
import type { SearchSpace } from '../../src/core/space.js';
import { createSpace } from '../../src/spaces/registry.js';
import { extremeChoices, spreadSample } from '../../src/spaces/spread-sample.js';

/** 12 decisions of 4 options; cost = Π (1 + choice): from 1 to 4^12, uniform samples near its middle. */
const toy: SearchSpace = {
  id: 'toy',
  description: 'toy',
  resolution: 1,
  decisions: () => Array.from({ length: 12 }, (_, i) => ({ name: `d${i}`, options: ['a', 'b', 'c', 'd'] })),
  build: () => {
    throw new Error('not used');
  },
  sample: (rng) => Array.from({ length: 12 }, () => rng.int(4)),
  allInstances: () => [],
};
const toyCost = (c: readonly number[]) => c.reduce((p, x) => p * (1 + x), 1);

describe('spreadSample', () => {
  it('finds the extremes by coordinate descent', () => {
    const rng = new Rng(3);
    expect(extremeChoices(toy, toy.sample(rng), toyCost, 1).cost).toBe(1);
    expect(extremeChoices(toy, toy.sample(rng), toyCost, -1).cost).toBe(4 ** 12);
  });

  it('spreads distinct nets from the cheapest to the dearest, evenly in log cost', () => {
    const picks = spreadSample(toy, 9, new Rng(1), { cost: toyCost });
    expect(new Set(picks.map((p) => p.choices.join(','))).size).toBe(9);
    const logs = picks.map((p) => Math.log(p.cost));
    // targets 0, 12·ln4/8, …, 12·ln4; each pick within one factor of 2 (one decision's step) of its target
    picks.forEach((p, k) => {
      expect(p.target).toBeCloseTo(Math.exp((12 * Math.log(4) * k) / 8), 6);
      expect(Math.abs(Math.log(p.cost / p.target))).toBeLessThanOrEqual(Math.log(2) + 1e-9);
    });
    expect(logs[0]).toBeLessThan(logs[8] - 10);
    // uniform samples of the toy space span far less: the spread is the point
    const rng = new Rng(1);
    const uniform = Array.from({ length: 200 }, () => Math.log(toyCost(toy.sample(rng))));
    expect(logs[8] - logs[0]).toBeGreaterThan(1.5 * (Math.max(...uniform) - Math.min(...uniform)));
  });

  it('is deterministic for a seed and skips vectors whose cost throws', () => {
    const picky = (c: readonly number[]) => {
      if (c[0] === 3) throw new Error('does not build');
      return toyCost(c);
    };
    const a = spreadSample(toy, 5, new Rng(7), { cost: picky });
    expect(spreadSample(toy, 5, new Rng(7), { cost: picky })).toEqual(a);
    expect(a.every((p) => p.choices[0] !== 3)).toBe(true);
  });

  it('spreads mbv2 nets over about twice the MAC range of uniform samples', () => {
    const space = createSpace('mbv2', { resolution: 32 });
    const macs = (c: readonly number[]) => archMetrics(space.build(c)).macs;
    const picks = spreadSample(space, 4, new Rng(0), { cost: macs });
    const rng = new Rng(0);
    const uniform = Array.from({ length: 100 }, () => macs(space.sample(rng)));
    expect(picks[3].cost / picks[0].cost).toBeGreaterThan((1.5 * Math.max(...uniform)) / Math.min(...uniform));
    for (let k = 1; k < 4; k++) expect(picks[k].cost).toBeGreaterThan(picks[k - 1].cost);
  });
});
