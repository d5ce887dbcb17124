/** Runs the real CLI (the build in dist/, or src/cli/run.ts through tsx when dist/ is stale) in a child process. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, inject, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { scratchRoot } from '../fixtures/scratch.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A compiled source (tsconfig.json's include) newer than `than` (ms since the epoch), if any. */
function newerSource(than: number): string | undefined {
  const walk = (dir: string): string | undefined => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, e.name);
      const found = e.isDirectory() ? walk(file) : /\.(ts|json)$/.test(e.name) && statSync(file).mtimeMs > than ? file : undefined;
      if (found) return found;
    }
    return undefined;
  };
  for (const top of ['src', 'devices', 'lut', 'export', 'bench']) {
    const found = existsSync(path.join(ROOT, top)) ? walk(path.join(ROOT, top)) : undefined;
    if (found) return found;
  }
  return undefined;
}

/**
 * Node's arguments that start `nas`: the build (dist/src/cli/run.js, what bin/nas.js runs; `npm test` builds it
 * first) when it is newer than every source, else src/cli/run.ts through tsx, which transforms the sources at
 * every start: ~1 s more CPU per command (measured 2.6 s against 1.6 s user+sys for a mock `nas profile`), over
 * the suite's hundreds of commands. A stale build is said once, never run. NAS_TEST_CLI=src: always the sources.
 */
export const CLI_ARGS: readonly string[] = (() => {
  const built = path.join(ROOT, 'dist/src/cli/run.js');
  // The loader by its file URL: runCli's cwd may be a folder from which `tsx` does not resolve.
  const tsx = ['--import', pathToFileURL(createRequire(path.join(ROOT, 'package.json')).resolve('tsx')).href, path.join(ROOT, 'src/cli/run.ts')];
  if (process.env.NAS_TEST_CLI === 'src') return tsx; // the sources as they are, without building
  const stale = existsSync(built) ? newerSource(statSync(built).mtimeMs) : 'no dist/';
  if (stale === undefined) return [built];
  console.warn(`end-to-end tests run src/cli/run.ts through tsx (slower): the build is stale (${path.relative(ROOT, stale) || stale}); build it with npx tsc -p tsconfig.json`);
  return tsx;
})();

export function runCli(args: string[], opts: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [...CLI_ARGS, ...args], {
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
 * `nas profile <args> --out dest` for a mock-device LUT that several test files profile with the very same
 * arguments: profiled by the first file that asks (in its process) into the run's shared folder
 * (test/global-setup.ts), then copied to each file that asks. The mock device is deterministic (its synthetic
 * timings are seeded by each model's key), so the copy is the LUT the file would have profiled itself, and each
 * file gets its own copy to add entries to. Two files asking at once both profile (the same content; the last
 * rename wins), which costs what it cost before.
 */
export async function sharedMockLut(args: readonly string[], dest: string): Promise<void> {
  if (!args.includes('mock')) throw new Error('sharedMockLut: only deterministic mock-device LUTs can be shared between files');
  const key = createHash('sha256').update(JSON.stringify(args)).digest('hex').slice(0, 16);
  const folder = inject('sharedFixtures');
  if (!folder) throw new Error("sharedMockLut: no shared folder; vitest.config.ts's globalSetup (test/global-setup.ts) provides it");
  const shared = path.join(folder, `mock-${key}.lut.json`);
  if (!existsSync(shared)) {
    const tmp = `${shared}.${process.pid}.tmp.json`;
    const r = await nasInProcess('profile', ...args, '--out', tmp);
    process.exitCode = undefined;
    if (r.code !== 0) throw new Error(`nas profile ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
    if (existsSync(`${tmp}.journal`)) throw new Error(`nas profile left a journal beside ${tmp}`);
    renameSync(tmp, shared);
  }
  copyFileSync(shared, dest);
}

/**
 * mbv2 at 32 px on the mock device, without calibration (its 20 whole networks, exported to ONNX, cost 9x the
 * entries: 56.7 s against 6.1 s at load 9): the LUT of the differentiable and --evaluator train searches, whose
 * tests check the search, not the calibration (test/cli/profile-context.e2e.test.ts and spine.e2e.test.ts do).
 */
export const MOCK_MBV2_32 = ['--device', 'mock', '--space', 'mbv2', '--resolution', '32', '--calibrate', '0'];
/** The darts space at 8 px on the exact mock device: the LUT of the DARTS search tests (unit, CLI and kill). */
export const MOCK_DARTS_8 = [...EXACT_MOCK, '--space', 'darts', '--resolution', '8', '--calibrate', '0', ...FAST_TIMING];

/**
 * For a test file that works on one mock-device LUT: a temporary folder (removed after the file), the
 * LUT profiled in it before the tests (`source`: what to profile, e.g. ['--space', 'nb201']), and
 * process.exitCode reset after each test (in-process commands set it).
 */
export function mockLutFixture(prefix: string, source: string[], timeoutMs = 60_000): { dir: string; at: (name: string) => string; lut: string } {
  const dir = mkdtempSync(path.join(scratchRoot(), prefix)); // tmpfs where there is room: a mock LUT's fsyncs (test/fixtures/scratch.ts)
  const at = (name: string) => path.join(dir, name);
  const lut = at('mock.lut.json');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    process.exitCode = undefined;
  });
  beforeAll(() => sharedMockLut([...EXACT_MOCK, ...source, '--calibrate', '0', ...FAST_TIMING], lut), timeoutMs);
  return { dir, at, lut };
}
