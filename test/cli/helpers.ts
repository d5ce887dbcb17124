/** Runs the real CLI (src/cli/run.ts through tsx) in a child process. */
import { spawnSync } from 'node:child_process';
import { vi } from 'vitest';
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
