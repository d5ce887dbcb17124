/**
 * Runs the real CLI (dist/) as a child process and stops it with a signal at a chosen point, for the
 * kill-and-resume tests: `when` is polled every 10 ms (a file's entries, a line on stderr) and the
 * signal goes out the first time it holds.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { ROOT } from '../cli/helpers.js';

export const RUN = path.join(ROOT, 'dist/src/cli/run.js');
export const BUILT = existsSync(RUN);

export interface Stopped {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Whether the signal was sent (false: the command ended first, and the test is meaningless). */
  sent: boolean;
}

/** Runs `nas <args>` and sends `signal` once `when(stderr so far)` holds. */
export function runAndStop(args: string[], when: (stderr: string) => boolean, signal: NodeJS.Signals): Promise<Stopped> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const poll = setInterval(() => {
      if (sent || !when(stderr)) return;
      sent = true;
      child.kill(signal);
    }, 10);
    child.on('error', reject);
    child.on('close', (code, sig) => {
      clearInterval(poll);
      resolve({ code, signal: sig, stdout, stderr, sent });
    });
  });
}

/** Runs `nas <args>` to the end; throws with its stderr unless it exits 0. */
export function runToEnd(args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`nas ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stderr}`);
  return r;
}

const EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * How a stopped command must end: SIGKILL kills it outright; SIGINT/SIGTERM end it with 130/143, no
 * stack, and the line that says how to resume (the same command, as typed).
 */
export function expectStopped(r: Stopped, signal: NodeJS.Signals, command: string): void {
  expect(r.sent, `the command ended before the ${signal} went out:\n${r.stderr}`).toBe(true);
  if (signal === 'SIGKILL') {
    expect(r.signal).toBe('SIGKILL');
    return;
  }
  expect(r.code, r.stderr).toBe(EXIT[signal]);
  expect(r.stderr).toContain(`interrupted (${signal}): what was measured so far is saved; to resume, run the same command again:\n  nas ${command} `);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

/** Lines in a file (0 when it does not exist). */
export const lineCount = (file: string): number => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

/** A JSON file's parsed content, or undefined while it does not exist or is being replaced. */
export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
