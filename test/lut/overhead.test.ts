import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adoptOverheadFromPasses } from '../../lut/overhead.js';
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
