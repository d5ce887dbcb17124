import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { tableEvaluator } from '../../src/evaluators/table.js';
import { encodingKey } from '../../src/search/evaluations.js';
import { AsyncSearch } from '../../src/search/strategies/async.js';
import { EvolutionSearch } from '../../src/search/strategies/evolution.js';
import type { AccuracyEvaluator, SearchResult } from '../../src/search/types.js';
import { memoryCheckpoint, nb201Context } from './fixtures.js';

/**
 * The NB201 table, answering after a delay that depends on the architecture and `salt` (0–12 ms), so
 * results come back out of submission order, in another order for each salt; counts calls and the
 * most evaluations in flight at once; dies on call `dieAt` like a killed process.
 */
function slowTable(salt: string, dieAt = Infinity) {
  const inner = tableEvaluator();
  const ev = {
    id: inner.id,
    provenance: inner.provenance,
    calls: 0,
    inFlight: 0,
    maxInFlight: 0,
    async evaluate(arch: Parameters<AccuracyEvaluator['evaluate']>[0]) {
      if (++ev.calls === dieAt) throw new Error('killed');
      ev.maxInFlight = Math.max(ev.maxInFlight, ++ev.inFlight);
      const delay = createHash('sha256').update(salt + arch.name).digest()[0] % 13;
      await new Promise((r) => setTimeout(r, delay));
      ev.inFlight--;
      return inner.evaluate(arch);
    },
  };
  return ev;
}

const names = (r: SearchResult) => r.history.map((c) => c.name);

describe('asynchronous strategies', () => {
  for (const strategy of ['random', 'evolution', 'nsga2']) {
    it(`${strategy}: the same seed gives the same search whatever order results arrive in; the pending set stays full`, async () => {
      const a = slowTable('a');
      const b = slowTable('b');
      const ra = await new AsyncSearch(strategy, 6).run(nb201Context({ budget: 80, seed: 5, evaluator: a }));
      const rb = await new AsyncSearch(strategy, 6).run(nb201Context({ budget: 80, seed: 5, evaluator: b }));
      expect(ra.strategy).toBe(`${strategy} (asynchronous, 6 pending)`);
      expect(rb).toEqual(ra);
      expect(ra.history).toHaveLength(80);
      expect(new Set(ra.history.map((c) => encodingKey(c.encoding))).size).toBe(80);
      // No barrier: six evaluations run at once, not one after another.
      expect(a.maxInFlight).toBe(6);
      expect(a.calls).toBe(80);
      const other = await new AsyncSearch(strategy, 6).run(nb201Context({ budget: 80, seed: 6, evaluator: slowTable('a') }));
      expect(names(other)).not.toEqual(names(ra));
    });
  }

  it('evolution with one pending candidate is the sequential evolution', async () => {
    const sequential = await new EvolutionSearch().run(nb201Context({ budget: 90, seed: 2, targetMs: 10 }));
    const one = await new AsyncSearch('evolution', 1).run(nb201Context({ budget: 90, seed: 2, targetMs: 10, evaluator: slowTable('x') }));
    expect(names(one)).toEqual(names(sequential));
    expect(one.front).toEqual(sequential.front);
  });

  it('a larger pending set is another search (candidates are bred from fewer results)', async () => {
    const four = await new AsyncSearch('nsga2', 4).run(nb201Context({ budget: 60, seed: 1 }));
    const twelve = await new AsyncSearch('nsga2', 12).run(nb201Context({ budget: 60, seed: 1 }));
    expect(names(twelve)).not.toEqual(names(four));
  });

  for (const strategy of ['evolution', 'nsga2']) {
    it(`${strategy}: a killed and resumed search ends exactly like an uninterrupted one, evaluating only what was not logged`, async () => {
      const budget = 120;
      const whole = await new AsyncSearch(strategy, 5).run(nb201Context({ budget, seed: 9, targetMs: 8, evaluator: slowTable('w') }));
      const checkpoint = memoryCheckpoint();
      await expect(new AsyncSearch(strategy, 5).run(nb201Context({ budget, seed: 9, targetMs: 8, evaluator: slowTable('k', 70), checkpoint }))).rejects.toThrow('killed');
      const saved = (checkpoint.state as { evaluations: unknown[] }).evaluations.length;
      expect(saved).toBeGreaterThanOrEqual(50);
      expect(saved).toBeLessThan(70);
      const evaluator = slowTable('r');
      const resumed = await new AsyncSearch(strategy, 5).run(nb201Context({ budget, seed: 9, targetMs: 8, evaluator, checkpoint }));
      expect(evaluator.calls).toBe(budget - saved);
      expect(resumed).toEqual(whole);
    });
  }

  it('refuses strategies that do not run asynchronously, and a pending set that is not a positive integer', () => {
    expect(() => new AsyncSearch('mnasnet', 4)).toThrow(/unknown asynchronous search strategy 'mnasnet'/);
    expect(() => new AsyncSearch('nsga2', 0)).toThrow(/positive integer/);
  });
});
