import { describe, expect, it } from 'vitest';
import { diffLuts } from '../../lut/diff.js';
import { mergeLuts } from '../../lut/merge.js';
import { showLut } from '../../lut/show.js';
import { createLut } from '../../lut/store.js';
import { UserError } from '../../src/core/errors.js';
import { device, entry, KEYS, protocol, stats } from './fixtures.js';

function lut(entries: Record<string, ReturnType<typeof entry>>, overhead = stats(0.05), dev = device) {
  const l = createLut(dev, protocol, overhead);
  l.entries = entries;
  return l;
}

describe('diffLuts', () => {
  it('finds keys only in one LUT and ratios of the common ones', () => {
    const a = lut({ [KEYS.conv]: entry(1), [KEYS.mb]: entry(2), [KEYS.dw]: entry(0.5) });
    const b = lut({ [KEYS.conv]: entry(2), [KEYS.mb]: entry(1), [KEYS.pool]: entry(0.1) }, stats(0.1), { ...device, runtimeVersion: '2' });
    const d = diffLuts(a, b);
    expect(d.onlyA).toEqual([KEYS.dw]);
    expect(d.onlyB).toEqual([KEYS.pool]);
    expect(d.common.map((c) => [c.key, c.ratio])).toEqual([
      [KEYS.mb, 0.5],
      [KEYS.conv, 2],
    ]);
    expect(d.summary!.count).toBe(2);
    expect(d.summary!.geomean).toBeCloseTo(1, 9);
    expect(d.summary!.max.key).toBe(KEYS.conv);
    expect(d.overhead.ratio).toBeCloseTo(2, 9);
    expect(d.device).toEqual(['runtimeVersion: A "1", B "2"']);
    expect(d.protocol).toEqual([]);
  });

  it('has no summary when nothing is shared', () => {
    expect(diffLuts(lut({ [KEYS.conv]: entry(1) }), lut({})).summary).toBeUndefined();
  });
});

describe('mergeLuts', () => {
  it('keeps the entry with the tighter CI and counts where entries came from', () => {
    const a = lut({ [KEYS.conv]: entry(1, 0.2), [KEYS.mb]: entry(2, 0.01) });
    const b = lut({ [KEYS.conv]: entry(1.1, 0.01), [KEYS.dw]: entry(0.5) }, stats(0.07, 0.2));
    a.spaces = ['mbv2@96'];
    b.spaces = ['mbv2@128'];
    const { lut: m, fromEach, conflicts } = mergeLuts([a, b]);
    expect(conflicts).toBe(1);
    expect(fromEach).toEqual([1, 2]);
    expect(m.entries[KEYS.conv].stats.median).toBeCloseTo(1.1, 9);
    expect(m.entries[KEYS.mb].stats.median).toBeCloseTo(2, 9);
    // a's overhead has the tighter CI; every net is recomputed against it
    expect(m.overhead.median).toBeCloseTo(0.05, 9);
    expect(m.entries[KEYS.conv].net).toBeCloseTo(1.05, 9);
    expect(m.spaces).toEqual(['mbv2@96', 'mbv2@128']);
  });

  it('refuses LUTs from different settings unless forced', () => {
    const a = lut({ [KEYS.conv]: entry(1) });
    const b = lut({ [KEYS.dw]: entry(1) }, stats(0.05), { ...device, ep: 'other' });
    expect(() => mergeLuts([a, b], { names: ['a.json', 'b.json'] })).toThrow(UserError);
    expect(() => mergeLuts([a, b], { names: ['a.json', 'b.json'] })).toThrow('ep: a.json "synthetic", b.json "other"');
    const { lut: m } = mergeLuts([a, b], { force: true });
    expect(Object.keys(m.entries)).toHaveLength(2);
    expect(m.device.ep).toBe('synthetic');
    expect(() => mergeLuts([])).toThrow(/at least one/);
  });
});

describe('mergeLuts with a timing reference (R and β differ from run to run)', () => {
  const referenced = (referenceMs: number, referenceSlope: number | undefined, entries: Record<string, ReturnType<typeof entry>>, overhead = stats(0.05)) => {
    const l = createLut(device, { ...protocol, rounds: 3, estimator: 'median', reference: 'mbv2net64', referenceMs, ...(referenceSlope !== undefined ? { referenceSlope } : {}) }, overhead);
    l.entries = entries;
    return l;
  };

  it('brings a LUT of the same β to the first one\'s R exactly: every figure × (R first / R own)^β', () => {
    const a = referenced(1.0, 0.5, { [KEYS.conv]: entry(1, 0.2) });
    const b = referenced(1.21, 0.5, { [KEYS.conv]: { ...entry(1.1, 0.01), rounds: [1.1, 1.12, 1.09] }, [KEYS.dw]: entry(0.5) }, stats(0.06, 0.001));
    const f = (1.0 / 1.21) ** 0.5;
    const { lut: m, rescaled, fromEach } = mergeLuts([a, b], { names: ['a.json', 'b.json'] });
    expect(rescaled).toEqual([{ name: 'b.json', fromMs: 1.21, toMs: 1.0, factor: expect.closeTo(f, 12) }]);
    expect(fromEach).toEqual([0, 2]);
    expect(m.protocol).toMatchObject({ referenceMs: 1.0, referenceSlope: 0.5 });
    expect(m.entries[KEYS.dw].stats.median).toBeCloseTo(0.5 * f, 12);
    expect(m.entries[KEYS.conv].stats.median).toBeCloseTo(1.1 * f, 12);
    expect(m.entries[KEYS.conv].rounds![1]).toBeCloseTo(1.12 * f, 12);
    // b's overhead is the better measured: taken in a's unit too, and every net against it
    expect(m.overhead.median).toBeCloseTo(0.06 * f, 12);
    expect(m.entries[KEYS.dw].net).toBeCloseTo((0.5 - 0.06) * f, 12);
    // A LUT from before β (absent = 1) merges with one of β 1 the same way.
    const old = mergeLuts([referenced(2, undefined, { [KEYS.conv]: entry(1) }), referenced(1, 1, { [KEYS.dw]: entry(1) })]);
    expect(old.lut.entries[KEYS.dw].stats.median).toBeCloseTo(2, 12);
    // The same R: nothing to do.
    expect(mergeLuts([a, referenced(1.0, 0.5, { [KEYS.dw]: entry(0.5) })]).rescaled).toEqual([]);
  });

  it('refuses, even forced, LUTs whose rounds were scaled with another β, saying how to fix it', () => {
    const a = referenced(1.0, 0.43, { [KEYS.conv]: entry(1) });
    const b = { ...referenced(1.1, 0.3, { [KEYS.dw]: entry(1) }), referenceProvisional: true as const };
    for (const force of [false, true]) {
      let error: unknown;
      try {
        mergeLuts([a, b], { names: ['a.json', 'b.json'], force });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).message).toMatch(/cannot merge b\.json into a\.json: .*different slopes \(β 0\.300 in b\.json, 0\.430 in a\.json/);
      expect((error as UserError).hint).toMatch(/b\.json is still provisional.*complete it .*same --out.*nas profile --out a\.json with the flags that made b\.json/);
    }
  });

  it('keeps the first LUT\'s provisional mark: the result\'s R is its R', () => {
    const a = { ...referenced(1.0, 0.3, { [KEYS.conv]: entry(1) }), referenceProvisional: true as const };
    const b = referenced(1.1, 0.3, { [KEYS.dw]: entry(1) });
    expect(mergeLuts([a, b]).lut.referenceProvisional).toBe(true);
    expect(mergeLuts([b, a]).lut.referenceProvisional).toBeUndefined();
  });
});

describe('showLut', () => {
  it('summarises entries per kind with the fastest and slowest', () => {
    const l = lut({ [KEYS.conv]: entry(1), [KEYS.mb]: entry(2), [KEYS.dw]: entry(0.5, 0.5) });
    l.unsupported = { [KEYS.pool]: 'nope' };
    const s = showLut(l, { top: 2 });
    expect(s.entries).toBe(3);
    expect(s.perKind).toEqual({ conv: 1, mbconv: 1, dwconv: 1 });
    expect(s.fastest.map((e) => e.key)).toEqual([KEYS.dw, KEYS.conv]);
    expect(s.slowest.map((e) => e.key)).toEqual([KEYS.mb, KEYS.conv]);
    expect(s.totalMedianMs).toBeCloseTo(3.5, 9);
    expect(s.totalNetMs).toBeCloseTo(3.35, 9);
    expect(s.unconverged).toBe(1);
    expect(s.unsupported).toBe(1);
  });
});
