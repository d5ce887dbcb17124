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

  it('--extra-round-budget bounds the extra rounds: entries past it are kept, marked unsteady, listed by lut show, and --retake measures only them', async () => {
    const out = path.join(dir, 'budget.lut.json');
    // Mock rounds 30% apart (roundJitter) and a 0.01% spread limit: every entry's rounds call for an extra one; the run may take none.
    const args = ['profile', '--device', 'mock', '--device-opt', 'roundJitter=0.3', '--space', 'nb201', '--resolution', '8', ...FAST, '--rounds', '2', '--max-spread', '0.0001', '--extra-rounds', '2', '--extra-round-budget', '0', '--retake-wait', '0', '--out', out];
    const first = await nasInProcess(...args);
    expect(first.code, first.stderr).toBe(0);
    const lut = JSON.parse(readFileSync(out, 'utf8'));
    const entries = Object.entries(lut.entries) as [string, { rounds: number[]; spread: number; unsteady?: { why: string; setAside: number } }][];
    const unsteady = entries.filter(([, e]) => e.unsteady);
    expect(unsteady.length).toBeGreaterThan(0);
    for (const [, e] of entries) expect(e.rounds.length).toBe(2); // no extra round: the budget is 0
    for (const [, e] of unsteady) expect(e.unsteady).toEqual({ why: 'spread', setAside: 0 });
    expect(first.stderr).toMatch(new RegExp(`warning: ${unsteady.length} entr(y|ies) kept unsteady in `));
    expect(first.stderr).toContain("spread past 0.01%): the run's 0 extra rounds were spent (--extra-round-budget); each keeps its figure, spread and set-aside count (nas lut show lists them). On a quieter machine, run the same command with --retake");
    const shown = await nasInProcess('lut', 'show', out);
    expect(shown.stdout).toMatch(new RegExp(`unsteady  ${unsteady.length} entr(y|ies) kept while their rounds still called for another`));
    expect(shown.stdout).toContain(`(spread ${unsteady.length}); nas profile … --retake measures them again`);
    expect(shown.stdout).toMatch(/spread +0 of 2 rounds set aside, spread \d+\.\d%  \S+/);
    const again = await nasInProcess(...args, '--retake', '--json');
    expect(again.code, again.stderr).toBe(0);
    const summary = JSON.parse(again.stdout);
    expect(summary.measured).toBe(unsteady.length);
    expect(summary.reused).toBe(entries.length - unsteady.length);
    expect(summary.extraRounds).toMatchObject({ budget: 0, taken: 0 });
    // Steady entries are untouched; the retaken ones were measured again (a later measuredAt).
    const after = JSON.parse(readFileSync(out, 'utf8')).entries;
    for (const [key, e] of entries) {
      if (e.unsteady) expect(after[key].measuredAt >= (e as unknown as { measuredAt: string }).measuredAt).toBe(true);
      else expect(after[key]).toEqual(e);
    }
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
    const budget = await nasInProcess('profile', '--device', 'mock', '--space', 'nb201', '--extra-round-budget', 'lots', '--out', path.join(dir, 'x.lut.json'));
    expect(budget.code).toBe(2);
    expect(budget.stderr).toMatch(/--extra-round-budget takes a share ≥ 0 of the rounds asked for/);
    const retakeWait = await nasInProcess('profile', '--device', 'mock', '--space', 'nb201', '--retake-wait', '-1', '--out', path.join(dir, 'x.lut.json'));
    expect(retakeWait.code).toBe(2);
    expect(retakeWait.stderr).toMatch(/--retake-wait takes a number of seconds ≥ 0/);
  });
});
