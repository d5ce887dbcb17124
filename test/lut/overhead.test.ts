import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { confirmOverhead } from '../../lut/overhead.js';
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

describe('confirmOverhead (an overhead measured in a slow moment is replaced, and every net recomputed)', () => {
  it('keeps the lower end-of-run figure and recomputes each entry as median − overhead, on disk', async () => {
    const { store, file } = filled(0.035);
    expect(store.get(KEYS.conv)!.net).toBe(0); // 0.02 − 0.035 clamps: the failure this guards against
    const check = await confirmOverhead(store, async () => stats(0.016));
    expect(check).toEqual({ firstMs: expect.closeTo(0.035, 9), againMs: expect.closeTo(0.016, 9), rebased: true });
    store.close();
    const lut = readLut(file);
    expect(lut.overhead.median).toBeCloseTo(0.016, 9);
    expect(lut.entries[KEYS.conv].net).toBeCloseTo(0.004, 9);
    expect(lut.entries[KEYS.dw].net).toBeCloseTo(0.014, 9);
    expect(lut.entries[KEYS.mb].net).toBeCloseTo(0.384, 9);
  });

  it('leaves the LUT alone when the second figure is not more than 10% lower (or is higher)', async () => {
    for (const againMs of [0.0155, 0.016, 0.03]) {
      const { store, file } = filled(0.016);
      const check = await confirmOverhead(store, async () => stats(againMs));
      expect(check!.rebased).toBe(false);
      store.close();
      const lut = readLut(file);
      expect(lut.overhead.median).toBeCloseTo(0.016, 9);
      expect(lut.entries[KEYS.dw].net).toBeCloseTo(0.014, 9);
      rmSync(file);
    }
  });
});
