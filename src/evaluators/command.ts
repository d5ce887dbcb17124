/**
 * `command` evaluator: runs the user's own training/evaluation script for each architecture.
 *
 * The architecture is written as an hw-nas-arch JSON file (src/core/arch-file.ts) and its path
 * replaces `{arch}` in the command, or is appended when the command has no `{arch}`. The command
 * runs in a shell; its accuracy is read from stdout: a JSON document {"accuracy": x} (whole output
 * or last line), else the last number printed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic-file.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { archToJson } from '../core/arch-file.js';
import type { Architecture } from '../core/arch.js';
import { UserError } from '../core/errors.js';
import type { AccuracyEvaluator } from '../core/contracts.js';

export interface CommandEvaluatorOptions {
  command: string;
  /** Per architecture; default one hour. */
  timeoutMs?: number;
  cwd?: string;
  /** The range a printed accuracy must fall in (default [0, 100], a percentage). */
  range?: readonly [number, number];
}

const DEFAULT_TIMEOUT_MS = 3_600_000;
/** Output kept for parsing and error messages; a chatty training log must not exhaust memory. */
const MAX_OUTPUT = 1 << 20;
/** A number standing on its own: not the digits of a word such as "top1" or "resnet50". */
const NUMBER = /(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w]|\.\d)/g;

/** `{arch}` → the file path (quoted for the shell only when it needs it). */
export function commandLine(command: string, archPath: string): string {
  const arg = /^[\w./-]+$/.test(archPath) ? archPath : `'${archPath.replace(/'/g, `'\\''`)}'`;
  return command.includes('{arch}') ? command.split('{arch}').join(arg) : `${command} ${arg}`;
}

/** The accuracy a command printed, or undefined when it printed none. */
export function parseAccuracy(stdout: string): number | undefined {
  return findAccuracy(stdout)?.value;
}

/** The accuracy a command printed and the output line it came from. */
export function findAccuracy(stdout: string): { value: number; line: string } | undefined {
  const text = stdout.trim();
  const lines = text.split('\n');
  for (const candidate of [text, lines[lines.length - 1].trim()]) {
    try {
      const v = JSON.parse(candidate) as unknown;
      if (v && typeof v === 'object' && typeof (v as { accuracy?: unknown }).accuracy === 'number')
        return { value: (v as { accuracy: number }).accuracy, line: candidate.split('\n').pop()!.trim() };
    } catch {
      // not JSON: fall back to the last number
    }
  }
  for (let i = lines.length - 1; i >= 0; i--) {
    const numbers = lines[i].match(NUMBER);
    if (!numbers) continue;
    const v = Number(numbers[numbers.length - 1]);
    return Number.isFinite(v) ? { value: v, line: lines[i].trim() } : undefined;
  }
  return undefined;
}

/** Accuracy is a percentage unless the evaluator is told otherwise. */
export const DEFAULT_ACCURACY_RANGE: readonly [number, number] = [0, 100];

function tail(text: string, n = 600): string {
  const t = text.trim();
  if (!t) return '(nothing)';
  return t.length > n ? '…' + t.slice(-n) : t;
}

interface RunOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function runShell(line: string, timeoutMs: number, cwd?: string): Promise<RunOutcome> {
  return new Promise((resolve, reject) => {
    // Own process group, so a timeout kills the script and everything it started, not only the shell.
    const child = spawn('/bin/sh', ['-c', line], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    // Being in its own group, the script would miss the Ctrl-C meant for the search and outlive it:
    // take it down with us, then let the signal do what it would have done.
    const onSignal = (signal: NodeJS.Signals) => {
      killGroup();
      detach();
      process.kill(process.pid, signal);
    };
    const detach = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', killGroup);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.once('exit', killGroup);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-MAX_OUTPUT)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-MAX_OUTPUT)));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      detach();
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      detach();
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

export function commandEvaluator(opts: CommandEvaluatorOptions): AccuracyEvaluator {
  const command = opts.command?.trim();
  if (!command) throw new UserError('the command evaluator needs a command', { hint: `e.g. --eval-command "python train.py --arch {arch}"` });
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new UserError(`command evaluator timeout must be positive, got ${opts.timeoutMs} ms`);
  const [lo, hi] = opts.range ?? DEFAULT_ACCURACY_RANGE;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) throw new UserError(`command evaluator accuracy range must be two finite numbers LOW < HIGH, got [${lo}, ${hi}]`);
  return {
    id: 'command',
    provenance: { kind: 'command', command, timeoutMs, metric: 'as printed by the command', range: [lo, hi] },
    async evaluate(arch: Architecture) {
      const dir = mkdtempSync(path.join(tmpdir(), 'hw-nas-eval-'));
      try {
        const file = path.join(dir, 'arch.json');
        writeFileAtomic(file, JSON.stringify(archToJson(arch)) + '\n', 'the architecture file for the evaluator command');
        const line = commandLine(command, file);
        const out = await runShell(line, timeoutMs, opts.cwd);
        const printed = `stdout: ${tail(out.stdout)}\nstderr: ${tail(out.stderr)}`;
        if (out.timedOut)
          throw new UserError(`evaluator command timed out after ${timeoutMs / 1000} s on '${arch.name}': ${line}\n${printed}`, {
            hint: 'raise the timeout (--eval-timeout, seconds) or make the command faster',
          });
        if (out.code !== 0)
          throw new UserError(
            `evaluator command failed (${out.signal ? `signal ${out.signal}` : `exit code ${out.code}`}) on '${arch.name}': ${line}\n${printed}`,
          );
        const found = findAccuracy(out.stdout);
        if (found === undefined)
          throw new UserError(`evaluator command printed no accuracy for '${arch.name}': ${line}\n${printed}`, {
            hint: 'print the accuracy as the last number on stdout, or as JSON {"accuracy": 93.1}',
          });
        if (!(Number.isFinite(found.value) && found.value >= lo && found.value <= hi))
          throw new UserError(`evaluator command printed accuracy ${found.value} for '${arch.name}', outside [${lo}, ${hi}], in the line: ${found.line}`, {
            hint: `print the accuracy as a percentage in [${lo}, ${hi}] (or declare another range with --eval-range LOW,HIGH)`,
          });
        return found.value;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
