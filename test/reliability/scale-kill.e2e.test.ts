/**
 * Kill and resume of nas scale's grid search (EfficientNet's α, β, γ with an evaluator): SIGKILL after a
 * few of the grid's evaluations, then a rerun with other options is refused (the checkpoint is another
 * run's), the same command resumes, evaluates only what the checkpoint lacks, and writes the family an
 * uninterrupted run writes. The evaluator is a command that logs each call and scores a net by the size
 * of its architecture file (deterministic, differs between structures); B0 at 32 px on the exact mock
 * device, a 20-triple grid (--grid-step 0.1): a few seconds per run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXACT_MOCK, FAST_TIMING } from '../cli/helpers.js';
import { BUILT, expectStopped, lineCount, readJson, runAndStop, runToEnd } from './stop.js';

const dir = mkdtempSync(path.join(tmpdir(), 'nas-kill-scale-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => path.join(dir, name);

const args = (out: string, log: string, gridStep = '0.1') => [
  'scale', '--base', 'EfficientNet-B0', '--resolution', '32', '--lut', at('lut.json'), '--profile-missing', ...EXACT_MOCK, '--phis', '2',
  '--evaluator', 'command', '--eval-command', `echo x >> ${log}; sleep 0.1; wc -c < {arch}`, '--eval-range', '0,10000000',
  '--grid-step', gridStep, '--out', out,
];
const saved = (out: string) => readJson<{ state: { evaluations: unknown[] } }>(`${out}.ckpt.json`)?.state.evaluations.length ?? 0;
/** The family without its timestamps and paths. */
function family(file: string) {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { coefficients: unknown; members: { name: string; architecture: unknown; accuracy: number; latency: unknown }[]; base: unknown };
  return { coefficients: doc.coefficients, base: doc.base, members: doc.members.map((m) => ({ name: m.name, architecture: m.architecture, accuracy: m.accuracy, latency: m.latency })) };
}

describe.runIf(BUILT)('nas scale stopped and run again', () => {
  beforeAll(() => {
    runToEnd(['profile', ...EXACT_MOCK, '--published', 'EfficientNet-B0', '--resolution', '32', '--calibrate', '0', '--out', at('lut.json'), ...FAST_TIMING]);
  }, 120_000);

  it('SIGKILL mid-grid: a rerun with other options is refused, the same command evaluates only what the checkpoint lacks and writes the uninterrupted family', async () => {
    const whole = runToEnd(args(at('whole.json'), at('whole.log')));
    expect(whole.stderr).toMatch(/grid 20\/20: /);
    const evaluations = lineCount(at('whole.log'));
    expect(evaluations).toBeGreaterThan(5);
    expect(existsSync(at('whole.json.ckpt.json'))).toBe(false);

    const out = at('fam.json');
    const log = at('fam.log');
    const killed = await runAndStop(args(out, log), () => saved(out) >= 4, 'SIGKILL');
    expectStopped(killed, 'SIGKILL', 'scale');
    expect(existsSync(out)).toBe(false);
    // Every evaluation is saved as it finishes: the checkpoint holds all but at most the one in flight.
    const kept = saved(out);
    expect(kept).toBeGreaterThanOrEqual(4);
    expect(kept).toBeLessThan(evaluations);
    expect(lineCount(log) - kept).toBeLessThanOrEqual(1);

    const foreign = runToEnd.bind(null, args(out, log, '0.2'));
    expect(foreign).toThrow(/compound scaling checkpoint .*fam\.json\.ckpt\.json belongs to another compound scaling \(grid: /);
    expect(saved(out)).toBe(kept);

    const before = lineCount(log);
    const rerun = runToEnd(args(out, log));
    expect(rerun.stderr).toContain(`resumed from checkpoint: ${kept} accuracy(ies) reused`);
    expect(lineCount(log) - before).toBe(evaluations - kept);
    expect(family(out)).toEqual(family(at('whole.json')));
    for (const leftover of ['.ckpt.json', '.lock']) expect(existsSync(out + leftover), leftover).toBe(false);
  }, 300_000);
});
