import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../../src/core/arch.js';
import { MnasnetSearch, type BatchStats } from '../../../src/search/mnasnet/search.js';
import { mnasnetReward } from '../../../src/search/mnasnet/reward.js';
import { createMnasnetSpace } from '../../../src/spaces/mnasnet.js';
import { toyAccuracy, toyLatency as fixtureLatency, toySpace as invalidSpace, memoryCheckpoint } from '../fixtures.js';
import { TOY_TARGET, toyContext, toyEvaluator } from './toy.js';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const summary = (batches: BatchStats[]) => {
  const lat = batches.flatMap((b) => b.latencies);
  return { reward: mean(batches.flatMap((b) => b.rewards)), latency: mean(lat), within: lat.filter((l) => l <= TOY_TARGET).length / lat.length };
};

async function trace(opts: ConstructorParameters<typeof MnasnetSearch>[0], ctx = toyContext()) {
  const batches: BatchStats[] = [];
  const result = await new MnasnetSearch({ learningRate: 0.05, maxSamples: 400, ...opts, onBatch: (b) => batches.push(b) }).run(ctx);
  return { result, batches };
}

describe('mnasnet search', () => {
  it('needs a latency target', async () => {
    await expect(new MnasnetSearch().run(toyContext({ targetMs: undefined }))).rejects.toThrow(/needs a latency target/);
    expect(() => new MnasnetSearch({ preset: 'medium' as never })).toThrow(/unknown MnasNet reward preset/);
    expect(() => new MnasnetSearch({ batch: 0 })).toThrow(/batch must be a positive integer/);
  });

  it('hard preset, REINFORCE: reward rises and samples settle within the target, near the best there', async () => {
    const { result, batches } = await trace({ preset: 'hard' });
    expect(batches).toHaveLength(50); // 400 samples / 8
    const first = summary(batches.slice(0, 5));
    const last = summary(batches.slice(-10));
    expect(last.reward).toBeGreaterThan(first.reward + 0.1);
    expect(last.within).toBeGreaterThanOrEqual(0.9);
    expect(first.within).toBeLessThan(0.5);
    // Best within 7 ms is 64 % (all "cheap"); the controller ends within a step or two of it.
    expect(last.reward).toBeGreaterThan(0.52);
    expect(result.best!.latency.ms).toBeLessThanOrEqual(TOY_TARGET);
    expect(result.best!.accuracy).toBeGreaterThanOrEqual(58);
    // Rewards are the MnasNet reward of the sampled architectures.
    const c = result.history[0];
    expect(batches[0].rewards[0]).toBeCloseTo(mnasnetReward(c.accuracy / 100, c.latency.ms, TOY_TARGET, 'hard'), 12);
  });

  it('soft preset trades latency for accuracy past the target', async () => {
    const { batches } = await trace({ preset: 'soft' });
    const last = summary(batches.slice(-10));
    expect(last.latency).toBeGreaterThan(TOY_TARGET + 4);
    expect(last.reward).toBeGreaterThan(summary(batches.slice(0, 5)).reward + 0.05);
  });

  it('PPO learns too', async () => {
    const { batches } = await trace({ preset: 'hard', algorithm: 'ppo', learningRate: 0.03, maxSamples: 240 });
    expect(summary(batches.slice(-5)).reward).toBeGreaterThan(summary(batches.slice(0, 5)).reward + 0.08);
  });

  it('is deterministic for a seed; the result is the history, its front and the best within target', async () => {
    const run = (seed: number) => new MnasnetSearch({ maxSamples: 64 }).run(toyContext({ seed, budget: 40 }));
    const a = await run(3);
    expect(await run(3)).toEqual(a);
    expect((await run(4)).history).not.toEqual(a.history);
    expect(a.strategy).toBe('mnasnet');
    expect(new Set(a.history.map((c) => c.name)).size).toBe(a.history.length);
    for (const f of a.front) expect(a.history.some((c) => c.accuracy > f.accuracy && c.latency.ms <= f.latency.ms)).toBe(false);
  });

  it('stops at the budget of distinct evaluations; rejected vectors cost nothing and earn 0', async () => {
    const batches: BatchStats[] = [];
    const r = await new MnasnetSearch({ batch: 4, onBatch: (b) => batches.push(b) }).run({ space: invalidSpace, latency: fixtureLatency, evaluator: toyAccuracy, budget: 10, targetMs: 5, seed: 2 });
    expect(r.history).toHaveLength(10);
    for (const c of r.history) expect(c.encoding[0] === 2 && c.encoding[1] === 1).toBe(false);
    const rejected = batches.flatMap((b) => b.encodings.map((e, i) => [e, b.rewards[i]] as const)).filter(([e]) => e[0] === 2 && e[1] === 1);
    for (const [, reward] of rejected) expect(reward).toBe(0);
  });

  it('a killed and resumed search ends exactly like an uninterrupted one', async () => {
    const budget = 60;
    const opts = { preset: 'hard' as const, checkpointEvery: 2 };
    const wholeCheckpoint = memoryCheckpoint();
    const whole = await new MnasnetSearch(opts).run(toyContext({ budget, checkpoint: wholeCheckpoint }));

    const checkpoint = memoryCheckpoint();
    await expect(new MnasnetSearch(opts).run(toyContext({ budget, evaluator: toyEvaluator(41), checkpoint }))).rejects.toThrow('killed');
    const saved = (checkpoint.state as { evaluations: unknown[]; params: number[][] }).evaluations.length;
    expect(saved).toBeGreaterThan(10);
    expect(saved).toBeLessThanOrEqual(40);

    const evaluator = toyEvaluator();
    const resumed = await new MnasnetSearch(opts).run(toyContext({ budget, evaluator, checkpoint }));
    expect(evaluator.calls).toBe(budget - saved);
    expect(resumed).toEqual(whole);
    // Not just the same samples: the same controller weights, Adam moments and baseline, to the bit.
    expect(checkpoint.state).toEqual(wholeCheckpoint.state);
  });

  it('refuses a checkpoint from other settings or another strategy', async () => {
    const checkpoint = memoryCheckpoint();
    await new MnasnetSearch({ maxSamples: 16 }).run(toyContext({ budget: 10, checkpoint }));
    await expect(new MnasnetSearch({ maxSamples: 16, preset: 'hard' }).run(toyContext({ budget: 10, checkpoint }))).rejects.toThrow(/does not match this search: alpha was -0.07, now 0; beta was -0.07, now -1/);
    await expect(new MnasnetSearch().run(toyContext({ checkpoint: { load: () => ({ version: 1, evaluations: [] }), save: () => {} } }))).rejects.toThrow(/written by strategy 'undefined', not 'mnasnet'/);
  });

  it('samples any space: mnasnet (42 decisions) builds every sample', async () => {
    const space = createMnasnetSpace({ resolution: 32, classes: 10 });
    const latency = { id: 'layers', provenance: {}, latency: (a: Architecture) => ({ ms: 0.1 * a.layers.length }) };
    const evaluator = { id: 'acc', provenance: {}, evaluate: async (a: Architecture) => 50 + (a.layers.length % 7) };
    const r = await new MnasnetSearch({ batch: 4 }).run({ space, latency, evaluator, budget: 8, targetMs: 2, seed: 0 });
    expect(r.history).toHaveLength(8);
    for (const c of r.history) expect(c.encoding).toHaveLength(42);
  });

  it('runs the controller on cpu and gives the evaluator back its backend (wasm here)', async () => {
    const onCpu = await new MnasnetSearch({ maxSamples: 24 }).run(toyContext({ budget: 20 }));
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
    expect(await tf.setBackend('wasm')).toBe(true);
    try {
      const seen = new Set<string>();
      const inner = toyEvaluator();
      const evaluator = { ...inner, evaluate: async (a: Architecture) => (seen.add(tf.getBackend()), inner.evaluate(a)) };
      const result = await new MnasnetSearch({ maxSamples: 24 }).run(toyContext({ budget: 20, evaluator }));
      expect([...seen]).toEqual(['wasm']);
      expect(tf.getBackend()).toBe('wasm');
      expect(result).toEqual(onCpu);
    } finally {
      await tf.setBackend('cpu');
    }
  });
});
