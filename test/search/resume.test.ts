import { describe, expect, it } from 'vitest';
import { createStrategy } from '../../src/search/strategies/registry.js';
import type { AccuracyEvaluator } from '../../src/search/types.js';
import { memoryCheckpoint, nb201Context } from './fixtures.js';
import { tableEvaluator } from '../../src/evaluators/table.js';

/** The table evaluator, counting calls, and dying on call `dieAt` like a killed process. */
function countingEvaluator(dieAt = Infinity): AccuracyEvaluator & { calls: number } {
  const inner = tableEvaluator();
  const ev = {
    id: inner.id,
    provenance: inner.provenance,
    calls: 0,
    async evaluate(arch: Parameters<AccuracyEvaluator['evaluate']>[0]) {
      if (++ev.calls === dieAt) throw new Error('killed');
      return inner.evaluate(arch);
    },
  };
  return ev;
}

describe('resume from checkpoint', () => {
  for (const name of ['random', 'evolution', 'nsga2']) {
    it(`${name}: a killed and resumed search ends exactly like an uninterrupted one`, async () => {
      const budget = 150;
      const whole = await (await createStrategy(name)).run(nb201Context({ budget, seed: 9, targetMs: 8 }));

      const checkpoint = memoryCheckpoint();
      await expect((await createStrategy(name)).run(nb201Context({ budget, seed: 9, targetMs: 8, evaluator: countingEvaluator(88), checkpoint }))).rejects.toThrow('killed');
      const saved = (checkpoint.state as { evaluations: unknown[] }).evaluations.length;
      // Saved every 25 evaluations (or every 2 s on a slow machine): of the 87 done before the kill, at least 75 are kept.
      expect(saved).toBeGreaterThanOrEqual(75);
      expect(saved).toBeLessThanOrEqual(87);

      const evaluator = countingEvaluator();
      const resumed = await (await createStrategy(name)).run(nb201Context({ budget, seed: 9, targetMs: 8, evaluator, checkpoint }));
      expect(evaluator.calls).toBe(budget - saved);
      expect(resumed).toEqual(whole);
    });
  }

  it('refuses a checkpoint written by another search', async () => {
    const checkpoint = memoryCheckpoint();
    await (await createStrategy('nsga2')).run(nb201Context({ budget: 60, seed: 1, checkpoint }));
    await expect((await createStrategy('nsga2')).run(nb201Context({ budget: 60, seed: 2, checkpoint }))).rejects.toThrow(/checkpoint does not match this search: evaluation 1 was/);
  });

  it('refuses malformed state', async () => {
    const bad = (state: unknown) => nb201Context({ checkpoint: { load: () => state, save: () => {} } });
    await expect((await createStrategy('random')).run(bad({ version: 7, evaluations: [] }))).rejects.toThrow(/unsupported state version 7/);
    await expect((await createStrategy('random')).run(bad({ version: 1, evaluations: [[[1, 2], 'x']] }))).rejects.toThrow(/evaluation 0 must be \[encoding/);
  });
});
