/**
 * Lock files: a live holder makes a second writer refuse with "in use by PID", a dead holder's lock is
 * taken over, and two stores filling one LUT merge under the lock instead of dropping entries.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { holdLock, lockPath, withLock } from '../../src/core/file-lock.js';
import { LutStore, readLut } from '../../lut/store.js';
import { device, entry, KEYS, protocol, stats } from '../lut/fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'nas-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fakeLock = (file: string, pid: number) =>
  writeFileSync(lockPath(file), JSON.stringify({ pid, host: hostname(), since: '2026-01-01T00:00:00.000Z', what: 'front file' }));

describe('lock files', () => {
  it('a live holder: the second writer refuses naming its PID; a dead holder: the lock is taken over', async () => {
    const file = path.join(dir, 'front.json');
    const sleeper = spawn('sleep', ['30']);
    try {
      fakeLock(file, sleeper.pid!);
      expect(() => holdLock(file, 'front file')).toThrow(new RegExp(`front file .*front\\.json is in use by PID ${sleeper.pid} \\(front file, since 2026-01-01`));
    } finally {
      sleeper.kill('SIGKILL');
      await new Promise((r) => sleeper.on('close', r));
    }
    const release = holdLock(file, 'front file');
    expect(JSON.parse(readFileSync(lockPath(file), 'utf8')).pid).toBe(process.pid);
    expect(() => holdLock(file, 'front file')).toThrow(/is in use by PID/);
    release();
    expect(existsSync(lockPath(file))).toBe(false);
  });

  it('withLock is re-entrant for the holder and releases after', () => {
    const file = path.join(dir, 'x.lut.json');
    const release = holdLock(file, 'LUT file');
    expect(withLock(file, 'LUT file', () => 42)).toBe(42);
    expect(existsSync(lockPath(file))).toBe(true);
    release();
    expect(withLock(file, 'LUT file', () => existsSync(lockPath(file)))).toBe(true);
    expect(existsSync(lockPath(file))).toBe(false);
  });

  it('withLock gives up after its wait when a live process holds the lock', () => {
    const file = path.join(dir, 'busy.lut.json');
    fakeLock(file, process.ppid);
    expect(() => withLock(file, 'LUT file', () => 0, 50)).toThrow(new RegExp(`LUT file .*busy\\.lut\\.json is in use by PID ${process.ppid}`));
    rmSync(lockPath(file));
  });
});

describe('two runs filling one LUT', () => {
  it('keep both runs\' entries (each store takes in what the other wrote) and neither drops the other', () => {
    const file = path.join(dir, 'shared.lut.json');
    const a = LutStore.open(file, device, protocol);
    a.setOverhead(stats(0.05));
    const b = LutStore.open(file, device, protocol);
    a.put(KEYS.conv, entry(1));
    b.put(KEYS.dw, entry(2));
    a.put(KEYS.mb, entry(3));
    a.markUnsupported(KEYS.pool, 'not here');
    b.addSpace('nb201@32');
    const lut = readLut(file);
    expect(Object.keys(lut.entries).sort()).toEqual([KEYS.conv, KEYS.dw, KEYS.mb].sort());
    expect(lut.unsupported).toEqual({ [KEYS.pool]: 'not here' });
    expect(lut.spaces).toEqual(['nb201@32']);
    // b has seen a's entries: it would not measure them again.
    expect(b.has(KEYS.conv)).toBe(true);
  });
});
