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
