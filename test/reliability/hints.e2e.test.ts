/** A hint that suggests a command gives one that works as printed: the missing-LUT hint, run as it is. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLut } from '../../lut/store.js';
import { nasInProcess, runCli } from '../cli/helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'nas-hints-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hints run as printed', () => {
  it('a LUT file that does not exist: the suggested nas profile command creates it', async () => {
    const lut = path.join(dir, 'cpu.lut.json');
    const r = await nasInProcess('predict', '--lut', lut, '--space', 'nb201', '--random', '1');
    process.exitCode = undefined;
    expect(r.code).toBe(2);
    const m = /hint: .*?: (nas profile .*)/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(m![1]).not.toMatch(/[<>]/);
    // Run as printed, in a folder whose nas.config.json (read from the working folder, as for any user) asks for a short
    // timing protocol: the hint names no timing flags, so the command alone would time nb201 with the default protocol,
    // 20 calibration networks and ort-cpu's timing reference (73.7 s of a 256 s serial run here, 06:12-06:16 UTC, load
    // 12-15). What is checked is that the printed command runs and creates the LUT, not what it measures.
    const cwd = mkdtempSync(path.join(dir, 'cwd-'));
    writeFileSync(
      path.join(cwd, 'nas.config.json'),
      JSON.stringify({ profile: { warmup: 1, 'min-repeats': 3, 'max-repeats': 5, 'max-time-ms': 50, 'target-ci': 0.5, rounds: 1, calibrate: 0, reference: 'off' } }),
    );
    const made = runCli(m![1].split(/\s+/).slice(1), { cwd });
    expect(made.code, made.stderr).toBe(0);
    expect(existsSync(lut)).toBe(true);
    expect(Object.keys(readLut(lut).entries).length).toBeGreaterThan(0);
  }, 180_000);
});
