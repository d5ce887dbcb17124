/** nas demo (npm run demo) at tiny settings on onnxruntime-node's CPU: every step runs and leaves its files. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectUserError, runCli } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-demo-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const out = path.join(dir, 'demo');
// The profile step without ort-cpu's default timing reference (a net timed beside every batch: 39.6 s against 18.1 s
// for the demo's default profile, docs/benchmarks.md), through a config file, as a user would pass any profile flag
// to the demo: what is checked is that every step runs and leaves its files, not the figures.
const config = path.join(dir, 'nas.config.json');
writeFileSync(config, JSON.stringify({ profile: { reference: 'off' } }));
const TINY = ['--resolution', '32', '--budget', '8', '--calibrate', '3', '--target-sample', '20', '--warmup', '2', '--min-repeats', '5', '--max-repeats', '50', '--max-time-ms', '150', '--config', config];

describe('nas demo', () => {
  it('profiles, searches under a derived target, exports, verifies and reports, showing each command', () => {
    const r = runCli(['demo', '--out-dir', out, ...TINY, '--json'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    for (const step of ['[1/5] profile', '[2/5] search under', '[3/5] export', '[4/5] measure', '[5/5] summary']) expect(r.stderr).toContain(step);
    for (const command of ['$ nas profile --device cpu --threads 1', '$ nas search --space mbv2 --resolution 32', '$ nas export --front', '$ nas verify --device cpu'])
      expect(r.stderr).toContain(command);
    expect(r.stderr).toMatch(/profiling mbv2@32 and 3 calibration networks on ort-cpu: \d+\/74/);
    expect(r.stderr).toMatch(/measuring on ort-cpu: \d+\/\d+/);

    const { files, summary } = doc;
    for (const f of ['lut', 'front', 'report', 'csv', 'state']) expect(existsSync(files[f]), f).toBe(true);
    const front = JSON.parse(readFileSync(files.front, 'utf8'));
    expect(front.target.latencyMs).toBe(summary.target);
    expect(front.members.length).toBe(summary.nets);
    for (let i = 1; i <= summary.nets; i++) expect(existsSync(path.join(files.frontNets, `member-${i}.onnx`))).toBe(true);
    if (summary.winner) expect(existsSync(path.join(files.winner, `member-${summary.winner.index}.json`))).toBe(true);
    expect(summary.agreement.n).toBe(summary.nets);
    const report = readFileSync(files.report, 'utf8');
    expect(report).toContain('<canvas id="pareto">');
    expect(readFileSync(files.csv, 'utf8').trim().split('\r\n')).toHaveLength(summary.nets + 1);
  }, 240_000);

  it('a second run reuses the LUT and the measurements', () => {
    const r = runCli(['demo', '--out-dir', out, ...TINY], { timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/LUT .*: 0 measured, 71 already there/);
    expect(r.stdout).toMatch(/measurements: 0 made now, \d+ reused, 0 failed/);
    expect(r.stdout).toMatch(/demo finished in \d+ s; the files:\n {2}LUT {12}\S+cpu-mbv2-32.lut.json/);
    expect(r.stdout).toMatch(/report {9}\S+report.html +open it in a browser/);
  }, 240_000);

  it('stops before measuring when the output folder cannot be written', () => {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'x');
    expectUserError(runCli(['demo', '--out-dir', path.join(file, 'demo'), ...TINY]), /cannot write --out-dir .*: a parent of it is a file/);
  });
});
