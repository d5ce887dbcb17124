/** A hint that suggests a command gives one that works as printed: the missing-LUT hint, run as it is. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLut } from '../../lut/store.js';
import { nasInProcess } from '../cli/helpers.js';

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
    const made = await nasInProcess(...m![1].split(/\s+/).slice(1));
    process.exitCode = undefined;
    expect(made.code, made.stderr).toBe(0);
    expect(existsSync(lut)).toBe(true);
    expect(Object.keys(readLut(lut).entries).length).toBeGreaterThan(0);
  }, 180_000);
});
