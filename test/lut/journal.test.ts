/**
 * The LUT journal (lut/journal.ts): LutStore appends one line per entry and folds the journal into the
 * LUT file now and then; readers and a resumed store see every entry at any instant.
 */
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RoundRecord } from '../../devices/rounds.js';
import { fsCalls } from '../../src/core/atomic-file.js';
import { EXIT_IO, IoError, UserError } from '../../src/core/errors.js';
import { journalPath } from '../../lut/journal.js';
import { createLut, FOLD, LutStore, readLut, updateLut, writeLut } from '../../lut/store.js';
import { PartialRounds } from '../../lut/partial-rounds.js';
import { device, entry, KEYS, protocol, stats } from './fixtures.js';

let dir: string;
let file: string;
const saved = { ...FOLD };
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'lut-journal-'));
  file = path.join(dir, 'a.lut.json');
  FOLD.intervalMs = 1e9; // folds by count only: these tests must not depend on how fast the machine is
});
afterEach(() => {
  Object.assign(FOLD, saved);
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** `n` distinct canonical keys. */
const keys = (n: number) => Array.from({ length: n }, (_, i) => `conv:1x8x16x16:c${i + 1}:k3:s1:g1:d1:relu:f32`);
/** The entries of the LUT file alone, without its journal. */
const bare = () => Object.keys(JSON.parse(readFileSync(file, 'utf8')).entries as object).length;
const journalLines = () => (existsSync(journalPath(file)) ? readFileSync(journalPath(file), 'utf8').split('\n').filter(Boolean).length : 0);

function opened(): LutStore {
  const store = LutStore.open(file, device, protocol);
  store.setOverhead(stats(0.05));
  return store;
}

describe('LutStore with a journal', () => {
  it('appends each entry as one line, reads them back with the LUT, and close() folds them into the file', () => {
    const store = opened();
    for (const key of keys(10)) store.put(key, entry(1));
    store.markUnsupported(KEYS.pool, 'no pool');
    store.addSpace('nb201@32');
    expect(bare()).toBe(0);
    expect(journalLines()).toBe(1 + 12); // header + one line per record
    expect(Object.keys(readLut(file).entries)).toHaveLength(10);
    expect(readLut(file)).toMatchObject({ unsupported: { [KEYS.pool]: 'no pool' }, spaces: ['nb201@32'] });
    store.close();
    expect(existsSync(journalPath(file))).toBe(false);
    expect(bare()).toBe(10);
    expect(readdirSync(dir)).toEqual(['a.lut.json']);
  });

  it('rewrites the LUT file a logarithmic number of times, not once per entry', () => {
    const rename = vi.spyOn(fsCalls, 'renameSync');
    const store = opened();
    for (const key of keys(300)) store.put(key, entry(1));
    store.close();
    expect(bare()).toBe(300);
    // 64 records, or a quarter of the LUT if more: the creation, folds at 64, 128, 192, 256, and close() at 300.
    expect(rename.mock.calls.length).toBe(6);
  });

  it('folds at least every FOLD.intervalMs', () => {
    FOLD.intervalMs = 0;
    const store = opened();
    store.put(KEYS.conv, entry(1));
    expect(bare()).toBe(1);
    expect(existsSync(journalPath(file))).toBe(false);
    store.close();
  });

  it('a store that is never closed (killed) loses nothing: the next open takes the journal in and folds it', () => {
    const store = opened();
    for (const key of keys(5)) store.put(key, entry(1));
    expect(bare()).toBe(0);
    const again = LutStore.open(file, device, protocol);
    expect(again.size).toBe(5);
    expect(bare()).toBe(5);
    expect(existsSync(journalPath(file))).toBe(false);
  });

  it('ignores a line cut short by a killed writer, and the next append cuts it off', () => {
    const store = opened();
    store.put(KEYS.conv, entry(1));
    appendFileSync(journalPath(file), '{"entry":"conv:1x8x16x16:c16:k3:s1:g1:d1:relu:f32","val');
    expect(Object.keys(readLut(file).entries)).toEqual([KEYS.conv]);
    store.put(KEYS.dw, entry(2));
    expect(readFileSync(journalPath(file), 'utf8')).not.toContain('"val\n');
    expect(Object.keys(readLut(file).entries).sort()).toEqual([KEYS.conv, KEYS.dw].sort());
  });

  it('a journal written against other content (the LUT was rewritten since) is ignored, and removed by open', () => {
    const store = opened();
    store.put(KEYS.conv, entry(1));
    const other = createLut(device, protocol, stats(0.05));
    other.entries[KEYS.mb] = entry(3);
    writeLut(file, other); // e.g. a merge written over it
    expect(Object.keys(readLut(file).entries)).toEqual([KEYS.mb]);
    LutStore.open(file, device, protocol);
    expect(existsSync(journalPath(file))).toBe(false);
    expect(Object.keys(readLut(file).entries)).toEqual([KEYS.mb]);
  });

  it('a running store takes in a LUT rewritten under it (a calibration) and keeps its own entries', () => {
    const store = opened();
    store.put(KEYS.conv, entry(1));
    updateLut(file, (lut) => ({ ...lut, spaces: [...lut.spaces, 'calibrated'] }));
    expect(existsSync(journalPath(file))).toBe(false); // updateLut folded what the journal held
    store.put(KEYS.dw, entry(2));
    store.close();
    const lut = readLut(file);
    expect(Object.keys(lut.entries).sort()).toEqual([KEYS.conv, KEYS.dw].sort());
    expect(lut.spaces).toEqual(['calibrated']);
  });

  it('a full disk while appending is exit 74 and leaves the journal as it was', () => {
    const store = opened();
    store.put(KEYS.conv, entry(1));
    const before = statSync(journalPath(file)).size;
    vi.spyOn(fsCalls, 'writeSync').mockReturnValueOnce(5).mockReturnValue(0);
    let error: unknown;
    try {
      store.put(KEYS.dw, entry(2));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IoError);
    expect((error as IoError).exitCode).toBe(EXIT_IO);
    expect((error as Error).message).toMatch(/cannot write LUT file .*a\.lut\.json: no space left on the device/);
    expect(statSync(journalPath(file)).size).toBe(before);
    expect(Object.keys(readLut(file).entries)).toEqual([KEYS.conv]);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('says which file is damaged when a complete journal line is not JSON', () => {
    const store = opened();
    store.put(KEYS.conv, entry(1));
    appendFileSync(journalPath(file), 'garbage\n');
    expect(() => readLut(file)).toThrow(UserError);
    expect(() => readLut(file)).toThrow(/journal .*a\.lut\.json\.journal has a line that is not JSON/);
  });

  it('validates what the journal adds like the rest of the LUT', () => {
    const store = opened();
    store.put(KEYS.conv, entry(1));
    const bad = { ...entry(1), stats: { median: 'fast' } };
    appendFileSync(journalPath(file), `${JSON.stringify({ entry: KEYS.dw, value: bad })}\n`);
    expect(() => readLut(file)).toThrow(/with its journal .*\/entries\/dwconv.*\/stats/);
  });
});

describe('PartialRounds with a journal', () => {
  const round = (median: number): RoundRecord => ({ stats: stats(median), coldMs: 1, setupMs: 1 });
  const lutPath = () => path.join(dir, 'r.lut.json');

  it('keeps every change across a reopen, folds on close, and remove() leaves nothing', () => {
    const kept = PartialRounds.open(lutPath(), 'mock-1');
    for (const [i, key] of keys(100).entries()) kept.set(key, [round(i + 1)]);
    for (const key of keys(30)) kept.delete(key);
    const again = PartialRounds.open(lutPath(), 'mock-1');
    expect(again.all().size).toBe(70);
    expect(again.get(keys(100)[99])![0].stats.median).toBeCloseTo(100, 9);
    again.set(keys(100)[50], [round(1), round(2)]);
    again.close();
    expect(existsSync(journalPath(PartialRounds.pathFor(lutPath())))).toBe(false);
    const file = JSON.parse(readFileSync(PartialRounds.pathFor(lutPath()), 'utf8'));
    expect(Object.keys(file.rounds)).toHaveLength(70);
    expect(file.rounds[keys(100)[50]]).toHaveLength(2);
    again.remove();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('ignores and removes a journal of another LUT', () => {
    PartialRounds.open(lutPath(), 'mock-1').set(KEYS.conv, [round(1)]);
    const other = PartialRounds.open(lutPath(), 'mock-2');
    expect(other.all().size).toBe(0);
    expect(existsSync(journalPath(PartialRounds.pathFor(lutPath())))).toBe(false);
  });
});

