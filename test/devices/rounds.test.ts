import { describe, expect, it } from 'vitest';
import { summarize } from '../../devices/stats.js';
import { combineRounds, estimate, measureInRounds, needsAnotherRound, roundProtocol, roundsOwed, type RoundRecord } from '../../devices/rounds.js';
import type { TimingProtocol } from '../../devices/types.js';

const BASE: TimingProtocol = { warmup: 2, minRepeats: 20, maxRepeats: 200, maxTimeMs: 300, targetCI: 0.02 };

/** A round whose samples are `median` ± 1%. */
function round(median: number, converged = true): RoundRecord {
  const stats = summarize(Array.from({ length: 11 }, (_, i) => median * (1 + (i - 5) / 500)), 0.05);
  return { stats: { ...stats, converged }, coldMs: 3 * median, setupMs: 1 };
}

describe('roundProtocol', () => {
  it('is the protocol itself for one round', () => {
    expect(roundProtocol(BASE)).toEqual(BASE);
    expect(roundProtocol({ ...BASE, rounds: 1, estimator: 'min' })).toEqual(BASE);
  });
  it('shares the counts and time between rounds and widens the CI target by √rounds', () => {
    const p = roundProtocol({ ...BASE, rounds: 4 });
    expect(p).toEqual({ warmup: 2, minRepeats: 5, maxRepeats: 50, maxTimeMs: 75, targetCI: 0.04 });
  });
  it('shares the time and count limits between the extra rounds too, so a model never takes longer than maxTimeMs in timed runs', () => {
    const p = roundProtocol({ ...BASE, rounds: 4, maxSpread: 0.1, extraRounds: 2 });
    expect(p).toEqual({ warmup: 2, minRepeats: 5, maxRepeats: 34, maxTimeMs: 50, targetCI: 0.04 });
    // without a spread limit no extra round can happen
    expect(roundProtocol({ ...BASE, rounds: 4, extraRounds: 2 }).maxTimeMs).toBe(75);
  });
});

describe('estimate', () => {
  const rounds = [1.0, 1.3, 1.1, 0.9, 2.0].map((m) => round(m).stats);
  it('median of round medians, lowest round median, median of round p10s, trimmed mean of round means', () => {
    expect(estimate(rounds, 'median')).toBeCloseTo(1.1, 12);
    expect(estimate(rounds, 'min')).toBeCloseTo(0.9, 12);
    expect(estimate(rounds, 'low-quantile')).toBeLessThan(1.1);
    expect(estimate(rounds, 'low-quantile')).toBeGreaterThan(1.09);
    // five round means: one cut from each end, the middle three averaged
    expect(estimate(rounds, 'trimmed-mean')).toBeCloseTo((1.0 + 1.1 + 1.3) / 3, 3);
  });
  it('lower-half: the mean of the fastest ⌈n/2⌉ round medians (the slow rounds left out, not the lowest alone)', () => {
    expect(estimate(rounds, 'lower-half')).toBeCloseTo((0.9 + 1.0 + 1.1) / 3, 12);
    expect(estimate(rounds.slice(0, 3), 'lower-half')).toBeCloseTo((1.0 + 1.1) / 2, 12);
    expect(estimate(rounds.slice(0, 4), 'lower-half')).toBeCloseTo((0.9 + 1.0) / 2, 12);
    expect(estimate(rounds.slice(1, 2), 'lower-half')).toBeCloseTo(1.3, 12);
  });
});

describe('combineRounds', () => {
  it('one round is that round (with its convergence)', () => {
    const r = round(2);
    const c = combineRounds([r], BASE);
    expect(c.stats).toEqual(r.stats);
    expect(c.spread).toBe(0);
    expect(c.rounds).toEqual([r.stats.median]);
  });
  it('several: the estimator, the spread, a CI that widens when rounds disagree', () => {
    const p = { ...BASE, rounds: 3, maxSpread: 0.05 };
    const agree = combineRounds([round(1.0), round(1.01), round(0.99)], p);
    expect(agree.stats.median).toBeCloseTo(1.0, 12);
    expect(agree.spread).toBeCloseTo(0.02, 12);
    expect(agree.stats.converged).toBe(true);
    expect(agree.stats.n).toBe(33);
    const disagree = combineRounds([round(1.0), round(1.3), round(0.99)], p);
    expect(disagree.spread).toBeCloseTo(0.31, 12);
    expect(disagree.stats.converged).toBe(false);
    const width = (s: typeof agree) => s.stats.ci95[1] - s.stats.ci95[0];
    expect(width(disagree)).toBeGreaterThan(5 * width(agree));
    expect(disagree.stats.ci95[0]).toBeLessThanOrEqual(disagree.stats.median);
    expect(disagree.stats.ci95[1]).toBeGreaterThanOrEqual(disagree.stats.median);
  });
  it('keeps the worst noise reading', () => {
    const a = { ...round(1), noise: { load1: 0.5, stealPct: 1, mhz: 2000 } };
    const b = { ...round(1), noise: { load1: 3.2, stealPct: 0.2, mhz: 2200 } };
    expect(combineRounds([a, b], { ...BASE, rounds: 2 }).noise).toEqual({ load1: 3.2, stealPct: 1, mhz: 2100 });
  });
});

describe('measureInRounds', () => {
  it('spreads rounds over the run in shuffled passes, re-measures items whose rounds disagree, reports each as it completes', async () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f'];
    const order: string[] = [];
    const completed: string[] = [];
    const p: TimingProtocol = { ...BASE, rounds: 3, maxSpread: 0.1, extraRounds: 2 };
    let bCalls = 0;
    const results = await measureInRounds(items, (x) => x, p, {
      seed: 1,
      time: async (x) => {
        order.push(x);
        // 'b' disagrees with itself on its first three rounds, then settles.
        if (x === 'b') return round([1, 2, 1, 1, 1][bCalls++]);
        return round(1);
      },
      onComplete: (x) => completed.push(x),
    });
    expect([...results.keys()].sort()).toEqual(items);
    // three passes over all six, then extra rounds of 'b' only
    const passes = [order.slice(0, 6), order.slice(6, 12), order.slice(12, 18)];
    for (const pass of passes) expect([...pass].sort()).toEqual(items);
    expect(passes.some((pass, i) => i > 0 && pass.join() !== passes[0].join())).toBe(true); // shuffled
    // b's rounds span 100% whatever follows its 2 ms round, so it gets both extra rounds, whose median settles on 1
    expect(order.slice(18)).toEqual(['b', 'b']);
    expect(results.get('b')!.rounds).toHaveLength(5);
    expect(results.get('b')!.stats.median).toBeCloseTo(1, 12);
    expect(completed.at(-1)).toBe('b');
    expect(results.get('a')!.rounds).toHaveLength(3);
  });
  it('one round keeps the given order, and rounds already taken are reused', async () => {
    const order: string[] = [];
    await measureInRounds(['x', 'y', 'z'], (s) => s, BASE, { time: async (s) => (order.push(s), round(1)) });
    expect(order).toEqual(['x', 'y', 'z']);
    const p = { ...BASE, rounds: 2 };
    const again: string[] = [];
    const r = await measureInRounds(['x', 'y'], (s) => s, p, { done: new Map([['x', [round(1), round(1.01)]], ['y', [round(2)]]]), time: async (s) => (again.push(s), round(2)) });
    expect(again).toEqual(['y']);
    expect(r.get('x')!.rounds).toHaveLength(2);
  });
  it('onError drops a failing item and goes on; without it the error ends the run', async () => {
    const p = { ...BASE, rounds: 2 };
    const timed: string[] = [];
    const failed: string[] = [];
    const r = await measureInRounds(['x', 'y', 'z'], (s) => s, p, {
      time: async (s) => {
        timed.push(s);
        if (s === 'y') throw new Error('cannot run y');
        return round(1);
      },
      onError: (s) => (failed.push(s), true),
    });
    expect([...r.keys()].sort()).toEqual(['x', 'z']);
    expect(failed).toEqual(['y']);
    expect(timed.filter((s) => s === 'y')).toHaveLength(1);
    await expect(measureInRounds(['y'], (s) => s, p, { time: async () => Promise.reject(new Error('cannot run y')) })).rejects.toThrow(/cannot run y/);
  });
    it('needsAnotherRound: the rounds asked for, then extra ones only while they disagree and extras remain', () => {
    const p: TimingProtocol = { ...BASE, rounds: 2, maxSpread: 0.05, extraRounds: 1 };
    expect(needsAnotherRound([round(1)], p)).toBe(true);
    expect(needsAnotherRound([round(1), round(1.01)], p)).toBe(false);
    expect(needsAnotherRound([round(1), round(1.5)], p)).toBe(true);
    expect(needsAnotherRound([round(1), round(1.5), round(1.4)], p)).toBe(false);
  });
  it('roundsOwed: those asked for and not taken, the extra one rounds that disagree call for, under the gate those not kept yet', () => {
    const p: TimingProtocol = { ...BASE, rounds: 3, maxSpread: 0.05, extraRounds: 2 };
    expect(roundsOwed([], p)).toBe(3);
    expect(roundsOwed([round(1)], p)).toBe(2);
    expect(roundsOwed([round(1), round(1.01), round(1)], p)).toBe(0);
    // The three asked for disagree: one extra is owed (not 0, as counting the rounds asked for alone said).
    expect(roundsOwed([round(1), round(1.5), round(1)], p)).toBe(1);
    expect(roundsOwed([round(1), round(1.5), round(1), round(1.4), round(1.3)], p)).toBe(0); // no extra left
    const waited = { ...round(1), noise: { load1: 0, waitPct: 60 } };
    const g: TimingProtocol = { ...BASE, rounds: 3, roundGate: { waitPct: 30 }, extraRounds: 2 };
    // Two rounds set aside of three: two more to keep, within the two extra rounds.
    expect(roundsOwed([waited, round(1), waited], g)).toBe(2);
    expect(roundsOwed([waited, waited], g)).toBe(3);
    expect(roundsOwed([waited, waited, waited, round(1)], g)).toBe(1); // only one round left to take
  });
});

describe('a round records the machine beside it', () => {
  it('its end time, the thread\'s wait and, with protocol.anchor, the anchor unit\'s fastest run; the details reach the combined result', async () => {
    const { MockDevice } = await import('../../devices/mock/index.js');
    const { timeRound } = await import('../../devices/rounds.js');
    const { opModel } = await import('../../export/model.js');
    const { ANCHOR_INSTANCE } = await import('../../devices/anchor.js');
    const device = new MockDevice({ noise: 0 });
    await device.init();
    const model = opModel(ANCHOR_INSTANCE);
    const p: TimingProtocol = { warmup: 1, minRepeats: 3, maxRepeats: 5, maxTimeMs: 50, targetCI: 0.5, rounds: 2 };
    const before = Date.now();
    const plain = await timeRound(device, model, p);
    expect(plain.endedAt).toBeGreaterThanOrEqual(before);
    expect(plain.noise?.anchorMs).toBeUndefined();
    const anchored = await timeRound(device, model, { ...p, anchor: true });
    // The mock device times the anchor unit as it times any model: a positive figure.
    expect(anchored.noise?.anchorMs).toBeGreaterThan(0);
    if (process.platform === 'linux') expect(anchored.noise?.waitPct).toBeGreaterThanOrEqual(0);
    const combined = combineRounds([plain, anchored], p);
    expect(combined.details.map((d) => d.median)).toEqual([plain.stats.median, anchored.stats.median]);
    expect(combined.details[1].noise?.anchorMs).toBe(anchored.noise?.anchorMs);
    expect(combined.details[0].endedAt).toBe(plain.endedAt);
  });
});

describe('the anchor gate (protocol.anchorGate)', () => {
  const anchored = (median: number, anchorMs: number): RoundRecord => ({ ...round(median), noise: { load1: 0, anchorMs } });
  const P: TimingProtocol = { ...BASE, rounds: 2, estimator: 'min', anchor: true, anchorGate: 1.15, extraRounds: 2 };

  it('leaves a round whose anchor ran slow out of the figure, records it, and keeps every round where all ran slow', async () => {
    const { noteAnchor, resetAnchors } = await import('../../devices/anchor.js');
    resetAnchors();
    noteAnchor(0.1);
    const fast = anchored(1.3, 0.1);
    const slow = anchored(1.0, 0.13);
    const r = combineRounds([fast, slow], P);
    // The slow round's median is lower here on purpose: the gate, not the estimator, leaves it out.
    expect(r.stats.median).toBeCloseTo(1.3, 6);
    expect(r.rounds).toEqual([fast.stats.median]);
    expect(r.setAside).toBe(1);
    expect(r.details.map((d) => d.setAside ?? false)).toEqual([false, true]);
    expect(combineRounds([slow, anchored(1.2, 0.14)], P).rounds).toHaveLength(2);
    // Without the gate the anchor is a record only.
    expect(combineRounds([fast, slow], { ...P, anchorGate: undefined }).stats.median).toBeCloseTo(1.0, 6);
    resetAnchors();
  });

  it('times a model again while all its rounds ran slow, up to extraRounds more', async () => {
    const { noteAnchor, resetAnchors } = await import('../../devices/anchor.js');
    resetAnchors();
    noteAnchor(0.1);
    const slow = anchored(1.0, 0.13);
    expect(needsAnotherRound([slow, slow], P)).toBe(true);
    expect(needsAnotherRound([slow, slow, anchored(1.1, 0.1)], P)).toBe(false);
    expect(needsAnotherRound([slow, slow, slow, slow], P)).toBe(false);
    expect(needsAnotherRound([slow, slow], { ...P, anchorGate: undefined })).toBe(false);
    resetAnchors();
  });

  it('in a run, the reference is the fastest anchor any round brought: rounds taken in a slow spell are retaken', async () => {
    const { resetAnchors } = await import('../../devices/anchor.js');
    resetAnchors();
    // The machine is fast (anchor 0.1) for the run's first round, slow (0.13) for the next four, then fast
    // again: whichever items had both their rounds in the slow spell get a third, and every figure is fast.
    let n = 0;
    const items = ['a', 'b', 'c'];
    const results = await measureInRounds(items, (k) => k, P, { seed: 1, time: async () => (n++ >= 1 && n <= 5 ? anchored(1.3, 0.13) : anchored(1.0, 0.1)) });
    for (const k of items) expect(results.get(k)!.stats.median).toBeCloseTo(1.0, 6);
    expect(n).toBeGreaterThan(6);
    resetAnchors();
  });
});
