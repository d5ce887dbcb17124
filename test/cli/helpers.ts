/** Runs the real CLI (src/cli/run.ts through tsx) in a child process. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, afterEach, beforeAll, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/run.ts'), ...args], {
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    env: { ...process.env, ...opts.env },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: one message, non-zero exit, no stack trace. */
export function expectUserError(r: CliResult, message: RegExp, code = 2): void {
  if (r.code !== code || !message.test(r.stderr) || /\n\s+at /.test(r.stderr))
    throw new Error(`expected exit ${code} and /${message.source}/ without a stack, got exit ${r.code}:\n${r.stderr}`);
}

/** Runs `nas <args>` in this process (faster than runCli; no kill or exit-code-of-process checks), capturing what it prints. */
export async function nasInProcess(...args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

/** Timing flags that keep a mock-device LUT quick to profile. */
export const FAST_TIMING = ['--warmup', '1', '--min-repeats', '3', '--max-repeats', '5', '--max-time-ms', '50', '--target-ci', '0.5'];
/** The mock device without noise: the same figures every run. */
export const EXACT_MOCK = ['--device', 'mock', '--device-opt', 'noise=0'];

/**
 * For a test file that works on one mock-device LUT: a temporary folder (removed after the file), the
 * LUT profiled in it before the tests (`source`: what to profile, e.g. ['--space', 'nb201']), and
 * process.exitCode reset after each test (in-process commands set it).
 */
export function mockLutFixture(prefix: string, source: string[], timeoutMs = 60_000): { dir: string; at: (name: string) => string; lut: string } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const at = (name: string) => path.join(dir, name);
  const lut = at('mock.lut.json');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    process.exitCode = undefined;
  });
  beforeAll(async () => {
    const r = await nasInProcess('profile', ...EXACT_MOCK, ...source, '--calibrate', '0', '--out', lut, ...FAST_TIMING);
    if (r.code !== 0) throw new Error(r.stderr);
  }, timeoutMs);
  return { dir, at, lut };
}
