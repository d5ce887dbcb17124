/**
 * The exporter computes what it computed when golden/golden.json was recorded: same outputs on the same
 * input (max |Δ| ≤ 1e-5), same weight names and shapes, same LUT keys, for the published nets, random
 * members of every space and one op of every kind (see golden/cases.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { goldenCases, record, type GoldenRecord } from './golden/cases.js';

const TOLERANCE = 1e-5;
const golden = JSON.parse(readFileSync(new URL('./golden/golden.json', import.meta.url), 'utf8')) as { records: GoldenRecord[] };

describe('golden exports', () => {
  it('covers the 13 published nets, 3 members of each space and every op kind recorded', () => {
    const names = new Set(goldenCases().map((c) => c.name));
    // Cases added after the recording (kinds that did not exist then) have nothing to compare with.
    expect(golden.records.map((r) => r.name).filter((n) => !names.has(n))).toEqual([]);
    expect(golden.records.filter((r) => r.name.startsWith('net:')).length).toBe(13 + 9);
  });

  it('computes the recorded outputs under the recorded weight names and LUT keys', async () => {
    const byName = new Map(golden.records.map((r) => [r.name, r]));
    const failures: string[] = [];
    let worst = 0;
    for (const c of goldenCases()) {
      const want = byName.get(c.name);
      if (!want) continue;
      const got = await record(c);
      if (got.dims.join('x') !== want.dims.join('x')) failures.push(`${c.name}: dims ${got.dims} != ${want.dims}`);
      if (got.keys.join('\n') !== want.keys.join('\n')) failures.push(`${c.name}: LUT keys differ:\n  now ${got.keys.join(' ')}\n  was ${want.keys.join(' ')}`);
      if (got.params !== want.params || got.paramCount !== want.paramCount) failures.push(`${c.name}: weight names/shapes differ (${got.paramCount} tensors, was ${want.paramCount})`);
      const delta = Math.max(...want.values.map((v, i) => Math.abs(v - got.values[i])));
      const length = want.dims.reduce((a, b) => a * b, 1);
      worst = Math.max(worst, delta);
      if (!(delta <= TOLERANCE)) failures.push(`${c.name}: max |Δ| ${delta} over the kept outputs`);
      if (!(Math.abs(got.sum - want.sum) <= TOLERANCE * length) || !(Math.abs(got.absSum - want.absSum) <= TOLERANCE * length))
        failures.push(`${c.name}: output sums ${got.sum}/${got.absSum}, were ${want.sum}/${want.absSum}`);
    }
    expect(failures).toEqual([]);
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  }, 180_000);
});
