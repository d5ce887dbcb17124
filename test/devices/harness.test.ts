import { describe, expect, it } from 'vitest';
import { measure, timedLoop, type SampleSource } from '../../devices/harness.js';
import type { TimingProtocol } from '../../devices/types.js';
import { UserError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';

/** A source of synthetic durations that records how it was called. */
function synthetic(draw: () => number) {
  const calls: number[] = [];
  let colds = 0;
  const source: SampleSource = {
    cold: async () => {
      colds++;
      return 5;
    },
    samples: async (count) => {
      calls.push(count);
      return Array.from({ length: count }, draw);
    },
  };
  return { source, calls, colds: () => colds };
}

const protocol: TimingProtocol = { warmup: 5, minRepeats: 20, maxRepeats: 1000, maxTimeMs: 10_000, targetCI: 0.02 };

describe('measure', () => {
  it('stops at minRepeats when the samples are stable', async () => {
    const rng = new Rng(1);
    const s = synthetic(() => 1 + 0.001 * rng.normal());
    const m = await measure(s.source, protocol);
    expect(s.colds()).toBe(1);
    // cold counts as the first warm-up run: 4 more untimed, then one batch of minRepeats.
    expect(s.calls).toEqual([4, 20]);
    expect(m.samples).toHaveLength(20);
    expect(m.coldMs).toBe(5);
    expect(m.stats.converged).toBe(true);
    expect(m.stats.median).toBeCloseTo(1, 2);
  });

  it('grows batches until the CI converges', async () => {
    const rng = new Rng(2);
    const s = synthetic(() => 1 + 0.1 * rng.normal());
    const m = await measure(s.source, protocol);
    expect(m.samples.length).toBeGreaterThan(20);
    expect(m.stats.converged).toBe(true);
    const batches = s.calls.slice(1);
    for (let i = 1; i < batches.length; i++) expect(batches[i]).toBeGreaterThanOrEqual(batches[i - 1]);
  });

  it('respects maxRepeats when it never converges', async () => {
    const rng = new Rng(3);
    const s = synthetic(() => rng.next() * 10);
    const m = await measure(s.source, { ...protocol, maxRepeats: 150 });
    expect(m.samples).toHaveLength(150);
    expect(m.stats.converged).toBe(false);
  });

  it('respects maxTimeMs with real slow runs', async () => {
    let i = 0;
    // Alternating 1 and 3 ms runs never converge to ±0.1%.
    const source = timedLoop(() => new Promise((r) => setTimeout(r, i++ % 2 ? 3 : 1)));
    const m = await measure(source, { warmup: 2, minRepeats: 1000, maxRepeats: 10_000, maxTimeMs: 150, targetCI: 0.001 });
    // 1000 runs of >= 1 ms each would take >= 1 s: fewer samples than minRepeats shows the time budget stopped it.
    expect(m.samples.length).toBeGreaterThan(0);
    expect(m.samples.length).toBeLessThan(1000);
    expect(m.stats.converged).toBe(false);
  });

  it('takes one sample even when the cold run alone exceeds the time budget', async () => {
    const s = synthetic(() => 1);
    const source: SampleSource = { ...s.source, cold: async () => 1e6 };
    const m = await measure(source, protocol);
    expect(m.samples.length).toBeGreaterThanOrEqual(1);
    expect(s.calls).not.toContain(4); // warm-up skipped: the cold run says a run is slower than the budget
  });

  it('rejects an invalid protocol with a UserError', async () => {
    const s = synthetic(() => 1);
    await expect(measure(s.source, { ...protocol, minRepeats: 0 })).rejects.toThrow(UserError);
    await expect(measure(s.source, { ...protocol, maxRepeats: 5 })).rejects.toThrow(/minRepeats/);
  });

  it('catches a source that returns the wrong number of samples', async () => {
    const source: SampleSource = { cold: async () => 1, samples: async () => [1] };
    await expect(measure(source, { ...protocol, warmup: 0 })).rejects.toThrow(/returned 1 durations/);
  });
});

describe('timedLoop', () => {
  it('times each run separately', async () => {
    let calls = 0;
    const source = timedLoop(() => {
      calls++;
      const end = performance.now() + 2;
      while (performance.now() < end);
    });
    expect(await source.cold()).toBeGreaterThanOrEqual(2);
    const samples = await source.samples(3);
    expect(samples).toHaveLength(3);
    for (const x of samples) expect(x).toBeGreaterThanOrEqual(2);
    expect(calls).toBe(4);
  });
});
