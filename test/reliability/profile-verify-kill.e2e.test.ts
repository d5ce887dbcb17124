/**
 * Kill and resume of `nas profile` and `nas verify` on a real device (onnxruntime CPU, one thread;
 * nb201 at 16 px, short timing protocol). Each is stopped at several points, by SIGKILL, SIGINT and
 * SIGTERM, then run again with the same command:
 * - every entry (measurement) on disk after the stop is still there, unchanged (same figures, same
 *   timestamp: it was not measured again; a profile's figures only brought, all by one factor, to the timing
 *   reference's R that the completing run adopts), and the rerun measures exactly the ones missing (its own
 *   count line says so);
 * - the result holds the same set of entries as an uninterrupted run. The figures themselves are
 *   timings of a real device, so they differ from run to run: equality is of what was measured, not of
 *   the milliseconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lut } from '../../lut/format.js';
import { readLut } from '../../lut/store.js';
import { BUILT, expectStopped, readJson, runAndStop, runToEnd } from './stop.js';

const dir = mkdtempSync(path.join(tmpdir(), 'nas-kill-profile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROFILE = ['profile', '--device', 'ort-cpu', '--threads', '1', '--space', 'nb201', '--resolution', '16', '--warmup', '2', '--min-repeats', '20', '--max-repeats', '40', '--max-time-ms', '300', '--rounds', '1', '--calibrate', '0'];
// Through readLut: entries land in the LUT's journal first and are folded into the file in batches.
const entries = (file: string) => {
  try {
    return Object.keys(readLut(file).entries).length;
  } catch {
    return 0; // not written yet
  }
};

/** A LUT's stats figures in milliseconds, times `f` (the rest of its stats, n and converged, are counts and flags). */
const scaledOf = (s: Lut['entries'][string]['stats'], f: number) => ({
  median: s.median * f, mean: s.mean * f, std: s.std * f, p10: s.p10 * f, p90: s.p90 * f, min: s.min * f, max: s.max * f, ci0: s.ci95[0] * f, ci1: s.ci95[1] * f,
});

/** The rest of a LUT's stats: counts and flags (n, converged, …), which no factor touches. */
const countsOf = ({ median: _a, mean: _b, std: _c, p10: _d, p90: _e, min: _f, max: _g, ci95: _h, ...rest }: Lut['entries'][string]['stats']) => rest;

/** The factor a completing run applied to a stopped run's entries: 1 without a reference or with R already final. */
function factorOf(partial: Lut, full: Lut): number {
  const r0 = partial.protocol.referenceMs;
  const r1 = full.protocol.referenceMs;
  if (r0 === undefined || r1 === undefined || !partial.referenceProvisional) return 1;
  return (r1 / r0) ** (partial.protocol.referenceSlope ?? 1);
}

let whole: string[];
const lut = path.join(dir, 'whole.lut.json');

beforeAll(() => {
  if (!BUILT) return;
  runToEnd([...PROFILE, '--out', lut]);
  whole = Object.keys(readLut(lut).entries).sort();
}, 120_000);

describe.runIf(BUILT)('nas profile (ort-cpu) stopped and run again', () => {
  it.each([
    ['SIGKILL', 2],
    ['SIGKILL', 12],
    ['SIGINT', 7],
  ] as const)('%s after %d entries: nothing saved is measured again, the rest is, and the LUT ends with every entry', async (signal, after) => {
    const out = path.join(dir, `${signal}-${after}.lut.json`);
    const args = [...PROFILE, '--out', out];
    const r = await runAndStop(args, () => entries(out) >= after, signal);
    expectStopped(r, signal, 'profile --device ort-cpu');
    const partial = readLut(out); // parses and validates: never a torn file
    const kept = Object.keys(partial.entries).length;
    expect(kept).toBeGreaterThanOrEqual(after);
    expect(kept).toBeLessThan(whole.length);

    const again = runToEnd(args);
    expect(again.stdout + again.stderr).toContain(`${whole.length - kept} measured, ${kept} already there`);
    const full = readLut(out);
    expect(Object.keys(full.entries).sort()).toEqual(whole);
    // Entries saved before the stop keep their measurement; their net is median − the LUT's final overhead (the
    // one timed in the entries' passes of the run that completed it: lut/overhead.ts). With ort-cpu's timing
    // reference the stopped run's R was provisional: the run that completes the LUT adopts R from all rounds and
    // brings the saved figures to it, every one by the same factor (R final / R provisional)^β provisional
    // (lut/reference.ts) — scaled, not measured again (same rounds, same timestamp).
    const f = factorOf(partial, full);
    for (const [key, e] of Object.entries(partial.entries)) {
      const { net, stats, rounds, ...rest } = full.entries[key];
      const { net: _n, stats: s0, rounds: r0, ...rest0 } = e;
      expect(rest, key).toEqual(rest0);
      expect(countsOf(stats), key).toEqual(countsOf(s0));
      const now: Record<string, number> = scaledOf(stats, 1);
      for (const [k, v] of Object.entries(scaledOf(s0, f))) expect(now[k], `${key} ${k}`).toBeCloseTo(v, 12);
      expect(rounds?.length, key).toBe(r0?.length);
      (r0 ?? []).forEach((x, i) => expect(rounds![i], `${key} round ${i}`).toBeCloseTo(x * f, 12));
      expect(net, key).toBeCloseTo(Math.max(0, stats.median - full.overhead.median), 12);
    }
  }, 120_000);
});

describe.runIf(BUILT)('nas verify (ort-cpu) stopped and run again', () => {
  const front = path.join(dir, 'front.json');
  let n = 0;
  type State = { settings: Record<string, { results: Record<string, { measuredAt: string }> }> };
  const results = (file: string) => Object.values(readJson<State>(file)?.settings ?? {})[0]?.results ?? {};

  beforeAll(() => {
    if (!BUILT) return;
    runToEnd(['search', '--space', 'nb201', '--resolution', '16', '--lut', lut, '--evaluator', 'table', '--strategy', 'nsga2', '--budget', '60', '--seed', '1', '--out', front]);
    n = readJson<{ members: unknown[] }>(front)!.members.length;
  }, 120_000);

  it.each([
    ['SIGKILL', 1],
    ['SIGTERM', 2],
  ] as const)('%s after %d measurements: the rerun measures only the others and keeps the saved ones as they were', async (signal, after) => {
    expect(n, 'the front is too small to stop verify midway').toBeGreaterThan(after);
    const state = path.join(dir, `${signal}-${after}.verify.json`);
    const args = ['verify', '--front', front, '--device', 'ort-cpu', '--threads', '1', '--state', state];
    const r = await runAndStop(args, () => Object.keys(results(state)).length >= after, signal);
    expectStopped(r, signal, 'verify --front');
    const saved = results(state);
    const kept = Object.keys(saved).length;
    expect(kept).toBeGreaterThanOrEqual(after);
    expect(kept).toBeLessThan(n);

    const again = runToEnd(args);
    expect(again.stdout).toContain(`measurements: ${n - kept} made now, ${kept} reused, 0 failed`);
    const all = results(state);
    expect(Object.keys(all)).toHaveLength(n);
    for (const [name, m] of Object.entries(saved)) expect(all[name], name).toEqual(m);
  }, 120_000);
});
