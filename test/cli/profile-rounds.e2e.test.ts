/** nas profile's round and noise flags, through the CLI in process (mock device). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { nasInProcess } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-rounds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FAST = ['--warmup', '1', '--min-repeats', '6', '--max-repeats', '60', '--max-time-ms', '60', '--calibrate', '0'];

describe('nas profile in rounds', () => {
  it('records the round protocol and every entry\'s rounds', async () => {
    const out = path.join(dir, 'r.lut.json');
    const r = await nasInProcess('profile', '--device', 'mock', '--space', 'nb201', '--resolution', '8', ...FAST, '--rounds', '2', '--estimator', 'median', '--max-spread', '0.05', '--extra-rounds', '1', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const lut = JSON.parse(readFileSync(out, 'utf8'));
    expect(lut.protocol).toMatchObject({ rounds: 2, estimator: 'median', maxSpread: 0.05, extraRounds: 1 });
    for (const e of Object.values(lut.entries) as { rounds: number[]; spread: number }[]) {
      expect(e.rounds.length).toBeGreaterThanOrEqual(2);
      expect(e.spread).toBeGreaterThanOrEqual(0);
    }
  });

  it('--rounds 1 gives the protocol of before (no round fields), so older LUTs can be completed', async () => {
    const out = path.join(dir, 'one.lut.json');
    const r = await nasInProcess('profile', '--device', 'mock', '--space', 'nb201', '--resolution', '8', ...FAST, '--rounds', '1', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const lut = JSON.parse(readFileSync(out, 'utf8'));
    expect(lut.protocol).toEqual({ warmup: 1, minRepeats: 6, maxRepeats: 60, maxTimeMs: 60, targetCI: 0.02 });
    expect(Object.values(lut.entries).every((e) => !('rounds' in (e as object)))).toBe(true);
  });

  it('--wait-quiet pauses while the machine is busy and goes on after its limit, saying so', async () => {
    vi.spyOn(os, 'loadavg').mockReturnValue([64, 64, 64]);
    const out = path.join(dir, 'busy.lut.json');
    const r = await nasInProcess('profile', '--device', 'mock', '--space', 'nb201', '--resolution', '8', ...FAST, '--rounds', '1', '--wait-quiet', '0.05', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/machine busy \(load average 64.00 on \d+ cores?\): waiting for it to quieten/);
    expect(r.stderr).toMatch(/still busy after 0 s \(load average 64.00.*\); measuring anyway/);
    expect(r.stderr).toMatch(/machine busy while measuring/);
  });

  it('refuses bad round settings with a message naming the flag', async () => {
    const bad = await nasInProcess('profile', '--device', 'mock', '--space', 'nb201', '--rounds', '0', '--out', path.join(dir, 'x.lut.json'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--rounds must be a positive integer, got 0/);
    const spread = await nasInProcess('profile', '--device', 'mock', '--space', 'nb201', '--rounds', '3', '--max-spread', '-1', '--out', path.join(dir, 'x.lut.json'));
    expect(spread.code).toBe(2);
    expect(spread.stderr).toMatch(/--max-spread must be a fraction > 0/);
    const wait = await nasInProcess('profile', '--device', 'mock', '--space', 'nb201', '--wait-quiet', 'soon', '--out', path.join(dir, 'x.lut.json'));
    expect(wait.code).toBe(2);
    expect(wait.stderr).toMatch(/--wait-quiet takes a number of seconds > 0/);
  });
});
