import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TimingProtocol } from '../../devices/types.js';
import { scaleStats } from '../../devices/reference.js';
import { PartialRounds } from '../../lut/partial-rounds.js';
import { readLut } from '../../lut/store.js';
import { measureEntry, profile, type ProfileProgress } from '../../src/profile/profiler.js';
import { UserError } from '../../src/core/errors.js';
import { opKey } from '../../src/core/keys.js';
import { instances, PROTOCOL, slowMock } from './fixtures/instances.js';

let dir: string;
let lutPath: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'profiler-'));
  lutPath = path.join(dir, 'mock.lut.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('profile', () => {
  it('measures the overhead and every instance, with net = median − overhead', async () => {
    const { device, timed } = slowMock();
    const insts = instances(6);
    const progress: ProfileProgress[] = [];
    const r = await profile({ device, instances: [...insts, insts[0]], protocol: PROTOCOL, lutPath, space: 'test@8', onProgress: (p) => progress.push(p) });
    expect(r.summary).toEqual({ measured: 6, reused: 0, skipped: [], interrupted: false, unsteady: [] });
    expect(timed).toHaveLength(8); // overhead alone + 6 (the duplicate is measured once) + the overhead once more in the entries' pass (lut/overhead.ts)
    expect(r.device.device).toBe('mock');
    const lut = readLut(lutPath);
    expect(lut.id).toBe(r.lutId);
    expect(lut.spaces).toEqual(['test@8']);
    expect(r.overheadMs).toBe(lut.overhead.median);
    for (const inst of insts) {
      const e = lut.entries[opKey(inst)];
      expect(e.net).toBeCloseTo(Math.max(0, e.stats.median - lut.overhead.median), 12);
      expect(e.net).toBeGreaterThan(0);
    }
    expect(progress[0]).toMatchObject({ done: 0, total: 6, key: undefined });
    expect(progress.at(-1)).toMatchObject({ done: 6, total: 6, etaMs: 0 });
    expect(progress.at(-1)!.lastMs).toBeGreaterThan(0);
  });

  it('in rounds, reports after every round (entries complete only in their last pass), with an ETA by the rounds left', async () => {
    const { device } = slowMock();
    const progress: ProfileProgress[] = [];
    await profile({ device, instances: instances(4), protocol: { ...PROTOCOL, rounds: 3 }, lutPath, onProgress: (p) => progress.push(p) });
    // 4 entries and the overhead, 3 rounds each: a report after each of the 15 rounds, besides the start and the completions.
    const beforeAnyDone = progress.filter((p) => p.done === 0 && p.key !== undefined);
    expect(beforeAnyDone.length).toBeGreaterThanOrEqual(10);
    expect(beforeAnyDone.every((p) => p.etaMs !== undefined && p.etaMs > 0)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ done: 4, etaMs: 0 });
  });

  it('re-running measures only what is missing, and the overhead only in their passes (their nets net of it, the others kept)', async () => {
    const first = slowMock();
    await profile({ device: first.device, instances: instances(4), protocol: PROTOCOL, lutPath });
    const before = readLut(lutPath);
    const second = slowMock();
    const r = await profile({ device: second.device, instances: instances(6), protocol: PROTOCOL, lutPath });
    expect(r.summary).toMatchObject({ measured: 2, reused: 4 });
    expect(second.timed).toHaveLength(2 + 1); // the two missing entries and the overhead in their pass (not alone at the start)
    expect(second.timed.filter((k) => k === first.timed[0])).toHaveLength(1);
    const after = readLut(lutPath);
    expect(r.overheadMs).toBe(after.overhead.median);
    for (const [key, e] of Object.entries(after.entries)) {
      if (before.entries[key]) expect(e).toEqual(before.entries[key]); // measured once, kept
      else expect(e.overheadMs).toBeDefined(); // net of the overhead of the run that measured it (lut/overhead.ts)
      expect(e.net).toBeCloseTo(Math.max(0, e.stats.median - (e.overheadMs ?? after.overhead.median)), 12);
    }
  });

  it('skips unsupported instances with their reason and records it in the LUT', async () => {
    const { device } = slowMock({ unsupported: 'pool' });
    const r = await profile({ device, instances: instances(5), protocol: PROTOCOL, lutPath });
    expect(r.summary.measured).toBe(4);
    expect(r.summary.skipped).toEqual([{ key: 'pool:1x4x8x8:avg:k3:s2:f32', reason: expect.stringMatching(/'pool' is switched off/) }]);
    expect(readLut(lutPath).unsupported).toEqual({ 'pool:1x4x8x8:avg:k3:s2:f32': r.summary.skipped[0].reason });
  });

  it('stops on a device error after saving the entries measured so far', async () => {
    const insts = instances(6);
    const failing = opKey(insts[3]);
    const { device } = slowMock({}, { failOn: (m) => (m.key === failing ? new Error('kernel crashed') : undefined) });
    const err = (await profile({ device, instances: insts, protocol: PROTOCOL, lutPath }).then(() => undefined, (e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain(`profiling stopped while measuring ${failing} (4/6); 3 entries measured in this run: kernel crashed`);
    expect(err.message).toContain(`saved in ${lutPath}`);
    expect((err.cause as Error).message).toBe('kernel crashed');
    expect(Object.keys(readLut(lutPath).entries).sort()).toEqual(insts.slice(0, 3).map(opKey).sort());

    const unavailable = slowMock({}, { failOn: () => new UserError('adapter lost', { exitCode: 3 }) });
    const uerr = (await profile({ device: unavailable.device, instances: insts, protocol: PROTOCOL, lutPath }).then(() => undefined, (e: unknown) => e)) as UserError;
    expect(uerr).toBeInstanceOf(UserError);
    expect(uerr.exitCode).toBe(3);
    expect(uerr.message).toContain(`measuring ${failing} (4/6); 0 entries measured in this run: adapter lost`);
    expect(uerr.hint).toMatch(/run the same command again/);
  });

  it('stops cleanly when aborted', async () => {
    const controller = new AbortController();
    const { device } = slowMock();
    const r = await profile({
      device,
      instances: instances(6),
      protocol: PROTOCOL,
      lutPath,
      signal: controller.signal,
      onProgress: (p) => p.done === 2 && controller.abort(),
    });
    expect(r.summary).toMatchObject({ measured: 2, interrupted: true });
    expect(Object.keys(readLut(lutPath).entries)).toHaveLength(2);
  });

  it('refuses an empty list and a LUT from other settings', async () => {
    const { device } = slowMock();
    await expect(profile({ device, instances: [], protocol: PROTOCOL, lutPath })).rejects.toThrow(/nothing to profile/);
    await profile({ device, instances: instances(3), protocol: PROTOCOL, lutPath });
    const other = slowMock({ noise: 0.05 });
    await expect(profile({ device: other.device, instances: instances(3), protocol: PROTOCOL, lutPath })).rejects.toThrow(/options.noise: LUT 0.02, now 0.05/);
    const forced = await profile({ device: other.device, instances: instances(3), protocol: PROTOCOL, lutPath, force: true });
    expect(forced.summary.measured).toBe(3);
  });
});

describe('profile in rounds', () => {
  const ROUNDS: TimingProtocol = { ...PROTOCOL, rounds: 3, estimator: 'median', maxSpread: 0.5, extraRounds: 1 };

  it('times every entry once per round, passes spread over the run, and records rounds, spread, noise and the protocol', async () => {
    const { device, timed } = slowMock();
    const insts = instances(6);
    await profile({ device, instances: insts, protocol: ROUNDS, lutPath, seed: 3 });
    const ops = timed.filter((k) => k !== timed[0]); // the overhead comes first, in its own rounds
    expect(timed.slice(0, 3).every((k) => k === timed[0])).toBe(true);
    expect(timed.filter((k) => k === timed[0])).toHaveLength(6); // 3 rounds alone, then 1 in each pass of the entries
    expect(ops).toHaveLength(18);
    const passes = [ops.slice(0, 6), ops.slice(6, 12), ops.slice(12)];
    for (const pass of passes) expect([...pass].sort()).toEqual(insts.map(opKey).sort());
    const lut = readLut(lutPath); // the new fields pass the schema
    expect(lut.protocol).toEqual(ROUNDS);
    for (const inst of insts) {
      const e = lut.entries[opKey(inst)];
      expect(e.rounds).toHaveLength(3);
      expect(e.stats.median).toBeCloseTo([...e.rounds!].sort((a, b) => a - b)[1], 12);
      expect(e.spread).toBeCloseTo((Math.max(...e.rounds!) - Math.min(...e.rounds!)) / e.stats.median, 12);
      expect(e.noise!.load1).toBeGreaterThanOrEqual(0);
    }
    expect(existsSync(PartialRounds.pathFor(lutPath))).toBe(false);
  });

  it('keeps the rounds of unfinished entries beside the LUT, and a resumed run takes only the rounds still missing', async () => {
    const controller = new AbortController();
    let rounds = 0;
    const insts = instances(6);
    const stopping = slowMock();
    const device = { ...stopping.device, time: async (m: Parameters<typeof stopping.device.time>[0], p: TimingProtocol) => {
      if (++rounds === 3 + 8) controller.abort(); // overhead alone (3 rounds), then 8 rounds of the passes
      return stopping.device.time(m, p);
    } };
    const r = await profile({ device, instances: insts, protocol: ROUNDS, lutPath, signal: controller.signal });
    expect(r.summary.interrupted).toBe(true);
    expect(Object.keys(readLut(lutPath).entries)).toHaveLength(0); // nobody has all 3 rounds after 8
    const kept = JSON.parse(readFileSync(PartialRounds.pathFor(lutPath), 'utf8'));
    expect(Object.values(kept.rounds).flat()).toHaveLength(8);

    const again = slowMock();
    const done = await profile({ device: again.device, instances: insts, protocol: ROUNDS, lutPath });
    expect(done.summary).toMatchObject({ measured: 6, interrupted: false });
    expect(again.timed).toHaveLength(18 + 3 - 8); // the 6 entries' and the overhead's rounds in the passes, less those kept
    expect(existsSync(PartialRounds.pathFor(lutPath))).toBe(false);
    for (const e of Object.values(readLut(lutPath).entries)) expect(e.rounds).toHaveLength(3);
  });

  it('measureEntry: one entry on its own, every round back to back, net of the overhead given', async () => {
    const { device, timed } = slowMock();
    await device.init();
    const inst = instances(3)[0];
    const e = await measureEntry(device, inst, ROUNDS, { overheadMs: 0.01 });
    expect(timed).toEqual([opKey(inst), opKey(inst), opKey(inst)]);
    expect(e.rounds).toHaveLength(3);
    expect(e.net).toBeCloseTo(e.stats.median - 0.01, 12);
    const one = await measureEntry(device, inst, PROTOCOL, { overheadMs: 0.01 });
    expect(one.rounds).toBeUndefined();
  });

  it('ignores kept rounds of another LUT (other protocol)', async () => {
    writeFileSync(PartialRounds.pathFor(lutPath), JSON.stringify({ lutId: 'mock-00000000', rounds: { [opKey(instances(3)[0])]: [] } }));
    const { device, timed } = slowMock();
    await profile({ device, instances: instances(3), protocol: ROUNDS, lutPath });
    expect(timed).toHaveLength(3 + 9 + 3); // overhead alone, then entries and overhead in the same 3 passes
  });

  it('the ETA counts the extra rounds its rounds call for: never 0 s while a round is still to come', async () => {
    // Every model's second round (and fifth: the overhead is timed alone first, then in the passes) comes out 3× its
    // others: 3 rounds spread 200% > 50%, so each takes its extra round.
    const { device, timed } = slowMock();
    const calls = new Map<string, number>();
    const disagreeing = {
      ...device,
      time: async (m: Parameters<typeof device.time>[0], p: TimingProtocol) => {
        const k = (calls.get(m.key) ?? 0) + 1;
        calls.set(m.key, k);
        const r = await device.time(m, p);
        return k % 3 === 2 ? { ...r, stats: scaleStats(r.stats, 3) } : r;
      },
    };
    const reports: { p: ProfileProgress; taken: number }[] = [];
    await profile({ device: disagreeing, instances: instances(4), protocol: ROUNDS, lutPath, onProgress: (p) => reports.push({ p, taken: timed.length }) });
    const last = timed.length;
    // The overhead alone (3 rounds + 1 extra) before the entries, then 4 entries and the overhead in the passes, 4 rounds each.
    expect(last).toBe(4 + 5 * 4);
    expect(readLut(lutPath).entries[opKey(instances(4)[0])].rounds).toHaveLength(4);
    const afterRounds = reports.filter(({ p }) => p.etaMs !== undefined);
    expect(afterRounds.length).toBeGreaterThanOrEqual(20);
    for (const { p, taken } of afterRounds) {
      const toCome = last - taken;
      if (toCome > 0) expect(p.etaMs!, `after ${taken} rounds, ${toCome} to come`).toBeGreaterThan(0);
      // Never more than what came, and never none while some did: the extra rounds count as soon as they are called for.
      expect(p.roundsLeft).toBeLessThanOrEqual(toCome);
      if (toCome > 0) expect(p.roundsLeft).toBeGreaterThan(0);
    }
    // Once the three passes are done, the five extra rounds still to come are all counted.
    const afterThirdPass = afterRounds.find(({ taken }) => taken === 4 + 5 * 3)!;
    expect(afterThirdPass.p.roundsLeft).toBe(5);
    expect(reports.at(-1)!.p).toMatchObject({ done: 4, roundsLeft: 0, etaMs: 0 });
  });

  it('warns when the machine is busy', async () => {
    const { device } = slowMock();
    const warnings: string[] = [];
    const busy = vi.spyOn(os, 'loadavg').mockReturnValue([99, 99, 99]);
    try {
      await profile({ device, instances: instances(3), protocol: PROTOCOL, lutPath, onNoise: (m) => warnings.push(m) });
    } finally {
      busy.mockRestore();
    }
    expect(warnings).toHaveLength(1); // one a minute at most
    expect(warnings[0]).toMatch(/machine busy while measuring \(load average 99.00 on \d+ cores?\).*--wait-quiet/);
  });
});

describe('profile, killed midway', () => {
  const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'profile-child.ts');

  /** Runs the child; with `killAfter`, SIGKILLs it once it reports that many handled instances. */
  function runChild(killAfter?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', child, lutPath, '15'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => {
        stdout += d;
        const done = [...stdout.matchAll(/done (\d+)/g)].map((m) => Number(m[1]));
        if (killAfter !== undefined && done.length && done[done.length - 1] >= killAfter) p.kill('SIGKILL');
      });
      p.stderr.on('data', (d: Buffer) => (stderr += d));
      p.on('error', reject);
      p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
  }

  it('leaves a valid LUT, and the next run measures only the missing entries', async () => {
    const killed = await runChild(8);
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(killed.stdout).not.toContain('finished');
    const partial = readLut(lutPath); // parses and validates: never a torn file
    const kept = Object.keys(partial.entries).length;
    expect(kept).toBeGreaterThanOrEqual(8);
    expect(kept).toBeLessThan(30);

    const { device, timed } = slowMock();
    const r = await profile({ device, instances: instances(30), protocol: PROTOCOL, lutPath });
    expect(r.summary).toMatchObject({ reused: kept, measured: 30 - kept });
    expect(timed).toHaveLength(30 - kept + 1); // no overhead alone (the LUT has one), once in the entries' pass
    const full = readLut(lutPath);
    expect(Object.keys(full.entries)).toHaveLength(30);
    for (const [key, e] of Object.entries(partial.entries)) expect(full.entries[key]).toEqual(e);
  });
});
