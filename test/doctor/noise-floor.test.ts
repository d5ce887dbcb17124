import os from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MockDevice } from '../../devices/mock/index.js';
import type { Device } from '../../devices/types.js';
import { measureNoiseFloor } from '../../src/doctor/noise-floor.js';
import { nasInProcess, runCli } from '../cli/helpers.js';
import { affinitySupport, allowedCpus } from '../../devices/affinity.js';

afterEach(() => vi.restoreAllMocks());

/** The mock device, its timings scaled by `factor(call)` (call counts from 0). */
function drifting(factor: (call: number) => number): Device {
  const mock = new MockDevice();
  let call = 0;
  return {
    name: 'mock',
    init: () => mock.init(),
    supports: (i) => mock.supports(i),
    time: async (m, p) => {
      const f = factor(call++);
      const r = await mock.time(m, p);
      return { ...r, stats: { ...r.stats, median: r.stats.median * f } };
    },
    dispose: () => mock.dispose(),
  };
}

describe('measureNoiseFloor', () => {
  it('a device that repeats itself on a quiet machine is fit', async () => {
    vi.spyOn(os, 'loadavg').mockReturnValue([0.1, 0.1, 0.1]);
    const r = await measureNoiseFloor({ device: drifting(() => 1), seconds: 1, count: 4 });
    expect(r.self!.within5).toBe(100);
    expect(r.fit).toBe(true);
    expect(r.reasons).toEqual([]);
    expect(r.protocol.maxTimeMs).toBeCloseTo(900 / 8, 6);
  });
  it('a device whose second pass is 20% slower is not, and a busy machine is not either', async () => {
    vi.spyOn(os, 'loadavg').mockReturnValue([0.1, 0.1, 0.1]);
    const slow = await measureNoiseFloor({ device: drifting((c) => (c < 4 ? 1 : 1.2)), seconds: 1, count: 4 });
    expect(slow.fit).toBe(false);
    expect(slow.self!.within10).toBe(0);
    expect(slow.medianDiffPct).toBeCloseTo(20, 6);
    expect(slow.reasons[0]).toMatch(/only 0% of 4 networks repeat within ±5%/);
    vi.spyOn(os, 'loadavg').mockReturnValue([50, 50, 50]);
    const busy = await measureNoiseFloor({ device: drifting(() => 1), seconds: 1, count: 4 });
    expect(busy.fit).toBe(false);
    expect(busy.reasons).toEqual([expect.stringMatching(/busy during the check: load average 50.00/)]);
    expect(busy.advice.join(' ')).toMatch(/--wait-quiet/);
  });
  it('stops when its budget ends (an injected clock) and judges the networks it timed, saying it ran out of time', async () => {
    vi.spyOn(os, 'loadavg').mockReturnValue([0.1, 0.1, 0.1]);
    // Each measurement "takes" a second of the injected clock: the 5.5 s budget ends after the 6th of 8.
    let clock = 100;
    const device = drifting(() => ((clock += 1000), 1));
    const r = await measureNoiseFloor({ device, seconds: 5.5, count: 4, now: () => clock });
    expect(r.outOfTime).toEqual({ while: 'timing the networks', measured: 6, total: 8 });
    expect(r.seconds).toBe(6);
    // The first pass and two nets of the second (reversed): two nets timed twice, and they agree.
    expect(r.self).toMatchObject({ n: 2, within5: 100 });
    expect(r.fit).toBe(false);
    expect(r.reasons).toEqual([expect.stringMatching(/^out of time: the 5.5 s budget ended while timing the networks, after 6 of 8 measurements — .*too busy to profile on/)]);
    expect(r.advice.join(' ')).toMatch(/quieter/);
  });
  it('a measurement that never returns ends at the budget with a verdict, not a hang', async () => {
    vi.spyOn(os, 'loadavg').mockReturnValue([0.1, 0.1, 0.1]);
    const base = drifting(() => 1);
    let calls = 0;
    const device: Device = { ...base, time: (m, p) => (++calls > 3 ? new Promise<never>(() => {}) : base.time(m, p)) };
    const r = await measureNoiseFloor({ device, seconds: 1, count: 2 });
    expect(r.outOfTime).toMatchObject({ total: 4 });
    expect(r.outOfTime!.measured).toBeLessThanOrEqual(3);
    expect(r.fit).toBe(false);
    expect(r.reasons[0]).toMatch(/^out of time: the 1 s budget ended while /);
  });
});

describe('nas doctor', () => {
  it('prints the noise floor as JSON, and --fail-if-noisy exits 1 when not fit', async () => {
    vi.spyOn(os, 'loadavg').mockReturnValue([99, 99, 99]);
    const r = await nasInProcess('doctor', '--device', 'mock', '--seconds', '60', '--json', '--fail-if-noisy');
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ nets: 8, resolution: 64, fit: false, budgetSeconds: 60 });
    expect(doc.outOfTime).toBeUndefined();
    expect(doc.self.n).toBe(8);
    // A first pass in one worker process against a pass in another; the mock repeats itself exactly.
    expect(doc.crossProcess.agreement.n).toBe(8);
    expect(doc.crossProcess.medianDiffPct).toBe(0);
    if (doc.cpus) expect(doc.cpus.speeds.every((c: { probeMs: number }) => c.probeMs > 0)).toBe(true);
    else expect(doc.cpusUnreadable).toMatch(/CPU pinning needs/);
    expect(r.code).toBe(1);
    process.exitCode = 0;
  });
  it.skipIf(affinitySupport() !== true || (allowedCpus()?.length ?? 0) < 2)('--cpu: the worker processes time on the CPU asked for, the doctor itself on the others (a child process: pinning is per process)', () => {
    const cpus = allowedCpus()!;
    const r = runCli(['doctor', '--device', 'mock', '--seconds', '60', '--cpu', String(cpus[0]), '--json'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).placement).toEqual({ measuring: [cpus[0]], parent: cpus.slice(1) });
  }, 150_000);
    it('without worker processes only the in-process agreement is measured, and judged', async () => {
    vi.spyOn(os, 'loadavg').mockReturnValue([0.1, 0.1, 0.1]);
    const r = await measureNoiseFloor({ device: drifting(() => 1), seconds: 1, count: 2 });
    expect(r.crossProcess).toBeUndefined();
    expect(r.fit).toBe(true);
  });
  it('keeps to its budget from the command\'s start: worker processes whose measurements take 1 s each are stopped, and the verdict comes', async () => {
    vi.spyOn(os, 'loadavg').mockReturnValue([0.1, 0.1, 0.1]);
    // 24 measurements of over a second each would take half a minute and more; the budget is 3 s.
    const r = await nasInProcess('doctor', '--device', 'mock', '--device-opt', 'delayMs=1000', '--seconds', '3', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.outOfTime.total).toBe(24);
    expect(doc.outOfTime.measured).toBeLessThan(24);
    expect(doc.fit).toBe(false);
    expect(doc.reasons[0]).toMatch(/^out of time: the 3 s budget ended while /);
    // In text: the verdict says why, and where it stopped.
    const t = await nasInProcess('doctor', '--device', 'mock', '--device-opt', 'delayMs=1000', '--seconds', '0.01');
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/NOT fit for profiling: out of time: the 0.01 s budget ended while (starting the device|starting a worker process)/);
    expect(t.stdout).toMatch(/in one process: no network was timed twice before the budget ended/);
    expect(t.stdout).toMatch(/stopped there, after 0 of 24 measurements/);
  }, 60_000);
  it('refuses a bad budget', async () => {
    const r = await nasInProcess('doctor', '--device', 'mock', '--seconds', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--seconds must be in \(0, 600\]/);
  });
});
