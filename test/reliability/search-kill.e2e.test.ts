/**
 * Kill and resume of `nas search` for the strategies that evaluate candidates one by one (evolution,
 * nsga2, the MnasNet RL controller), stopped at several points by SIGKILL, SIGINT or SIGTERM. The
 * evaluator is a command that logs each evaluation, so the test counts what the rerun evaluates:
 * - after SIGINT/SIGTERM the checkpoint holds every evaluation that finished (only the one the signal
 *   cut short is missing);
 * - after SIGKILL it holds what the last checkpoint saved (every 2 s or 25 evaluations; MnasNet: at a
 *   controller update);
 * - the rerun evaluates exactly the evaluations the checkpoint lacks, and its front equals an
 *   uninterrupted run's with the same seed.
 * (test/cli/interrupt.e2e.test.ts covers random, nsga2 by SIGINT and evolution by SIGTERM, with the
 * lock of a second writer; the differentiable strategies and netadapt are in differentiable-kill.)
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT, expectStopped, lineCount, readJson, runAndStop, runToEnd } from './stop.js';

const dir = mkdtempSync(path.join(tmpdir(), 'nas-kill-search-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 16 evaluations; 34 where the test waits for the first checkpoint, so that the one taken after 25
// evaluations comes whatever the machine's speed (the 2 s one may not, on a fast machine), and the stop two
// evaluations later still has 7 to land in. An evaluation sleeps 0.05 s, so that a signal sent on a count
// lands near it (was 0.1 s with a budget of 30: the file took 137 s, now 92 s, back to back at load 11-13).
const BUDGET = 16;
const CHECKPOINT_BUDGET = 34;
const args = (strategy: string, out: string, log: string, budget = BUDGET) => [
  'search', '--space', 'nb201', '--latency-table', 'pixel3', '--strategy', strategy, '--budget', String(budget), '--seed', '7',
  '--evaluator', 'command', '--eval-command', `echo x >> ${log}; sleep 0.05; wc -c < {arch}`, '--eval-range', '0,1000000', '--out', out,
  ...(strategy === 'mnasnet' ? ['--target-ms', '10'] : []), // its reward is relative to a target
];
const saved = (out: string) => readJson<{ state: { evaluations: unknown[] } }>(`${out}.ckpt.json`)?.state.evaluations.length ?? 0;
const members = (front: string) => readJson<{ members: unknown[] }>(front)!.members;

const wholeRuns = new Map<string, { members: unknown[]; evaluations: number }>();
function whole(strategy: string, budget: number) {
  const id = `${strategy}-${budget}`;
  if (!wholeRuns.has(id)) {
    const out = path.join(dir, `whole-${id}.json`);
    const log = path.join(dir, `whole-${id}.log`);
    runToEnd(args(strategy, out, log, budget));
    wholeRuns.set(id, { members: members(out), evaluations: lineCount(log) });
  }
  return wholeRuns.get(id)!;
}

/** `after`: evaluations logged before the signal; 'checkpoint': two evaluations past the first checkpoint. */
describe.runIf(BUILT)('nas search stopped and run again', () => {
  it.each([
    ['mnasnet', 'SIGKILL', 5],
    ['mnasnet', 'SIGTERM', 11], // mid-batch: the evaluations since the last controller update are saved too
    ['mnasnet', 'SIGINT', 3],
    ['nsga2', 'SIGKILL', 3],
    ['nsga2', 'SIGKILL', 'checkpoint'],
    ['evolution', 'SIGKILL', 'checkpoint'],
  ] as const)('%s, %s after %s evaluations: the rerun evaluates only what the checkpoint lacks and ends like an uninterrupted run', async (strategy, signal, after) => {
    const budget = after === 'checkpoint' ? CHECKPOINT_BUDGET : BUDGET;
    const base = whole(strategy, budget);
    const out = path.join(dir, `${strategy}-${signal}-${after}.json`);
    const log = path.join(dir, `${strategy}-${signal}-${after}.log`);
    const a = args(strategy, out, log, budget);
    const when = () => (after === 'checkpoint' ? existsSync(`${out}.ckpt.json`) && lineCount(log) >= saved(out) + 2 : lineCount(log) >= after);
    const r = await runAndStop(a, when, signal);
    expectStopped(r, signal, `search --space nb201`);
    expect(existsSync(`${out}.lock`)).toBe(signal === 'SIGKILL'); // a killed run's stale lock is taken over
    const before = lineCount(log);
    const kept = saved(out);
    expect(before).toBeLessThan(base.evaluations);
    if (signal !== 'SIGKILL') expect(kept).toBeGreaterThanOrEqual(before - 1);
    if (after === 'checkpoint') expect(kept).toBeGreaterThan(0);

    runToEnd(a);
    expect(lineCount(log) - before).toBe(base.evaluations - kept);
    expect(members(out)).toEqual(base.members);
    expect(existsSync(`${out}.ckpt.json`)).toBe(false);
    expect(existsSync(`${out}.lock`)).toBe(false);
  }, 120_000);
});
