import { describe, expect, it } from 'vitest';
import { busyReason, NoiseProbe, parseProcStat, parseThreadSched, waitQuiet, worstOf } from '../../devices/noise.js';

describe('noise readings', () => {
  it('parses the aggregate cpu line of /proc/stat (steal is the 8th field)', () => {
    const text = 'cpu  100 5 50 800 10 1 2 30 0 0\ncpu0 50 2 25 400 5 0 1 15 0 0\nintr 1\n';
    expect(parseProcStat(text)).toEqual({ steal: 30, total: 998, busy: 188 });
    expect(parseProcStat('nothing here')).toBeUndefined();
  });
  it('parses the thread\'s schedstat (the second field is time waiting for a CPU) and its migration count', () => {
    expect(parseThreadSched('5723172 5481020 3\n', 'cat (1, #threads: 1)\n---\nse.exec_start : 1.5\nse.nr_migrations                             :                    4\n')).toEqual({ waitNs: 5481020, migrations: 4 });
    expect(parseThreadSched('5723172 5481020 3\n')).toEqual({ waitNs: 5481020 });
    expect(parseThreadSched('')).toBeUndefined();
  });
  it('rounds combine to the most waiting and others\' CPU time, and every migration', () => {
    expect(worstOf([{ load1: 1, waitPct: 2, migrations: 1, othersPct: 80 }, { load1: 1, waitPct: 30, migrations: 0, othersPct: 5 }])).toEqual({ load1: 1, waitPct: 30, migrations: 1, othersPct: 80 });
  });
  it('a probe over an interval of work reads the thread\'s wait share and others\' CPU time where Linux shows them', () => {
    const probe = new NoiseProbe();
    const end = Date.now() + 30;
    let x = 0;
    while (Date.now() < end) x += Math.sqrt(x + 1);
    const r = probe.read();
    expect(x).toBeGreaterThan(0);
    if (process.platform !== 'linux') return;
    expect(r.waitPct).toBeGreaterThanOrEqual(0);
    expect(r.waitPct).toBeLessThanOrEqual(100);
    expect(r.othersPct).toBeGreaterThanOrEqual(0);
  });
  it('a probe reads load, and steal and clock where this machine exposes them', () => {
    const r = new NoiseProbe().read();
    expect(r.load1).toBeGreaterThanOrEqual(0);
    if (r.stealPct !== undefined) expect(r.stealPct).toBeGreaterThanOrEqual(0);
    if (r.mhz !== undefined) expect(r.mhz).toBeGreaterThan(0);
  });
  it('busy: load at least the core count, or steal above 5%', () => {
    expect(busyReason({ load1: 1.5 }, 2)).toBeUndefined();
    expect(busyReason({ load1: 2.1 }, 2)).toBe('load average 2.10 on 2 cores');
    expect(busyReason({ load1: 0.3, stealPct: 7.5 }, 4)).toBe('CPU steal 7.5%');
    expect(worstOf([{ load1: 1, mhz: 1000 }, { load1: 2, stealPct: 3, mhz: 3000 }])).toEqual({ load1: 2, stealPct: 3, mhz: 2000 });
  });
  it('waitQuiet returns at once on a quiet machine, waits while busy, and gives up after maxWaitMs', async () => {
    expect(await waitQuiet({ maxWaitMs: 1000, read: () => ({ load1: 0 }) })).toEqual({ waitedMs: 0 });
    const loads = [9, 9, 0.5];
    const logs: string[] = [];
    const r = await waitQuiet({ maxWaitMs: 5000, pollMs: 5, read: () => ({ load1: loads.shift() ?? 0 }), log: (m) => logs.push(m) });
    expect(r.stillBusy).toBeUndefined();
    expect(logs[0]).toMatch(/machine busy \(load average 9.00/);
    expect(logs[1]).toMatch(/quiet after/);
    const stuck = await waitQuiet({ maxWaitMs: 30, pollMs: 5, read: () => ({ load1: 99 }) });
    expect(stuck.stillBusy).toMatch(/load average 99/);
    expect(stuck.waitedMs).toBeGreaterThanOrEqual(25);
  });
});
