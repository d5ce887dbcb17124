/**
 * The run's policy for extra rounds (devices/rounds.ts ExtraRounds, src/profile/extra-rounds.ts) and the wait for a
 * CPU before them (devices/noise.ts waitForCpu), on fake rounds and a fake clock: no timing, no real load.
 */
import { describe, expect, it } from 'vitest';
import { summarize } from '../../devices/stats.js';
import { waitForCpu } from '../../devices/noise.js';
import { combineRounds, extraRoundBudget, measureInRounds, unsteadyWhy, type RoundRecord } from '../../devices/rounds.js';
import type { TimingProtocol } from '../../devices/types.js';
import { extraRoundsOf } from '../../src/profile/extra-rounds.js';

const GATED: TimingProtocol = { warmup: 2, minRepeats: 20, maxRepeats: 200, maxTimeMs: 300, targetCI: 0.02, rounds: 3, estimator: 'lower-half', maxSpread: 0.1, extraRounds: 2, roundGate: { waitPct: 30 } };

function round(median: number, waitPct = 0): RoundRecord {
  const stats = summarize(Array.from({ length: 11 }, (_, i) => median * (1 + (i - 5) / 500)), 0.05);
  return { stats, coldMs: median, setupMs: 1, noise: { load1: 1, waitPct } };
}

/** Items a..e; `waits(key, n)` is the thread's wait in the n-th round (0-based) of an item. */
async function run(waits: (key: string, n: number) => number, extras?: Parameters<typeof measureInRounds>[3]['extras']) {
  const keys = ['a', 'b', 'c', 'd', 'e'];
  const taken = new Map<string, number>();
  const results = await measureInRounds(keys, (k) => k, GATED, {
    seed: 1,
    time: async (k) => {
      const n = taken.get(k) ?? 0;
      taken.set(k, n + 1);
      return round(1, waits(k, n));
    },
    extras,
  });
  return { results, taken };
}

describe('unsteadyWhy', () => {
  it('set-aside while the gate kept fewer rounds than asked for, spread past maxSpread, else steady', () => {
    expect(unsteadyWhy([round(1), round(1), round(1)], GATED, 0)).toBeUndefined();
    expect(unsteadyWhy([round(1), round(1, 50), round(1)], GATED, 0)).toBe('set-aside');
    expect(unsteadyWhy([round(1, 60), round(1, 50), round(1, 90)], GATED, 0)).toBe('set-aside');
    expect(unsteadyWhy([round(1), round(1.3), round(1)], GATED, 0.3)).toBe('spread');
    expect(unsteadyWhy([round(1)], { ...GATED, rounds: 1 }, 0)).toBeUndefined();
  });
  it('reaches the combined result: every round set aside, all five taken, still unsteady', () => {
    const r = combineRounds([1, 2, 3, 4, 5].map(() => round(1, 80)), GATED);
    expect(r.unsteady).toBe('set-aside');
    expect(combineRounds([round(1), round(1), round(1)], GATED).unsteady).toBeUndefined();
  });
});

describe('measureInRounds with the run\'s extra rounds bounded', () => {
  // Every round of a and b waits 80% for a CPU (a load that lasts): each would take all its extra rounds.
  const busyAB = (k: string) => (k === 'a' || k === 'b' ? 80 : 0);

  it('without a policy each item takes all its protocol allows (as before)', async () => {
    const { results, taken } = await run(busyAB);
    expect(taken.get('a')).toBe(5);
    expect(taken.get('b')).toBe(5);
    expect(taken.get('c')).toBe(3);
    expect(results.get('a')!.unsteady).toBe('set-aside');
  });

  it('a budget of 2 extra rounds: 2 taken in all, the items past it complete as measured, unsteady, none lost', async () => {
    let report: unknown;
    const { results, taken } = await run(busyAB, { budget: 2, onDone: (r) => (report = r) });
    expect((taken.get('a') ?? 0) + (taken.get('b') ?? 0)).toBe(8);
    expect(results.size).toBe(5);
    expect(results.get('a')!.unsteady).toBe('set-aside');
    expect(results.get('b')!.unsteady).toBe('set-aside');
    expect(results.get('c')!.unsteady).toBeUndefined();
    expect(report).toEqual({ taken: 2, cut: { budget: 2, busy: 0 } });
  });

  it('extra rounds come after the pass\'s other rounds, and a hook that says busy takes none of them', async () => {
    const order: string[] = [];
    const waits = (k: string, n: number) => (k === 'a' && n === 0 ? 80 : 0);
    const keys = ['a', 'b', 'c'];
    const counts = new Map<string, number>();
    let asked = 0;
    const results = await measureInRounds(keys, (k) => k, GATED, {
      seed: 2,
      time: async (k) => {
        const n = counts.get(k) ?? 0;
        counts.set(k, n + 1);
        order.push(`${k}${n}`);
        return round(1, waits(k, n));
      },
      extras: {
        beforeExtras: (count) => {
          asked++;
          expect(count).toBe(1);
          order.push('hook');
          return true;
        },
      },
    });
    // a's first round was set aside: it takes a fourth round, after the hook, once the others are done.
    expect(asked).toBe(1);
    expect(order.slice(-2)).toEqual(['hook', 'a3']);
    expect(results.get('a')!.unsteady).toBeUndefined();
    expect(results.get('a')!.setAside).toBe(1);

    let report: { cut: { busy: number } } | undefined;
    const busy = await run(busyAB, { beforeExtras: () => false, onDone: (r) => (report = r) });
    expect(busy.taken.get('a')).toBe(3);
    expect(busy.results.get('a')!.unsteady).toBe('set-aside');
    expect(report!.cut.busy).toBe(2);
  });

  it('extraRoundBudget: a share of the rounds asked for', () => {
    expect(extraRoundBudget(1 / 3, 71, GATED)).toBe(71);
    expect(extraRoundBudget(0, 71, GATED)).toBe(0);
    expect(extraRoundBudget(0.5, 3, GATED)).toBe(4);
  });
});

describe('waitForCpu', () => {
  const clock = () => {
    let t = 0;
    return { now: () => t, sleep: async (ms: number) => void (t += ms) };
  };

  it('a quiet moment costs one look and no message', async () => {
    const logs: string[] = [];
    const r = await waitForCpu({ waitPct: 30, maxWaitMs: 30_000, probe: () => 5, log: (m) => logs.push(m), ...clock() });
    expect(r).toEqual({ waitedMs: 0 });
    expect(logs).toEqual([]);
  });

  it('waits while a thread waits for a CPU, with a line every 10 s, and goes on when it gets one', async () => {
    const logs: string[] = [];
    const readings = [80, 75, 70, 70, 70, 70, 70, 10];
    const r = await waitForCpu({ waitPct: 30, maxWaitMs: 60_000, pollMs: 2000, probe: () => readings.shift(), log: (m) => logs.push(m), what: '4 extra rounds', ...clock() });
    expect(r).toEqual({ waitedMs: 14_000 });
    expect(logs[0]).toMatch(/^4 extra rounds wait for a quieter moment: a thread here waits 80% of its time for a CPU .* at most 60 s/);
    expect(logs.some((m) => /still busy after 10 s/.test(m))).toBe(true);
    expect(logs.at(-1)).toMatch(/quieter after 14 s .*taking 4 extra rounds/);
  });

  it('gives up after its bound and says how busy it still was', async () => {
    const r = await waitForCpu({ waitPct: 30, maxWaitMs: 6000, pollMs: 2000, probe: () => 90, ...clock() });
    expect(r).toEqual({ waitedMs: 6000, stillWaitPct: 90 });
  });
});

describe('extraRoundsOf (the profiler\'s policy)', () => {
  it('none with one round; the share as a count, bounded by default; busy after the wait: take none and say so', async () => {
    expect(extraRoundsOf({ protocol: { ...GATED, rounds: 1 } }, 10, () => undefined)).toBeUndefined();
    // The defaults are the library's, so `nas profile`, the benches and --profile-missing bound alike: a third of 10 × 3 rounds.
    expect(extraRoundsOf({ protocol: GATED }, 10, () => undefined)!.budget).toBe(10);
    expect(extraRoundsOf({ protocol: GATED, extraRoundShare: Infinity }, 10, () => undefined)!.budget).toBeUndefined();
    expect(extraRoundsOf({ protocol: GATED, retakeWaitMs: 0 }, 10, () => undefined)!.beforeExtras).toBeUndefined();
    const logs: string[] = [];
    const x = extraRoundsOf({ protocol: GATED, extraRoundShare: 0.5, retakeWaitMs: 1, cpuWait: () => 95, onNoise: (m) => logs.push(m) }, 10, () => undefined)!;
    expect(x.budget).toBe(15);
    expect(await x.beforeExtras!(3)).toBe(false);
    expect(logs.at(-1)).toMatch(/still busy after 0 s \(a thread waits 95% for a CPU\): 3 items kept as measured \(unsteady\); --retake/);
    // The wait never outlasts the rounds it waits to take: 3 rounds of 2 ms against a 30 s bound.
    const waited: string[] = [];
    const short = extraRoundsOf({ protocol: GATED, retakeWaitMs: 30_000, roundMs: () => 2, cpuWait: () => 95, onNoise: (m) => waited.push(m) }, 10, () => undefined)!;
    expect(await short.beforeExtras!(3)).toBe(false);
    expect(waited[0]).toMatch(/at most 0 s$/);
    const quiet = extraRoundsOf({ protocol: GATED, retakeWaitMs: 1000, cpuWait: () => 0 }, 10, () => undefined)!;
    expect(await quiet.beforeExtras!(3)).toBe(true);
  });
});
