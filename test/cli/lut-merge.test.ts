/** `nas lut merge` of LUTs with a timing reference: another R brought to the first's and said; another β refused, exit 2, with the fix. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLut, readLut, writeLut } from '../../lut/store.js';
import { device, entry, KEYS, protocol, stats } from '../lut/fixtures.js';
import { nasInProcess } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-lut-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, referenceMs: number, referenceSlope: number, key: string, median: number): string {
  const lut = createLut(device, { ...protocol, reference: 'mbv2net64', referenceMs, referenceSlope }, stats(0.05));
  lut.entries[key] = entry(median);
  const file = path.join(dir, name);
  writeLut(file, lut);
  return file;
}

describe('nas lut merge with a timing reference', () => {
  it('brings a LUT of another R to the first one\'s, says so, and refuses one of another β with how to fix it', async () => {
    const a = write('a.lut.json', 1.0, 0.4, KEYS.conv, 1);
    const b = write('b.lut.json', 1.25, 0.4, KEYS.dw, 0.5);
    const out = path.join(dir, 'm.lut.json');
    const r = await nasInProcess('lut', 'merge', a, b, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${b}: brought from its timing reference scale R 1.2500 ms to ${a}'s 1.0000 ms (same β: every figure × ${((1 / 1.25) ** 0.4).toFixed(4)}, exact)`);
    expect(readLut(out).entries[KEYS.dw].stats.median).toBeCloseTo(0.5 * (1 / 1.25) ** 0.4, 12);

    const c = write('c.lut.json', 1.0, 0.3, KEYS.dw, 0.5);
    const refused = await nasInProcess('lut', 'merge', a, c, '--force', '--out', path.join(dir, 'n.lut.json'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/cannot merge .*c\.lut\.json into .*a\.lut\.json: their rounds were scaled by the timing reference mbv2net64 with different slopes/);
    expect(refused.stderr).toMatch(/nas profile --out .*a\.lut\.json with the flags that made .*c\.lut\.json/);
    expect(refused.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
