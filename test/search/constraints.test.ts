import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { archMetrics } from '../../src/core/arch-metrics.js';
import { graphMetrics } from '../../src/core/graph/metrics.js';
import { lowerArchitecture } from '../../src/core/lower/index.js';
import { Rng } from '../../src/core/rng.js';
import { checkReachable, limitPenalty, metricLatencySource, normalizeLimits, smallestMember, withinLimits } from '../../src/search/constraints.js';
import { readFrontFile } from '../../src/search/front-file.js';
import { runSearchJob } from '../../src/search/job.js';
import { RandomSearch } from '../../src/search/strategies/random.js';
import { EvolutionSearch } from '../../src/search/strategies/evolution.js';
import type { Searcher } from '../../src/search/types.js';
import { createSpace } from '../../src/spaces/registry.js';
import { nb201Context } from './fixtures.js';

const regnet = createSpace('regnet', { resolution: 32 });
const samples = (space: typeof regnet, n: number, seed = 1) => {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => space.build(space.sample(rng)));
};

describe('cost constraints', () => {
  it('reads metrics from the one graph', () => {
    const [arch] = samples(regnet, 1);
    expect(archMetrics(arch)).toEqual(graphMetrics(lowerArchitecture(arch)));
    expect(metricLatencySource('activations').latency(arch).ms).toBeCloseTo(archMetrics(arch).activations / 1e6, 12);
  });

  it('checks limits and prices violations as MnasNet hard penalties', () => {
    expect(() => normalizeLimits({ macs: 0 })).toThrow(/--max-macs must be a positive count/);
    expect(normalizeLimits({})).toBeUndefined();
    const [arch] = samples(regnet, 1);
    const m = archMetrics(arch);
    expect(withinLimits(arch, { macs: m.macs })).toBe(true);
    expect(withinLimits(arch, { macs: m.macs - 1 })).toBe(false);
    expect(limitPenalty(arch, { macs: m.macs / 2, params: m.params / 4 })).toBeCloseTo(0.5 * 0.25, 12);
    expect(limitPenalty(arch, { macs: m.macs * 2 })).toBe(1);
  });

  it('finds the exact smallest member of an enumerable space, and an upper bound otherwise', () => {
    const s = smallestMember(regnet, 'macs');
    expect(s.exact).toBe(true);
    expect(archMetrics(regnet.build(s.encoding)).macs).toBe(s.value);
    for (const a of samples(regnet, 10)) expect(archMetrics(a).macs).toBeGreaterThanOrEqual(s.value);
    const mbv2 = createSpace('mbv2', { resolution: 32 });
    const u = smallestMember(mbv2, 'activations', { samples: 5 });
    expect(u.exact).toBe(false);
    expect(u.how).toMatch(/upper bound/);
    for (const a of samples(mbv2, 10)) expect(archMetrics(a).activations).toBeGreaterThanOrEqual(u.value);
  });

  it('refuses a limit below every member, naming the smallest reachable value', () => {
    const min = smallestMember(regnet, 'params').value;
    expect(() => checkReachable(regnet, { params: min - 1 })).toThrow(new RegExp(`--max-params .* is below every member of space 'regnet' at resolution 32: the smallest reachable is .* params .*minimum over all 432 members`));
    expect(() => checkReachable(regnet, { params: min })).not.toThrow();
  });

  it('keeps every evaluated architecture of the ledger strategies within the limits', async () => {
    const ctx = nb201Context();
    const macs = samples(ctx.space as typeof regnet, 40, 3).map((a) => archMetrics(a).macs).sort((a, b) => a - b);
    const limit = macs[20];
    for (const strategy of [new RandomSearch(), new EvolutionSearch()]) {
      const out = path.join(mkdtempSync(path.join(tmpdir(), 'constraints-')), 'front.json');
      const { result, front } = await runSearchJob({ ...ctx, spaceOptions: { resolution: 32 }, strategy, budget: 25, limits: { macs: limit }, out });
      expect(result.history).toHaveLength(25);
      for (const c of result.history) expect(archMetrics(ctx.space.build(c.encoding)).macs).toBeLessThanOrEqual(limit);
      expect(front.limits).toEqual({ macs: limit });
      const read = readFrontFile(out);
      expect(read.members[0].metrics).toEqual(archMetrics(ctx.space.build(read.members[0].encoding)));
    }
  });

  it('refuses limits for a strategy that cannot honour them', async () => {
    const ctx = nb201Context();
    const latencyOnly: Searcher = { name: 'latency-only', run: async () => ({ strategy: 'latency-only', front: [], history: [] }) };
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'constraints-')), 'front.json');
    await expect(runSearchJob({ ...ctx, spaceOptions: {}, strategy: latencyOnly, budget: 5, limits: { params: 1e6 }, out })).rejects.toThrow(
      /strategy 'latency-only' cannot honour cost limits \(params ≤ 1M\)/,
    );
  });
});
