/** Real `nas` processes for the farm's end-to-end tests (workers, coordinators that get killed). */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI_ARGS, ROOT } from '../cli/helpers.js';

export interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

export function nas(args: string[]): Proc {
  const child = spawn(process.execPath, [...CLI_ARGS, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => text, exited };
}

export async function until(what: string, cond: () => boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

/** Waits until each worker has joined the pool (or died: the assertion then shows its output). */
export async function ready(workers: Proc[]): Promise<void> {
  for (const w of workers) await until('a worker to join the pool', () => /serving /.test(w.out()) || w.child.exitCode !== null);
  for (const w of workers) if (!/serving [0-9a-f]{16}: /.test(w.out())) throw new Error(`a worker did not start:\n${w.out()}`);
}

export async function stopAll(procs: Proc[]): Promise<void> {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exited));
}
