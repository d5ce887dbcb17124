import { describe, expect, it } from 'vitest';
import { mnasnetOptionsFromArgs } from '../../../src/search/mnasnet/options.js';
import { mnasnetReward } from '../../../src/search/mnasnet/reward.js';
import { MnasnetSearch, type BatchStats } from '../../../src/search/mnasnet/search.js';
import { archMetrics } from '../../../src/core/arch-metrics.js';
import { createSpace } from '../../../src/spaces/registry.js';
import { TOY_TARGET, toyContext } from './toy.js';
import type { Architecture } from '../../../src/core/arch.js';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('mnasnet flags (--rl-algorithm, --reward, --reward-w)', () => {
  it('map to the controller and the reward exponents as the paper defines them', () => {
    expect(mnasnetOptionsFromArgs({})).toBeUndefined();
    expect(mnasnetOptionsFromArgs({ reward: 'soft' })).toEqual({ preset: { alpha: -0.07, beta: -0.07 } });
    expect(mnasnetOptionsFromArgs({ reward: 'hard' })).toEqual({ preset: { alpha: 0, beta: -1 } });
    expect(mnasnetOptionsFromArgs({ rewardW: -0.15 })).toEqual({ preset: { alpha: -0.15, beta: -0.15 } });
    expect(mnasnetOptionsFromArgs({ reward: 'hard', rewardW: -2, rlAlgorithm: 'ppo' })).toEqual({ algorithm: 'ppo', preset: { alpha: 0, beta: -2 } });
    expect(() => mnasnetOptionsFromArgs({ rlAlgorithm: 'a2c' })).toThrow(/--rl-algorithm must be one of reinforce, ppo, got 'a2c'/);
    expect(() => mnasnetOptionsFromArgs({ reward: 'medium' })).toThrow(/--reward must be soft or hard/);
    expect(() => mnasnetOptionsFromArgs({ rewardW: 0.1 })).toThrow(/--reward-w must be a number ≤ 0/);
  });

  it.each(['reinforce', 'ppo'] as const)('%s improves the reward on the toy LUT when chosen by flag', async (rlAlgorithm) => {
    const batches: BatchStats[] = [];
    const search = new MnasnetSearch({ learningRate: 0.03, maxSamples: 240, onBatch: (b) => batches.push(b) });
    const r = await search.run(toyContext({ args: { rlAlgorithm, reward: 'hard' } }));
    const early = mean(batches.slice(0, 5).flatMap((b) => b.rewards));
    const late = mean(batches.slice(-5).flatMap((b) => b.rewards));
    expect(late).toBeGreaterThan(early + 0.08);
    // The hard reward of the flags, not the default soft one.
    const c = r.history[0];
    expect(batches[0].rewards[0]).toBeCloseTo(mnasnetReward(c.accuracy / 100, c.latency.ms, TOY_TARGET, 'hard'), 12);
  });

  it('scales the reward by the hard penalty of a cost limit and never calls a member over it best', async () => {
    const space = createSpace('regnet', { resolution: 32 });
    const macs = (a: Architecture) => archMetrics(a).macs;
    const limit = 10e6;
    const batches: BatchStats[] = [];
    const r = await new MnasnetSearch({ batch: 4, maxSamples: 16, onBatch: (b) => batches.push(b) }).run({
      space,
      latency: { id: 'macs', provenance: {}, latency: (a) => ({ ms: macs(a) / 1e6 }) },
      evaluator: { id: 'one', provenance: {}, evaluate: async () => 50 },
      budget: 16,
      targetMs: 1e6,
      limits: { macs: limit },
      seed: 0,
    });
    expect(r.best === undefined || macs(space.build(r.best.encoding)) <= limit).toBe(true);
    const encodings = batches.flatMap((b) => b.encodings);
    const rewards = batches.flatMap((b) => b.rewards);
    encodings.forEach((e, i) => {
      if (Number.isNaN(batches.flatMap((b) => b.latencies)[i])) return expect(rewards[i]).toBe(0); // the space rejects it
      const m = macs(space.build(e));
      const plain = mnasnetReward(0.5, m / 1e6, 1e6, 'soft');
      expect(rewards[i]).toBeCloseTo(m > limit ? plain * (limit / m) : plain, 12);
    });
  });
});
