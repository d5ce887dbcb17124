/**
 * Kill and resume through the real CLI (dist/): a search whose evaluator is a slow command is stopped
 * after a chosen number of evaluations, by SIGINT (exit 130), SIGTERM (exit 143) or SIGKILL, then run
 * again: the front equals an uninterrupted run's with the same seed, and nothing evaluated before a
 * SIGINT/SIGTERM is evaluated again (after a SIGKILL, at most what came after the last checkpoint).
 * While it runs, a second search into the same --out refuses with "in use by PID".
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT, lineCount, RUN, runToEnd } from '../reliability/stop.js';
import { nasInProcess } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'nas-interrupt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BUDGET = 12;
/** Each evaluation appends a line to `log`, then prints the architecture file's size as its "accuracy". */
const args = (strategy: string, out: string, log: string) => [
  'search', '--space', 'nb201', '--latency-table', 'pixel3', '--strategy', strategy, '--budget', String(BUDGET), '--seed', '5',
  '--evaluator', 'command', '--eval-command', `echo x >> ${log}; sleep 0.15; wc -c < {arch}`, '--eval-range', '0,1000000', '--out', out,
];
const members = (front: string) => (JSON.parse(readFileSync(front, 'utf8')) as { members: unknown[] }).members;

/** Starts the search, sends `signal` once `after` evaluations are logged, and resolves with how it ended. */
function interrupted(a: string[], log: string, after: number, signal: NodeJS.Signals, during?: (pid: number) => Promise<void>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUN, ...a], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const poll = setInterval(() => {
      if (lineCount(log) < after) return;
      clearInterval(poll);
      Promise.resolve(during?.(child.pid!)).then(() => child.kill(signal), (e: unknown) => (child.kill('SIGKILL'), reject(e)));
    }, 10);
    child.on('close', (code, sig) => {
      clearInterval(poll);
      resolve({ code, signal: sig, stderr });
    });
  });
}

describe.runIf(BUILT)('interrupting nas search and running it again', () => {
  const baseline = new Map<string, unknown[]>();
  const whole = (strategy: string) => {
    if (!baseline.has(strategy)) {
      const out = path.join(dir, `whole-${strategy}.json`);
      runToEnd(args(strategy, out, path.join(dir, `whole-${strategy}.log`)));
      baseline.set(strategy, members(out));
    }
    return baseline.get(strategy)!;
  };

  it.each([
    ['nsga2', 'SIGINT', 130, 4],
    ['evolution', 'SIGTERM', 143, 7],
  ] as const)('%s stopped by %s: exit %d with the resume line; the rerun evaluates only the rest and ends like an uninterrupted run', async (strategy, signal, code, after) => {
    const out = path.join(dir, `${strategy}.json`);
    const log = path.join(dir, `${strategy}.log`);
    let refused = '';
    const r = await interrupted(args(strategy, out, log), log, after, signal, async (pid) => {
      // A second writer of the same --out, while the first runs.
      const second = await nasInProcess(...args(strategy, out, path.join(dir, 'second.log')));
      process.exitCode = undefined;
      expect(second.code).toBe(2);
      refused = second.stderr;
      expect(refused).toMatch(new RegExp(`error: front file .*${strategy}\\.json is in use by PID ${pid} \\(front file, since `));
    });
    expect(refused).not.toBe('');
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(new RegExp(`interrupted \\(${signal}\\): what was measured so far is saved; to resume, run the same command again:\\n  nas search --space nb201 `));
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(existsSync(`${out}.lock`)).toBe(false);
    const before = lineCount(log);
    expect(before).toBeLessThan(BUDGET);
    runToEnd(args(strategy, out, log));
    // Every evaluation finished before the signal was saved on the way out: none runs twice, except the
    // one the signal cut short (its command was killed with the search).
    expect(lineCount(log)).toBeLessThanOrEqual(BUDGET + 1);
    expect(members(out)).toEqual(whole(strategy));
  }, 180_000);

  it.each([5])('random killed with SIGKILL after %d evaluations: the rerun ends like an uninterrupted run; a stale lock is taken over', async (after) => {
    const out = path.join(dir, `random-${after}.json`);
    const log = path.join(dir, `random-${after}.log`);
    const r = await interrupted(args('random', out, log), log, after, 'SIGKILL');
    expect(r.signal).toBe('SIGKILL');
    expect(existsSync(`${out}.lock`)).toBe(true); // nobody removed it: the rerun must take it over
    runToEnd(args('random', out, log));
    expect(members(out)).toEqual(whole('random'));
    expect(existsSync(`${out}.lock`)).toBe(false);
    // Checkpoints every 2 s or 25 evaluations: what came after the last one is evaluated again.
    expect(lineCount(log)).toBeLessThanOrEqual(BUDGET + after);
  }, 180_000);
});
