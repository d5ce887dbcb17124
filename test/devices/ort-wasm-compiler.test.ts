/**
 * Which V8 compiler runs the wasm device's kernels (devices/ort-wasm/compiler.ts), read back from V8 itself:
 * a child process starts the device, then compiles a one-function module and asks V8 (natives syntax) whether
 * its code came from TurboFan or Liftoff. V8's flags are the process's, so the probe sees what onnxruntime-web's
 * module was compiled under. Without the device setting the flag, V8's default gives Liftoff code.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const child = path.join(here, 'fixtures', 'wasm-compiler-child.ts');

function run(options: Record<string, string>, nodeFlags: string[] = []) {
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', ...nodeFlags, '--import', tsx, child, JSON.stringify(options)], { encoding: 'utf8', timeout: 180_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { recorded: string; probe: string; sum: number };
}

describe("wasm device's V8 compiler (option compiler)", () => {
  it('compiles with TurboFan by default, though V8 alone would start on Liftoff, and records it', () => {
    expect(run({})).toEqual({ recorded: 'turbofan', probe: 'turbofan', sum: 3 });
  }, 240_000);

  it('compiler=liftoff gives Liftoff code even in a process started with --no-liftoff', () => {
    expect(run({ compiler: 'liftoff' }, ['--no-liftoff'])).toEqual({ recorded: 'liftoff', probe: 'liftoff', sum: 3 });
  }, 240_000);
});
