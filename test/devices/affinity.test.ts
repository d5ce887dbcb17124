import { describe, expect, it } from 'vitest';
import { affinitySupport, currentCpu, getAffinity, parseCpuList } from '../../devices/affinity.js';
import { checkCpuSpec, ensurePinned, fastestCpu } from '../../devices/pin.js';
import { worstOf } from '../../devices/noise.js';
import { speedProbe } from '../../devices/speed-probe.js';
import { UserError } from '../../src/core/errors.js';

describe('CPU lists and /proc/self/stat', () => {
  it('parses taskset-style lists', () => {
    expect(parseCpuList('0')).toEqual([0]);
    expect(parseCpuList('0-3,6,8-9')).toEqual([0, 1, 2, 3, 6, 8, 9]);
    expect(parseCpuList('3,1,1')).toEqual([1, 3]);
    expect(() => parseCpuList('a')).toThrow(/not a CPU list/);
  });
  it('reads the CPU a process last ran on (field 39), past a command name with spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 1));
    fields[38] = '7';
    const text = `${fields[0]} (node (x) y) ${fields.slice(2).join(' ')}`;
    expect(currentCpu(text)).toBe(7);
    expect(currentCpu('garbage')).toBeUndefined();
  });
});

describe('pinning', () => {
  it('picks the fastest CPU, the lower number on a tie', () => {
    expect(fastestCpu([{ cpu: 0, probeMs: 0.2 }, { cpu: 1, probeMs: 0.17 }])).toBe(1);
    expect(fastestCpu([{ cpu: 3, probeMs: 0.17 }, { cpu: 1, probeMs: 0.17 }])).toBe(1);
    expect(() => fastestCpu([])).toThrow();
  });
  it('accepts auto and CPU lists, refuses anything else as a user error', () => {
    expect(() => checkCpuSpec('auto')).not.toThrow();
    expect(() => checkCpuSpec('0,2-3')).not.toThrow();
    expect(() => checkCpuSpec('fast')).toThrow(UserError);
    expect(() => checkCpuSpec('')).toThrow(UserError);
    expect(ensurePinned(undefined)).toBeUndefined();
  });
  it('refuses a CPU this process may not run on', () => {
    if (affinitySupport() !== true) return console.warn(`skipped: ${affinitySupport()}`);
    expect(() => ensurePinned('4095')).toThrow(/CPU 4095 is not one this process may run on/);
    expect(getAffinity()!.length).toBeGreaterThan(0);
  });
});

describe('CPU speed in noise readings', () => {
  it('the probe returns positive figures, fastest ≤ median', () => {
    const p = speedProbe(3, 1);
    expect(p.minMs).toBeGreaterThan(0);
    expect(p.minMs).toBeLessThanOrEqual(p.medianMs);
  });
  it('rounds combine to the slowest probe, and the CPU only when all rounds ran on the same one', () => {
    expect(worstOf([{ load1: 1, probeMs: 0.17, cpu: 1 }, { load1: 2, probeMs: 0.2, cpu: 1 }])).toEqual({ load1: 2, probeMs: 0.2, cpu: 1 });
    expect(worstOf([{ load1: 1, probeMs: 0.17, cpu: 1 }, { load1: 2, cpu: 0 }])).toEqual({ load1: 2, probeMs: 0.17 });
    expect(worstOf([{ load1: 1 }, { load1: 2 }])).toEqual({ load1: 2 });
  });
});
