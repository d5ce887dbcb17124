/**
 * A run that adds entries to a LUT whose overhead is final keeps the LUT's overhead and every entry already
 * measured, bit for bit, and subtracts the overhead timed in its own passes from its own entries only
 * (lut/overhead.ts); a run that creates the LUT, or resumes its interrupted first run, adopts the overhead of its
 * passes as the LUT's, as before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scaleStats } from '../../devices/reference.js';
import type { Device, TimingProtocol } from '../../devices/types.js';
import { overheadModel } from '../../export/model.js';
import { PartialRounds } from '../../lut/partial-rounds.js';
import { OVERHEAD_ITEM, RUN_OVERHEAD_ITEM } from '../../lut/overhead.js';
import { readLut } from '../../lut/store.js';
import { opKey } from '../../src/core/keys.js';
import { profile } from '../../src/profile/profiler.js';
import { instances, PROTOCOL, slowMock } from './fixtures/instances.js';

const ROUNDS: TimingProtocol = { ...PROTOCOL, rounds: 3, estimator: 'min' };
const OVERHEAD_KEY = overheadModel([1, 1, 1, 1]).key;

let dir: string;
let lutPath: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'incremental-overhead-'));
  lutPath = path.join(dir, 'mock.lut.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The mock with the overhead model `factor`× as slow (another machine state in this run), and a hook per time(). */
function overheadAt(factor: number, onTime?: () => void): { device: Device; timed: string[] } {
  const { device, timed } = slowMock({ noise: 0, outlierRate: 0 });
  return {
    timed,
    device: {
      ...device,
      time: async (m, p) => {
        onTime?.();
        const r = await device.time(m, p);
        return m.key === OVERHEAD_KEY ? { ...r, stats: scaleStats(r.stats, factor) } : r;
      },
    },
  };
}

describe('profile, adding entries to a LUT whose overhead is final', () => {
  it('keeps the LUT\'s overhead and old entries bit for bit; the new entries are net of the overhead of their own passes', async () => {
    const all = instances(7);
    await profile({ device: overheadAt(1).device, instances: all.slice(0, 4), protocol: PROTOCOL, lutPath });
    const before = readLut(lutPath);
    expect(before.overheadProvisional).toBeUndefined(); // the first run completed: final
    // The added run meets the overhead 2.5× as slow (a loaded moment, a few passes).
    const r = await profile({ device: overheadAt(2.5).device, instances: all, protocol: PROTOCOL, lutPath });
    expect(r.summary).toMatchObject({ measured: 3, reused: 4, interrupted: false });
    const after = readLut(lutPath);
    expect(JSON.stringify(after.overhead)).toBe(JSON.stringify(before.overhead));
    expect(r.overheadMs).toBe(before.overhead.median);
    for (const [key, e] of Object.entries(before.entries)) expect(JSON.stringify(after.entries[key])).toBe(JSON.stringify(e));
    const added = all.slice(4).map(opKey);
    const runMs = after.entries[added[0]].overheadMs!;
    expect(runMs).toBeCloseTo(2.5 * before.overhead.median, 9);
    for (const key of added) {
      const e = after.entries[key];
      expect(e.overheadOwed).toBeUndefined();
      expect(e.overheadMs).toBe(runMs);
      expect(e.net).toBe(Math.max(0, e.stats.median - runMs));
    }
  });

  it('a killed adding run leaves its entries owed; the run that resumes it settles them with its own passes\' overhead, old entries untouched', async () => {
    const all = instances(8);
    await profile({ device: overheadAt(1).device, instances: all.slice(0, 4), protocol: ROUNDS, lutPath });
    const before = readLut(lutPath);
    const controller = new AbortController();
    let n = 0;
    // 4 new entries + the overhead, 3 rounds each: stop in the third pass, when some entries are complete, not all.
    const stopping = overheadAt(2, () => {
      if (++n === 14) controller.abort();
    });
    const cut = await profile({ device: stopping.device, instances: all, protocol: ROUNDS, lutPath, signal: controller.signal });
    expect(cut.summary.interrupted).toBe(true);
    const mid = readLut(lutPath);
    const partial = PartialRounds.open(lutPath, mid.id);
    expect(partial.get(RUN_OVERHEAD_ITEM)).toBeDefined(); // owed: this run's overhead, not the LUT's
    expect(partial.get(OVERHEAD_ITEM)).toBeUndefined();
    const owed = Object.keys(mid.entries).filter((k) => mid.entries[k].overheadOwed);
    expect(owed.length).toBeGreaterThan(0);
    expect(JSON.stringify(mid.overhead)).toBe(JSON.stringify(before.overhead));

    const r = await profile({ device: overheadAt(2).device, instances: all, protocol: ROUNDS, lutPath });
    expect(r.summary.interrupted).toBe(false);
    const after = readLut(lutPath);
    expect(JSON.stringify(after.overhead)).toBe(JSON.stringify(before.overhead));
    for (const [key, e] of Object.entries(before.entries)) expect(JSON.stringify(after.entries[key])).toBe(JSON.stringify(e));
    for (const key of all.slice(4).map(opKey)) {
      const e = after.entries[key];
      expect(e.overheadOwed).toBeUndefined();
      expect(e.overheadMs).toBeCloseTo(2 * before.overhead.median, 9);
      expect(e.net).toBe(Math.max(0, e.stats.median - e.overheadMs!));
    }
  });

  it('--force starts a new LUT that adopts its own overhead as before', async () => {
    await profile({ device: overheadAt(1).device, instances: instances(4), protocol: PROTOCOL, lutPath });
    const before = readLut(lutPath);
    await profile({ device: overheadAt(2).device, instances: instances(4), protocol: PROTOCOL, lutPath, force: true });
    const after = readLut(lutPath);
    expect(after.overhead.median).toBeCloseTo(2 * before.overhead.median, 9);
    for (const e of Object.values(after.entries)) {
      expect(e.overheadMs).toBeUndefined();
      expect(e.net).toBe(Math.max(0, e.stats.median - after.overhead.median));
    }
  });

  it('a first run killed before the overhead of its passes: the run that resumes it adopts that overhead for every entry', async () => {
    const all = instances(6);
    const controller = new AbortController();
    let n = 0;
    // 3 rounds of the overhead alone, then 6 entries + overhead × 3 rounds: stop in the second pass.
    const stopping = overheadAt(3, () => {
      if (++n === 3 + 10) controller.abort();
    });
    await profile({ device: stopping.device, instances: all, protocol: ROUNDS, lutPath, signal: controller.signal });
    const mid = readLut(lutPath);
    expect(mid.overheadProvisional).toBe(true);
    await profile({ device: overheadAt(1).device, instances: all, protocol: ROUNDS, lutPath });
    const after = readLut(lutPath);
    expect(after.overheadProvisional).toBeUndefined();
    expect(after.overhead.median).toBeCloseTo(mid.overhead.median / 3, 9); // alone at 3×; its passes' rounds at 3× and 1×, min
    for (const e of Object.values(after.entries)) {
      expect(e.overheadMs).toBeUndefined();
      expect(e.overheadOwed).toBeUndefined();
      expect(e.net).toBe(Math.max(0, e.stats.median - after.overhead.median));
    }
  });
});
