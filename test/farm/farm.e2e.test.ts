/**
 * The farm end to end: real `nas worker` processes and `nas profile --redis` coordinators on a Redis
 * of the test's own. The mock device with a fixed delay per entry makes the runs long enough to
 * kill things mid-run; its figures are deterministic per key, so a farm LUT must equal a local one.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nasInProcess } from '../cli/helpers.js';
import { count, nas, ready, stopAll, until, type Proc } from './procs.js';
import { redisMissing, TestRedis } from './redis.js';
import { readLut } from '../../lut/store.js';

/**
 * The space and a protocol with a fixed sample count (min = max repeats, a time limit never reached), so
 * the mock device's figures do not depend on the machine's load; another count is another protocol, so
 * each test has jobs of its own.
 */
const space = (repeats = 20) => ['--space', 'mbv2', '--resolution', '32', '--calibrate', '0', '--min-repeats', String(repeats), '--max-repeats', String(repeats), '--max-time-ms', '60000', '--warmup', '1'];
const SPACE = space();

/** `lockMs`: short where a killed worker's job must move on quickly; long enough elsewhere that a starved (not dead) worker keeps its job on a loaded machine. */
function startWorkers(url: string, n: number, delayMs: number, lockMs = 15_000): Proc[] {
  return Array.from({ length: n }, () => nas(['worker', '--redis', url, '--device', 'mock', '--device-opt', `delayMs=${delayMs}`, '--lock-ms', String(lockMs)]));
}

/** Entries a LUT holds so far, its journal included (0 before the file exists). */
function storedEntries(file: string): number {
  try {
    return Object.keys(readLut(file).entries).length;
  } catch {
    return 0;
  }
}

function lut(file: string): { entries: Record<string, { stats: { median: number } }>; unsupported?: Record<string, string>; overhead: { median: number } } {
  return JSON.parse(readFileSync(file, 'utf8'));
}

describe.skipIf(redisMissing)('farm end to end' + (redisMissing ? ` — skipped: ${redisMissing}` : ''), () => {
  let redis: TestRedis;
  let dir: string;
  let reference: ReturnType<typeof lut>;
  beforeAll(async () => {
    redis = await TestRedis.start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'nas-farm-'));
    const r = await nasInProcess('profile', '--device', 'mock', ...SPACE, '--out', path.join(dir, 'local.lut.json'));
    expect(r.code, r.stderr).toBe(0);
    reference = lut(path.join(dir, 'local.lut.json'));
  }, 60_000);
  afterAll(async () => {
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('3 workers profile a space, one is SIGKILLed mid-run: the LUT completes and equals a single-process run', async () => {
    // 72 models × 3 rounds = 216 jobs: at 50 ms a job (was 150) the run still lasts seconds after the kill.
    const workers = startWorkers(redis.url, 3, 50, 3000);
    try {
      await ready(workers);
      const out = path.join(dir, 'farm.lut.json');
      const coordinator = nas(['profile', '--redis', redis.url, '--device', 'mock', ...SPACE, '--out', out]);
      // Kill the first worker once it has finished a few entries: it is then busy with the next one.
      await until('the first worker to measure entries', () => count(workers[0].out(), /^done time /gm) >= 3);
      workers[0].child.kill('SIGKILL');
      expect(await coordinator.exited, coordinator.out()).toBe(0);
      const farm = lut(out);
      expect(Object.keys(farm.entries).sort()).toEqual(Object.keys(reference.entries).sort());
      // The mock device is deterministic per model: the same models were measured.
      for (const [k, e] of Object.entries(reference.entries)) expect(farm.entries[k].stats.median).toBe(e.stats.median);
      expect(farm.overhead.median).toBe(reference.overhead.median);
      // The survivors did the rest, including the job the killed worker held.
      expect(count(workers[1].out() + workers[2].out(), /^done time /gm)).toBeGreaterThan(0);
    } finally {
      await stopAll(workers);
    }
  }, 240_000);

  it('a killed coordinator loses nothing: the rerun collects what the workers measured meanwhile, and nothing is measured twice', async () => {
    // 71 jobs at 150 ms on 2 workers (~5 s): the kill after 10 of them leaves seconds before the last entry.
    const workers = startWorkers(redis.url, 2, 150);
    try {
      await ready(workers);
      const out = path.join(dir, 'resumed.lut.json');
      // One round per entry, so "each measured exactly once" is a count (rounds are separate jobs: test/farm/farm.test.ts).
      const first = nas(['profile', '--redis', redis.url, '--device', 'mock', ...space(21), '--rounds', '1', '--out', out]);
      // Entries read from the LUT and its journal (the progress line comes every 5 s only, maybe after the last entry).
      await until('some entries in the LUT', () => storedEntries(out) > 0 && count(workers.map((w) => w.out()).join(''), /^done time /gm) >= 10);
      first.child.kill('SIGKILL');
      await first.exited;
      // What the overhead count below rests on: the killed run had not stored every entry, so its passes never
      // reached the overhead, which comes after every entry with one round.
      expect(storedEntries(out)).toBeLessThan(71);
      const second = nas(['profile', '--redis', redis.url, '--device', 'mock', ...space(21), '--rounds', '1', '--out', out]);
      expect(await second.exited, second.out()).toBe(0);
      expect(Object.keys(lut(out).entries).sort()).toEqual(Object.keys(reference.entries).sort());
      // 71 entries, each measured by exactly one worker, once. The overhead model twice (lut/overhead.ts): alone
      // at the first run's start, and in the rerun's passes, a measurement of that run (never the killed run's
      // figure collected again).
      const measured = workers.map((w) => w.out()).join('').match(/^done time \S+/gm) ?? [];
      const entries = measured.filter((m) => !m.includes('overhead:'));
      expect(entries.length).toBe(71);
      expect(new Set(entries).size).toBe(71);
      expect(measured.length - entries.length).toBe(2);
    } finally {
      await stopAll(workers);
    }
  }, 240_000);

  it('Redis restarted (empty) mid-run: coordinator and workers reconnect and finish', async () => {
    // 216 jobs at 50 ms on 2 workers (~5 s, was 100 ms): Redis goes down after 10 of them.
    const workers = startWorkers(redis.url, 2, 50);
    try {
      await ready(workers);
      const out = path.join(dir, 'restart.lut.json');
      const coordinator = nas(['profile', '--redis', redis.url, '--device', 'mock', ...space(22), '--out', out]);
      await until('some entries measured', () => count(workers.map((w) => w.out()).join(''), /^done time /gm) >= 10);
      await redis.stop();
      await new Promise((r) => setTimeout(r, 1000));
      await redis.launch();
      expect(await coordinator.exited, coordinator.out()).toBe(0);
      expect(Object.keys(lut(out).entries).sort()).toEqual(Object.keys(reference.entries).sort());
    } finally {
      await stopAll(workers);
    }
  }, 240_000);

  it('with no worker for the device, profile --redis fails within seconds with exit 3 and says how to start one', async () => {
    const t0 = Date.now();
    const p = nas(['profile', '--redis', redis.url, '--device', 'mock', '--device-opt', 'seed=99', ...SPACE, '--out', path.join(dir, 'none.lut.json'), '--farm-wait', '1']);
    expect(await p.exited).toBe(3);
    expect(p.out()).toMatch(/no worker serves it/);
    expect(p.out()).toMatch(/hint: start one on the device's machine: nas worker --redis URL --device mock --device-opt seed=99/);
    expect(p.out()).not.toMatch(/\n\s+at /);
    expect(Date.now() - t0).toBeLessThan(60_000);
  }, 90_000);
});
