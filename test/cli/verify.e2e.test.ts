/**
 * nas verify and nas export --front through the real CLI, on the mock device: a LUT of nb201, a front
 * searched on it (NAS-Bench-201 accuracies), then verify with report and CSV (the report opened in
 * headless Chromium), resuming, thresholds, transfer, and every kind of bad input (refused in this process: a child
 * costs ~0.5 s of start and imports each; exit codes and the absence of a stack are checked the same way).
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReport } from '../report/open-report.js';
import { expectUserError, nasInProcess, runCli } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-verify-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FAST = ['--warmup', '2', '--min-repeats', '5', '--max-repeats', '50', '--max-time-ms', '150'];
const lut = path.join(dir, 'mock.lut.json');
const front = path.join(dir, 'front.json');
let members: { name: string; latency: { ms: number }; architecture: { layers: unknown[] } }[];
let target: number;

function ok(args: string[]) {
  const r = runCli(args);
  if (r.code !== 0) throw new Error(`nas ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r;
}

beforeAll(() => {
  ok(['profile', '--device', 'mock', '--space', 'nb201', '--calibrate', '0', '--out', lut, ...FAST]);
  ok(['search', '--space', 'nb201', '--lut', lut, '--evaluator', 'table', '--strategy', 'nsga2', '--budget', '60', '--seed', '1', '--out', front]);
  members = JSON.parse(readFileSync(front, 'utf8')).members;
  target = members[Math.floor(members.length / 2)].latency.ms;
});

describe('nas verify', () => {
  it('measures every member, writes the report and the CSV; the report renders every point without errors or network', async () => {
    const report = path.join(dir, 'out', 'report.html');
    const csv = path.join(dir, 'out', 'verify.csv');
    const r = ok(['verify', '--front', front, '--device', 'mock', '--target-ms', String(target), '--report', report, '--csv', csv, '--json']);
    const doc = JSON.parse(r.stdout);
    const n = members.length;
    expect(n).toBeGreaterThan(3);
    expect(doc).toMatchObject({ format: 'hw-nas-verify', targetMs: target, summary: { measured: n, resumed: 0, failed: 0 }, checks: { pass: true }, transfer: null });
    expect(doc.summary.agreement.n).toBe(n);
    expect(doc.accuracyLabel).toBe('cifar10 test accuracy (%)');
    expect(readFileSync(csv, 'utf8').trim().split('\r\n')).toHaveLength(n + 1);
    expect(r.stderr).toMatch(/measuring on mock: \d+\/\d+/);

    const shots = [{ path: path.join(dir, 'report.png'), fullPage: true }];
    const page = await openReport(report, shots);
    expect(page.errors).toEqual([]);
    expect(page.requests.every((u) => u.startsWith('file://'))).toBe(true);
    const points = (chart: string, label: RegExp) => page.charts[chart]!.find((d) => label.test(d.label))!.points;
    expect(points('pareto', /^predicted$/)).toBe(n);
    expect(points('pareto', /^measured/)).toBe(n);
    expect(points('pareto', /^measured front$/)).toBe(doc.summary.measuredFront.length);
    expect(points('pareto', /^target/)).toBe(2);
    expect(points('agreement', /^nets/)).toBe(n);
    expect(page.charts.agreement!.map((d) => d.label)).toEqual(expect.arrayContaining(['y = x', '+-10% band']));
    expect(page.charts.blocks!.every((d) => d.points === n)).toBe(true);
    expect(readFileSync(shots[0].path).length).toBeGreaterThan(10_000);
  }, 120_000);

  it('resumes: a second run reuses every measurement', () => {
    const r = ok(['verify', '--front', front, '--device', 'mock']);
    expect(r.stdout).toMatch(new RegExp(`measurements: 0 made now, ${members.length} reused, 0 failed; saved in .*front.verify.json`));
    expect(r.stdout).toMatch(/within ±10%: \d+\/\d+ .*Kendall τ [-\d.]+, Spearman ρ [-\d.]+/);
    expect(r.stdout).toMatch(/front on measured latency: \d+ of \d+ stay/);
  });

  it('exits 4 when --max-error or --min-tau is not met, still printing the comparison', async () => {
    const r = runCli(['verify', '--front', front, '--device', 'mock', '--max-error', '0.001']);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/checks: max \|error\| [\d.]+% > 0.001%: FAIL/);
    const tau = runCli(['verify', '--front', front, '--device', 'mock', '--min-tau', '-1', '--json']);
    expect(tau.code, tau.stderr).toBe(0);
    expect(JSON.parse(tau.stdout).checks.minTau).toMatchObject({ limit: -1, pass: true });
    expectUserError(await nasInProcess('verify', '--front', front, '--device', 'mock', '--min-tau', '1.5'), /--min-tau must be a number in \[-1, 1\], got 1.5/);
  });

  it('says when the device differs from the LUT’s: the errors include the transfer', () => {
    const r = ok(['verify', '--front', front, '--device', 'mock', '--device-opt', 'opMs=0.05']);
    expect(r.stdout).toMatch(/transfer: predictions describe mock .*; measured on mock .*include the transfer error/);
    expect(r.stdout).toMatch(/options.opMs: LUT [\d.]+, here 0.05/);
  });

  it('reports a member that fails to run, keeps the others, and exits 5', () => {
    // Member 1 gets a depthwise conv the device is told not to run; the LUT learns its latency first.
    const doc = JSON.parse(readFileSync(front, 'utf8'));
    const m = doc.members[0];
    m.architecture.layers.splice(1, 0, { role: 'block', spec: { kind: 'dwconv', k: 3, stride: 1, dilation: 1, act: 'relu' } });
    const archFile = path.join(dir, 'with-dwconv.arch.json');
    writeFileSync(archFile, JSON.stringify(m.architecture));
    ok(['profile', '--device', 'mock', '--arch', archFile, '--calibrate', '0', '--out', lut, ...FAST]);
    const partial = path.join(dir, 'partial.json');
    writeFileSync(partial, JSON.stringify(doc));
    const r = runCli(['verify', '--front', partial, '--device', 'mock', '--device-opt', 'unsupported=dwconv', '--csv', path.join(dir, 'partial.csv')]);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stdout).toMatch(/#1 failed to run: cannot time .*'dwconv' is switched off/);
    expect(r.stdout).toMatch(new RegExp(`measurements: ${members.length - 1} made now, 0 reused, 1 failed`));
    const state = JSON.parse(readFileSync(path.join(dir, 'partial.verify.json'), 'utf8'));
    expect(Object.keys((Object.values(state.settings)[0] as { results: object }).results)).toHaveLength(members.length - 1);
    expect(readFileSync(path.join(dir, 'partial.csv'), 'utf8')).toMatch(/failed-run,cannot time/);
  });

  it('refuses a front searched with another LUT, a LUT of another space, and unreadable fronts', async () => {
    const other = path.join(dir, 'other.lut.json');
    ok(['profile', '--device', 'mock', '--space', 'nb201', '--calibrate', '0', '--out', other, '--warmup', '3', '--min-repeats', '5', '--max-repeats', '50', '--max-time-ms', '150']);
    expectUserError(await nasInProcess('verify', '--front', front, '--device', 'mock', '--lut', other), /was searched with LUT mock-\w+, but .*other.lut.json is LUT mock-\w+/);
    const mbv2 = path.join(dir, 'mbv2.lut.json');
    ok(['profile', '--device', 'mock', '--space', 'mbv2', '--resolution', '32', '--calibrate', '0', '--out', mbv2, ...FAST]);
    const r = await nasInProcess('verify', '--front', front, '--device', 'mock', '--lut', mbv2);
    expectUserError(r, /profiled for mbv2@32\) lacks \d+ op instance\(s\) of the front's members \(space nb201@32\)/);
    expect(r.stderr).toMatch(/hint: .*nas profile --device mock .*--space nb201/);
    const garbage = path.join(dir, 'garbage.json');
    writeFileSync(garbage, '{"format":');
    expectUserError(await nasInProcess('verify', '--front', garbage, '--device', 'mock'), /front file .* is not valid JSON/);
    expectUserError(await nasInProcess('verify', '--front', path.join(dir, 'nope.json'), '--device', 'mock'), /front file not found/);
    expectUserError(await nasInProcess('verify', '--front', lut, '--device', 'mock'), /"format" must be "hw-nas-front"/);
  }, 120_000); // two profiles: 6 s in CI, past 60 s at load 35 here

  it('refuses an unwritable output path before measuring anything', async () => {
    const fresh = path.join(dir, 'fresh.json');
    copyFileSync(front, fresh);
    const file = path.join(dir, 'plain');
    writeFileSync(file, 'x');
    expectUserError(await nasInProcess('verify', '--front', fresh, '--device', 'mock', '--report', path.join(file, 'r.html')), /cannot write --report .*plain\/r.html: a parent of it is a file/);
    expectUserError(await nasInProcess('verify', '--front', fresh, '--device', 'mock', '--csv', dir), /cannot write --csv .*: it is a directory/);
    expect(existsSync(path.join(dir, 'fresh.verify.json'))).toBe(false);
  });
});

describe('nas export --front', () => {
  it('exports the most accurate member within a latency, or all of them, each with a sidecar', () => {
    const out = path.join(dir, 'nets');
    const r = ok(['export', '--front', front, '--select', `best-under=${target}ms`, '--out', out, '--json']);
    const { nets } = JSON.parse(r.stdout);
    expect(nets).toHaveLength(1);
    const under = members.filter((m) => m.latency.ms <= target);
    expect(nets[0].index).toBe(members.indexOf(under[under.length - 1]) + 1); // fastest first, accuracy rising
    const sidecar = JSON.parse(readFileSync(nets[0].sidecar, 'utf8'));
    expect(sidecar).toMatchObject({ format: 'hw-nas-exported-net', name: nets[0].name, lutId: expect.stringMatching(/^mock-/), predictedLatency: { ms: expect.any(Number) } });
    expect(sidecar.accuracy).toBeGreaterThan(50);

    const all = path.join(dir, 'all-nets');
    ok(['export', '--front', front, '--out', all]);
    expect(readdirSync(all).sort()).toEqual(members.flatMap((_, i) => [`member-${i + 1}.json`, `member-${i + 1}.onnx`]).sort());
  });

  it('refuses selections that match nothing and flags that do not go with --front', async () => {
    expectUserError(await nasInProcess('export', '--front', front, '--select', 'index=99', '--out', path.join(dir, 'x')), /index=99: the front has \d+ member\(s\)/);
    expectUserError(await nasInProcess('export', '--front', front, '--select', 'fastest', '--out', path.join(dir, 'x')), /--select 'fastest' is not a selection/);
    expectUserError(await nasInProcess('export', '--front', front, '--select', 'best-under=0.000001ms', '--out', path.join(dir, 'x')), /no member of the front is predicted within/);
    expectUserError(await nasInProcess('export', '--front', front, '--published', 'MnasNet-A1', '--out', path.join(dir, 'x')), /leave out --arch, --published and --random/);
    expectUserError(await nasInProcess('export', '--front', front, '--out', path.join(dir, 'x.onnx')), /with --front, --out is a folder/);
    expectUserError(await nasInProcess('export', '--select', 'all', '--published', 'MnasNet-A1', '--out', path.join(dir, 'x')), /give the front file with --front/);
  });
});
