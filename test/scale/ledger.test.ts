import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { archMetrics } from '../../src/core/arch-metrics.js';
import type { Architecture } from '../../src/core/arch.js';
import { isUserError } from '../../src/core/errors.js';
import { scaleFamily } from '../../src/scale/family.js';
import { ledgeredEvaluator, SCALE_CHECKPOINT, structureKey, type ScaleLedgerState } from '../../src/scale/ledger.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/search/job.js';
import { loadPublishedNets } from '../../src/spaces/published.js';

const b0 = loadPublishedNets({ resolution: 32 }).nets.find((n) => n.name === 'EfficientNet-B0')!;
const latency = async (archs: readonly Architecture[]) => archs.map((a) => ({ ms: archMetrics(a).macs / 1e6 }));
const GRID = { step: 0.1, tolerance: 0.15 };

/** An evaluator that counts its calls and scores a net by its MACs. */
function counting() {
  const calls: string[] = [];
  return { calls, evaluator: { id: 'macs', provenance: {}, evaluate: async (a: Architecture) => (calls.push(structureKey(a)), archMetrics(a).macs / 1e6) } };
}

describe('scale ledger', () => {
  it('keys a net by its structure, not its name', () => {
    expect(structureKey({ ...b0, name: 'other' })).toBe(structureKey(b0));
    expect(structureKey({ ...b0, input: [1, 3, 40, 40] })).not.toBe(structureKey(b0));
  });

  it('scores each structure once, saves after every score, and a run resumed from any saved state ends like the whole run', async () => {
    const whole = counting();
    const states: ScaleLedgerState[] = [];
    const l = ledgeredEvaluator(whole.evaluator, undefined, (s) => states.push(structuredClone(s)));
    const fam = await scaleFamily({ base: b0, latency, evaluator: l.evaluator, grid: GRID, phis: 2 });
    expect(new Set(whole.calls).size).toBe(whole.calls.length);
    expect(states.length).toBe(whole.calls.length);
    expect(l.scored()).toBe(whole.calls.length);
    // Killed after k scores: the resumed run scores exactly the rest, and finds the same family.
    for (const k of [1, Math.floor(states.length / 2), states.length]) {
      const rest = counting();
      const r = ledgeredEvaluator(rest.evaluator, JSON.parse(JSON.stringify(states[k - 1])), () => {});
      expect(r.resumed).toBe(k);
      const again = await scaleFamily({ base: b0, latency, evaluator: r.evaluator, grid: GRID, phis: 2 });
      expect(rest.calls).toEqual(whole.calls.slice(k));
      expect(again).toEqual(fam);
    }
  });

  it('refuses a malformed state with a user error naming the checkpoint', () => {
    const e = (() => {
      try {
        ledgeredEvaluator(counting().evaluator, { version: 1, evaluations: [[1, 2]] }, () => {}, 'fam.json.ckpt.json');
      } catch (err) {
        return err;
      }
    })();
    expect(isUserError(e)).toBe(true);
    expect((e as Error).message).toMatch(/fam\.json\.ckpt\.json is malformed: evaluation 0 must be/);
  });

  it('is saved as a scale checkpoint, reads the files labelled as search checkpoints before, and is not taken for a search checkpoint', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nas-scale-ledger-'));
    try {
      const file = path.join(dir, 'fam.json.ckpt.json');
      const job = { command: 'scale' };
      const state: ScaleLedgerState = { version: 1, evaluations: [['k', 50]] };
      saveCheckpoint(file, job, state, SCALE_CHECKPOINT);
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { format: string };
      expect(doc.format).toBe('hw-nas-scale-checkpoint');
      expect(loadCheckpoint(file, job, SCALE_CHECKPOINT)).toEqual(state);
      expect(() => loadCheckpoint(file, job)).toThrow(/search checkpoint .* is corrupt: expected a "hw-nas-search-checkpoint" version 1 document/);
      writeFileSync(file, JSON.stringify({ ...doc, format: 'hw-nas-search-checkpoint' }));
      expect(loadCheckpoint(file, job, SCALE_CHECKPOINT)).toEqual(state);
      writeFileSync(file, JSON.stringify({ ...doc, format: 'hw-nas-front' }));
      expect(() => loadCheckpoint(file, job, SCALE_CHECKPOINT)).toThrow(/compound scaling checkpoint .* is corrupt: expected a "hw-nas-scale-checkpoint" version 1 document/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
