import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mergeLuts } from '../../lut/merge.js';
import { adoptOverheadFromPasses, OVERHEAD_ITEM, RunOverhead } from '../../lut/overhead.js';
import { rescaleLut } from '../../lut/reference.js';
import { LutStore, readLut } from '../../lut/store.js';
import { device, entry, KEYS, protocol, stats } from './fixtures.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'lut-overhead-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A store whose overhead was measured at `firstMs`, with entries of raw medians 0.02, 0.03 and 0.4 ms. */
function filled(firstMs: number): { store: LutStore; file: string } {
  const file = path.join(dir, 'x.lut.json');
  const store = LutStore.open(file, device, protocol);
  store.setOverhead(stats(firstMs));
  store.put(KEYS.conv, entry(0.02, 0.01, firstMs));
  store.put(KEYS.dw, entry(0.03, 0.01, firstMs));
  store.put(KEYS.mb, entry(0.4, 0.01, firstMs));
  return { store, file };
}

describe('adoptOverheadFromPasses (the overhead timed in the entries\' passes is the one the LUT keeps)', () => {
  it('replaces a figure timed alone in a slow moment and recomputes each entry as median − overhead, on disk', () => {
    const { store, file } = filled(0.035);
    expect(store.get(KEYS.conv)!.net).toBe(0); // 0.02 − 0.035 clamps: the failure this guards against
    const adopted = adoptOverheadFromPasses(store, stats(0.016), 'entries');
    expect(adopted).toMatchObject({ aloneMs: expect.closeTo(0.035, 9), passesMs: expect.closeTo(0.016, 9) });
    expect(adopted.warning).toMatch(/timed in the entries' passes: 0\.0160 ms, against 0\.0350 ms timed alone/);
    store.close();
    const lut = readLut(file);
    expect(lut.overhead.median).toBeCloseTo(0.016, 9);
    expect(lut.entries[KEYS.conv].net).toBeCloseTo(0.004, 9);
    expect(lut.entries[KEYS.dw].net).toBeCloseTo(0.014, 9);
    expect(lut.entries[KEYS.mb].net).toBeCloseTo(0.384, 9);
  });

  it('keeps the passes\' figure when it is higher too, and says so only beyond 10%', () => {
    for (const [passesMs, says] of [[0.0155, false], [0.016, false], [0.017, false], [0.03, true]] as const) {
      const { store, file } = filled(0.016);
      const adopted = adoptOverheadFromPasses(store, stats(passesMs), 'units');
      expect(adopted.warning !== undefined).toBe(says);
      store.close();
      const lut = readLut(file);
      expect(lut.overhead.median).toBeCloseTo(passesMs, 9);
      expect(lut.entries[KEYS.dw].net).toBeCloseTo(Math.max(0, 0.03 - passesMs), 9);
      rmSync(file);
    }
  });
});

describe('entries net of their own run\'s overhead (LutEntry.overheadMs)', () => {
  it('settleOwed changes only the owed entries; adoptOverhead leaves entries with their own overhead', async () => {
    const { store, file } = filled(0.02);
    store.adoptOverhead(stats(0.016));
    const owed = { ...entry(0.5, 0.01, 0.016), overheadOwed: true as const };
    store.put(KEYS.pool, owed);
    const before = readLut(file);
    expect(store.settleOwed([KEYS.pool, KEYS.conv], stats(0.03))).toBe(1);
    store.close();
    const after = readLut(file);
    expect(after.overhead).toEqual(before.overhead);
    for (const k of [KEYS.conv, KEYS.dw, KEYS.mb]) expect(after.entries[k]).toEqual(before.entries[k]);
    expect(after.entries[KEYS.pool]).toMatchObject({ overheadMs: 0.03, net: 0.5 - 0.03 });
    expect(after.entries[KEYS.pool].overheadOwed).toBeUndefined();
    // A first run's adoption recomputes the entries net of the LUT's overhead, not those net of their own.
    const again = LutStore.open(file, device, protocol);
    again.adoptOverhead(stats(0.01));
    again.close();
    const adopted = readLut(file);
    expect(adopted.entries[KEYS.pool]).toEqual(after.entries[KEYS.pool]);
    expect(adopted.entries[KEYS.dw].net).toBeCloseTo(0.03 - 0.01, 12);
  });

  it('a rescaled LUT (timing reference, merge) scales an entry\'s own overhead with it and keeps its net consistent', () => {
    const { store, file } = filled(0.02);
    store.adoptOverhead(stats(0.016));
    store.put(KEYS.pool, { ...entry(0.5, 0.01, 0.03), overheadMs: 0.03 });
    store.close();
    const lut = { ...readLut(file), protocol: { ...protocol, reference: 'conv', referenceMs: 1 } };
    const scaled = rescaleLut(lut, 2, 2);
    expect(scaled.entries[KEYS.pool].overheadMs).toBeCloseTo(0.06, 12);
    expect(scaled.entries[KEYS.pool].net).toBeCloseTo(1 - 0.06, 12);
    expect(scaled.entries[KEYS.dw].net).toBeCloseTo(0.06 - 2 * 0.016, 12);
    const merged = mergeLuts([lut, { ...lut, overhead: stats(0.01, 0.001), entries: {} }]).lut;
    expect(merged.overhead.median).toBeCloseTo(0.01, 12); // the better-measured overhead, as before
    expect(merged.entries[KEYS.pool]).toEqual(lut.entries[KEYS.pool]); // its net is its own run's
    expect(merged.entries[KEYS.dw].net).toBeCloseTo(0.03 - 0.01, 12);
  });

  it('a rounds file that owes the LUT\'s overhead (a first run of an older version, stopped) makes the run adopt it', () => {
    const { store } = filled(0.02);
    store.adoptOverhead(stats(0.016)); // an older LUT: no overheadProvisional
    expect(RunOverhead.start(store, { get: () => undefined }).ownsLutOverhead).toBe(false);
    const legacy = RunOverhead.start(store, { get: (k) => (k === OVERHEAD_ITEM ? [] : undefined) });
    expect(legacy.ownsLutOverhead).toBe(true);
    expect(legacy.key).toBe(OVERHEAD_ITEM);
    store.close();
  });
});
