/**
 * nas designspace through the real CLI (dist/): regnet and AnyNetX_E at 32 px on a mock-device LUT,
 * scored by a command evaluator that logs each evaluation (so the test counts what a rerun scores):
 * EDFs, the budget EDF, bootstrap intervals, the normalized comparison, the report in headless
 * Chromium, resuming after SIGKILL and SIGINT, and bad input failing before anything is scored.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DesignSpaceDoc } from '../../src/designspace/types.js';
import { openReport } from '../report/open-report.js';
import { BUILT, expectStopped, lineCount, readJson, RUN, runAndStop } from '../reliability/stop.js';
import { expectUserError, nasInProcess, type CliResult } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-designspace-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lut = path.join(dir, 'mock.lut.json');
const FAST = ['--warmup', '1', '--min-repeats', '3', '--max-repeats', '3', '--max-time-ms', '30', '--calibrate', '0'];

function nas(args: string[]): CliResult {
  const r = spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
function ok(args: string[]): CliResult {
  const r = nas(args);
  if (r.code !== 0) throw new Error(`nas ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r;
}
/** Scores each model by its architecture file's size (a different number per model), logging each evaluation. */
const evaluator = (log: string, sleep = 0) => ['--evaluator', 'command', '--eval-command', `echo x >> ${log}; ${sleep ? `sleep ${sleep}; ` : ''}wc -c < {arch}`, '--eval-range', '0,1000000'];
const regnetArgs = (out: string, log: string, extra: string[] = []) => ['designspace', '--space', 'regnet', '--resolution', '32', '--samples', '12', '--seed', '1', ...evaluator(log), '--out', out, ...extra];
const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as DesignSpaceDoc;

describe.runIf(BUILT)('nas designspace', () => {
  const regnet = path.join(dir, 'regnet.ds.json');
  const regnetLog = path.join(dir, 'regnet.log');

  beforeAll(() => {
    ok(['profile', '--device', 'mock', '--space', 'regnet', '--resolution', '32', '--out', lut, ...FAST]);
    ok(['profile', '--device', 'mock', '--space', 'anynet-e', '--resolution', '32', '--out', lut, ...FAST]);
  }, 240_000);

  it('samples, scores and writes the error, MACs and latency EDFs and the bootstrap intervals; a rerun with a budget scores nothing again', () => {
    const r = ok(regnetArgs(regnet, regnetLog, ['--lut', lut, '--bootstrap', 'wm,g,d']));
    expect(r.stderr).toMatch(/designspace regnet: scoring with command: 12\/12/);
    expect(lineCount(regnetLog)).toBe(12);
    const d = read(regnet);
    expect(d).toMatchObject({ format: 'hw-nas-designspace', version: 1, space: { id: 'regnet', resolution: 32 }, evaluator: { id: 'command' }, lut: { device: 'mock' }, budgetMs: null });
    expect(d.models).toHaveLength(12);
    expect(new Set(d.models.map((m) => m.name)).size).toBe(12);
    for (const m of d.models) {
      expect(m.error).toBe(1_000_000 - m.score);
      expect(m.latencyMs).toBeGreaterThan(0);
      expect(m.params.d).toBe(m.params.depth);
    }
    const errors = d.models.map((m) => m.error).sort((a, b) => a - b);
    expect(d.edf.error[d.edf.error.length - 1]).toEqual({ x: errors[11], y: 1 });
    expect(d.edf.error[0].x).toBe(errors[0]);
    expect(d.edf.latency).toHaveLength(new Set(d.models.map((m) => m.latencyMs)).size);
    expect(d.edf.underBudget).toBeNull();
    expect(d.bootstrap!.intervals.map((i) => i.param)).toEqual(['wm', 'g', 'd']);
    for (const i of d.bootstrap!.intervals) expect(i.min <= i.lo && i.lo <= i.median && i.median <= i.hi && i.hi <= i.max).toBe(true);
    const best = d.models.find((m) => m.name === d.summary.best)!;
    expect(d.bootstrap!.intervals.map((i) => i.best)).toEqual([best.params.wm, best.params.g, best.params.d]);
    expect(r.stdout).toMatch(/best ranges \(95% bootstrap intervals, 2500 draws of 3\)/);

    const latencies = d.models.map((m) => m.latencyMs!).sort((a, b) => a - b);
    const budget = latencies[5];
    const again = ok(regnetArgs(regnet, regnetLog, ['--lut', lut, '--budget-ms', String(budget)]));
    expect(again.stdout).toMatch(/12 models scored by command \(12 resumed\)/);
    expect(lineCount(regnetLog)).toBe(12);
    const within = read(regnet).edf.underBudget!;
    expect(within.n).toBe(latencies.filter((ms) => ms <= budget).length);
    expect(within.error[within.error.length - 1].y).toBe(1);
  }, 120_000);

  it('compares AnyNetX_E with regnet normalized for latency, and the report draws every curve and interval in Chromium', async () => {
    const out = path.join(dir, 'anynet-e.ds.json');
    const report = path.join(dir, 'report', 'anynet-e.html');
    const r = ok(['designspace', '--space', 'anynet', '--restrict', 'E', '--resolution', '32', '--samples', '12', ...evaluator(path.join(dir, 'anynet.log')), '--lut', lut, '--budget-ms', '1000',
      '--compare', regnet, '--bootstrap', 'd,b,g', '--bins', '4', '--out', out, '--report', report, '--json']);
    const d = JSON.parse(r.stdout) as DesignSpaceDoc;
    expect(d.space.id).toBe('anynet-e');
    const c = d.compare!;
    expect(c).toMatchObject({ other: regnet, by: 'latency', bins: 4 });
    expect(c.sides.map((s) => [s.space, s.n])).toEqual([['anynet-e', 12], ['regnet', 12]]);
    expect(c.ks.raw).toBeGreaterThanOrEqual(0);
    expect(c.ks.normalized).toBeLessThanOrEqual(1);
    for (const s of c.sides) expect(s.normalizedEdf[s.normalizedEdf.length - 1].y).toBe(1);
    expect(r.stdout).not.toMatch(/compared with/); // --json: one document

    const page = await openReport(report, [{ path: path.join(dir, 'report.png'), fullPage: true }], ['error-edf', 'compare-edf', 'latency-edf', 'budget-edf', 'macs-edf', 'bootstrap-d', 'bootstrap-b', 'bootstrap-g']);
    expect(page.errors).toEqual([]);
    expect(page.requests.every((u) => u.startsWith('file://'))).toBe(true);
    const points = (id: string) => page.charts[id]!.map((x) => [x.label, x.points]);
    expect(points('error-edf')).toEqual([['anynet-e (n=12)', d.edf.error.length + 1], ['regnet (n=12)', c.sides[1].edf.length + 1]]);
    expect(points('compare-edf').map(([label]) => label)).toEqual(['anynet-e normalized', 'regnet normalized', 'anynet-e raw', 'regnet raw']);
    expect(points('latency-edf')).toEqual([[`anynet-e on ${d.lut!.id}`, d.edf.latency!.length + 1], ['budget 1000 ms', 2]]);
    expect(points('budget-edf')).toEqual([['all models', d.edf.error.length + 1], ['within 1000 ms', d.edf.underBudget!.error.length + 1]]);
    expect(points('macs-edf')).toEqual([['anynet-e', d.edf.macs.length + 1]]);
    for (const p of ['d', 'b', 'g']) expect(points(`bootstrap-${p}`)).toEqual([['95% interval', 1], ['median', 1], ['best model', 1]]);
  }, 180_000);

  it('resumes after SIGKILL and SIGINT: the rerun scores only what the scores file lacks', async () => {
    for (const signal of ['SIGKILL', 'SIGINT'] as const) {
      const out = path.join(dir, `kill-${signal}.ds.json`);
      const log = path.join(dir, `kill-${signal}.log`);
      const args = ['designspace', '--space', 'anynet-c', '--resolution', '32', '--samples', '8', ...evaluator(log, 0.2), '--out', out];
      const saved = () => readJson<{ records: unknown[] }>(path.join(dir, `kill-${signal}.ds.scores.json`))?.records.length ?? 0;
      const stopped = await runAndStop(args, () => saved() >= 3, signal);
      expectStopped(stopped, signal, 'designspace');
      expect(existsSync(out)).toBe(false);
      const kept = saved();
      const before = lineCount(log);
      expect(kept).toBeGreaterThanOrEqual(3);
      expect(kept).toBeLessThan(8);
      const r = ok(args);
      expect(r.stdout).toContain(`8 models scored by command (${kept} resumed)`);
      expect(lineCount(log) - before).toBe(8 - kept);
      expect(read(out).models).toHaveLength(8);
    }
  }, 180_000);

  // In this process (each child would cost seconds); exit codes and the absence of a stack are checked the same way.
  it('refuses bad input with one clear message before scoring anything', async () => {
    const log = path.join(dir, 'bad.log');
    const bad = async (extra: string[], message: RegExp) => expectUserError(await nasInProcess(...regnetArgs(path.join(dir, 'bad.ds.json'), log, extra)), message);
    await bad(['--bootstrap', 'wm,q'], /unknown parameter of space regnet 'q'; its sampled parameters are: depth, w0, wa, wm, g, b, d/);
    await bad(['--restrict', 'C'], /--restrict applies to --space anynet \(AnyNetX_A … E\); space 'regnet' has no restrictions/);
    await bad(['--budget-ms', '5'], /--budget-ms needs --lut/);
    await bad(['--lut', lut, '--budget-ms', '0.000001'], /no sampled model is predicted within --budget-ms 0.000001: the fastest of the 12 takes [\d.]+ ms/);
    await bad(['--compare', lut], /is not a "hw-nas-designspace" version 1 file/);
    await bad(['--compare', path.join(dir, 'missing.json')], /design-space file not found/);
    expectUserError(await nasInProcess(...['designspace', '--space', 'regnet', '--samples', '0', ...evaluator(log), '--out', path.join(dir, 'zero.json')]), /--samples must be a positive integer, got 0/);
    await bad(['--normalize-by', 'flops'], /--normalize-by must be auto, macs or latency, got 'flops'/);
    expectUserError(await nasInProcess(...['designspace', '--space', 'anynet', '--restrict', 'Z', '--samples', '3', ...evaluator(log), '--out', path.join(dir, 'z.json')]), /--restrict must be one of A, B, C, D, E/);
    expectUserError(await nasInProcess(...['designspace', '--space', 'regnet', '--resolution', '40', '--samples', '3', ...evaluator(log), '--lut', lut, '--out', path.join(dir, 'r40.json')]), /LUT .* lacks \d+ op instance\(s\) of the 3 sampled models of regnet@40/);
    const other = path.join(dir, 'other-evaluator.json');
    writeFileSync(other, JSON.stringify({ ...read(regnet), evaluator: { id: 'table:nb201:cifar10', provenance: { kind: 'table' } } }));
    await bad(['--compare', other], /was scored by evaluator table:nb201:cifar10, this run by command/);
    expect(existsSync(log)).toBe(false); // nothing was scored
  }, 120_000);
});
