/**
 * LUTs made before the lowerings and DAG architectures still predict the same: the LUTs and predictions in
 * fixtures/ were written by the code of commit 5fea567 (nas profile/predict on the mock device, 3 random
 * members of nb201 and mbv2); the same command now must decompose into the same keys and predict the same.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nasInProcess } from '../cli/helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
interface Recorded {
  resolution: number;
  predictions: { name: string; ms: number; std: number; keys: string[] }[];
}
const before = JSON.parse(readFileSync(fixture('before-dag-predictions.json'), 'utf8')) as Record<string, Recorded>;

describe('LUTs made before DAGs', () => {
  it.each(['nb201', 'mbv2'])('%s: same keys, same predictions', async (space) => {
    const want = before[space];
    const r = await nasInProcess('predict', '--lut', fixture(`before-dag-${space}.lut.json`), '--space', space, '--resolution', String(want.resolution), '--random', '3', '--seed', '0', '--json');
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout).predictions as { name: string; ms: number; std: number; blocks: { key: string }[] }[];
    expect(got.map((p) => p.name)).toEqual(want.predictions.map((p) => p.name));
    got.forEach((p, i) => {
      expect(p.blocks.map((b) => b.key)).toEqual(want.predictions[i].keys);
      expect(p.ms).toBeCloseTo(want.predictions[i].ms, 12);
      expect(p.std).toBeCloseTo(want.predictions[i].std, 12);
    });
  });
});
