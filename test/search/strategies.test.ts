import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { encodingKey } from '../../src/search/evaluations.js';
import { hypervolume } from '../../src/search/pareto.js';
import { createStrategy, STRATEGY_NAMES } from '../../src/search/strategies/registry.js';
import { crossover, mutate } from '../../src/search/strategies/operators.js';
import { Rng } from '../../src/core/rng.js';
import type { SearchResult } from '../../src/search/types.js';
import { nb201Context, toyAccuracy, toyLatency, toySpace } from './fixtures.js';

const run = async (name: string, ...args: Parameters<typeof nb201Context>) => (await createStrategy(name)).run(nb201Context(...args));
const names = ['random', 'evolution', 'nsga2'];

describe('operators', () => {
  it('mutation always changes something, and only within option counts', () => {
    const rng = new Rng(1);
    const counts = [3, 1, 5, 2];
    for (let i = 0; i < 200; i++) {
      const parent = [rng.int(3), 0, rng.int(5), rng.int(2)];
      const child = mutate(rng, parent, counts, 0.1);
      expect(child).not.toEqual(parent);
      child.forEach((v, k) => expect(v >= 0 && v < counts[k]).toBe(true));
      expect(child[1]).toBe(0);
    }
  });

  it('crossover takes each decision from one parent', () => {
    const rng = new Rng(2);
    const child = crossover(rng, [0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]);
    expect(child.some((v) => v === 0) && child.some((v) => v === 1)).toBe(true);
  });
});

describe('strategies', () => {
  it('are registered by name', async () => {
    for (const n of names) expect(STRATEGY_NAMES).toContain(n);
    await expect(createStrategy('hillclimb')).rejects.toThrow(/unknown search strategy 'hillclimb'/);
  });

  for (const name of names) {
    it(`${name}: same seed, same search; new seed, new search; budget spent on distinct architectures`, async () => {
      const a = await run(name, { budget: 120, seed: 3 });
      const b = await run(name, { budget: 120, seed: 3 });
      const c = await run(name, { budget: 120, seed: 4 });
      expect(a.strategy).toBe(name);
      expect(b).toEqual(a);
      expect(c.history.map((h) => h.name)).not.toEqual(a.history.map((h) => h.name));
      expect(a.history).toHaveLength(120);
      expect(new Set(a.history.map((h) => encodingKey(h.encoding))).size).toBe(120);
      expect(a.front.length).toBeGreaterThan(3);
      expect(a.best).toEqual([...a.history].sort((x, y) => y.accuracy - x.accuracy || x.latency.ms - y.latency.ms)[0]);
    });

    it(`${name}: keeps every evaluated candidate within the latency target`, async () => {
      const r = await run(name, { budget: 80, seed: 1, targetMs: 4 });
      expect(r.history).toHaveLength(80);
      expect(Math.max(...r.history.map((c) => c.latency.ms))).toBeLessThanOrEqual(4);
      expect(r.best!.latency.ms).toBeLessThanOrEqual(4);
    });

    it(`${name}: works on any space, skipping invalid vectors and stopping when the space is used up`, async () => {
      const s = await createStrategy(name);
      const r = await s.run({ space: toySpace, latency: toyLatency, evaluator: toyAccuracy, budget: 50, seed: 0 });
      // 20 valid vectors in all.
      expect(r.history).toHaveLength(20);
      expect(r.history.every((c) => !(c.encoding[0] === 2 && c.encoding[1] === 1))).toBe(true);
    });
  }

  it('evolution beats random search under a latency limit', async () => {
    let evolution = 0;
    let random = 0;
    for (let seed = 0; seed < 4; seed++) {
      evolution += (await run('evolution', { budget: 300, seed, targetMs: 4 })).best!.accuracy;
      random += (await run('random', { budget: 300, seed, targetMs: 4 })).best!.accuracy;
    }
    expect(evolution).toBeGreaterThan(random);
    // The best NB201 cell within 4 ms on pixel3 reaches 90.935%.
    expect(evolution / 4).toBeGreaterThan(90.8);
  });

  it('nsga2 covers the front better than random search at equal budget', async () => {
    const ref = { accuracy: 46.247, latencyMs: 36.7665 };
    const hv = (r: SearchResult) => hypervolume(r.front.map((c) => ({ accuracy: c.accuracy, latencyMs: c.latency.ms })), ref);
    let nsga = 0;
    let random = 0;
    for (let seed = 0; seed < 4; seed++) {
      nsga += hv(await run('nsga2', { budget: 300, seed }));
      random += hv(await run('random', { budget: 300, seed }));
    }
    expect(nsga).toBeGreaterThan(random);
  });

  it('explains an impossible latency target', async () => {
    await expect(run('evolution', { targetMs: 0.001 })).rejects.toThrow(UserError);
    await expect(run('nsga2', { targetMs: 0.001 })).rejects.toThrow(/no architecture of space 'nb201' within the latency target of 0.001 ms/);
  });

  it('rejects a zero budget and a non-positive target', async () => {
    await expect(run('random', { budget: 0 })).rejects.toThrow(/budget must be a positive integer/);
    await expect(run('random', { targetMs: -1 })).rejects.toThrow(/latency target must be a positive number/);
  });
});
