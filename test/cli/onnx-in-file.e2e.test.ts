/**
 * The default in-file fit end to end, through the built CLI: nas profile --onnx on wasm fits it on the
 * built-in calibration nets (timed whole against their units) and stores it in the LUT, nas predict --onnx applies it and says so, a second
 * profile keeps it, --no-in-file leaves it out, a LUT without it predicts the plain sum with a note.
 * Small files, fast timing; no timing assertions.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { networkModel } from '../../export/model.js';
import { Rng } from '../../src/core/rng.js';
import { WALL_CALIBRATION } from '../../src/onnx/calibration-set.js';
import { createSpace } from '../../src/spaces/registry.js';
import { FAST_TIMING, runCli } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-in-file-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { HW_NAS_CACHE: path.join(dir, 'cache') };
const space = createSpace('mbv2', { resolution: 32 });
const f = path.join(dir, 'small.onnx');
writeFileSync(f, networkModel(space.build(space.sample(new Rng(21))), { seed: 0 }).onnx);

describe('nas profile --onnx then nas predict --onnx on wasm, with the defaults', () => {
  it('fits the in-file model on the built-in nets, predicts with it, keeps it, and lets it be left out', () => {
    const lut = path.join(dir, 'wasm.lut.json');
    const profile = runCli(['profile', '--onnx', f, '--device', 'wasm', '--out', lut, ...FAST_TIMING, '--json'], { env, timeoutMs: 600_000 });
    expect(profile.code, profile.stderr).toBe(0);
    const prof = JSON.parse(profile.stdout);
    expect(prof.inFileMode).toBe('built-in');
    // The wall-clock fit: the built-in nets timed whole against their units (src/onnx/wall-fit.ts).
    expect(prof.inFile).toMatchObject({ model: 'reuse', builtIn: true, clock: 'wall', curve: 'fraction', samples: WALL_CALIBRATION.length });
    expect(prof.inFile.fittedOn).toHaveLength(WALL_CALIBRATION.length);
    // The file's units and the nets' were profiled in one run (one set of passes): more units than the file has.
    expect(prof.measured).toBeGreaterThan(prof.files[0].units);
    expect(prof.inFile.fittedOn.every((n: string) => n.startsWith('built-in:'))).toBe(true);
    expect(prof.inFileKept).toBe(false);
    expect(JSON.parse(readFileSync(lut, 'utf8')).inFile).toEqual(prof.inFile);

    const predict = runCli(['predict', '--onnx', f, '--lut', lut, '--json'], { env });
    expect(predict.code, predict.stderr).toBe(0);
    const p = JSON.parse(predict.stdout).predictions[0];
    expect(p.inFile).toMatchObject({ model: 'reuse', builtIn: true });
    // The wasm LUT also holds in-chain figures for the net's weight-free units (src/onnx/predict.ts) and the feed
    // models (src/onnx/feeds.ts, on by default on wasm): all are said.
    expect(p.correction.applied).toEqual([
      expect.stringMatching(/^in-chain figures for \d+ weight-free unit/),
      expect.stringMatching(/^feeds: \d+ run-time input\(s\) beyond each unit's first, .* µs per MiB$/),
      'in-file reuse model fitted on the built-in calibration nets',
    ]);
    expect(p.feeds).toMatchObject({ applied: true, inputBytes: expect.any(Number) });
    expect(p.feeds.inputBytes).toBeGreaterThan(0);
    const human = runCli(['predict', '--onnx', f, '--lut', lut], { env });
    expect(human.stdout).toMatch(/correction: .*in-file reuse model fitted on the built-in calibration nets/);
    expect(human.stdout).toMatch(/^feeds: [\d.]+ ms less for what the units paid alone to be fed/m);

    // Opt-out at prediction: the plain sum, said so.
    const off = runCli(['predict', '--onnx', f, '--lut', lut, '--no-in-file', '--json'], { env });
    expect(off.code, off.stderr).toBe(0);
    const o = JSON.parse(off.stdout).predictions[0];
    expect(o.inFile).toBeUndefined();
    expect(o.correction.applied).toEqual([expect.stringMatching(/^in-chain figures for \d+ weight-free unit/), expect.stringMatching(/^feeds: /)]);
    expect(o.correction.note).toMatch(/left out/);
    expect(o.ms).toBeCloseTo(p.ms - p.inFile.ms, 9);

    // A second profile of the same LUT measures nothing and keeps the fit.
    const again = runCli(['profile', '--onnx', f, '--device', 'wasm', '--out', lut, ...FAST_TIMING, '--json'], { env, timeoutMs: 300_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ measured: 0, inFileKept: true });

    // A LUT from before the fit (no inFile): the plain sum, with a note saying how to add it.
    const old = path.join(dir, 'old.lut.json');
    const json = JSON.parse(readFileSync(lut, 'utf8'));
    delete json.inFile;
    writeFileSync(old, JSON.stringify(json));
    const plain = runCli(['predict', '--onnx', f, '--lut', old], { env });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^correction: (none|in-chain figures for \d+ weight-free unit\(s\))(; feeds: [^;]*)?$/m); // no in-file term
    expect(plain.stdout).toMatch(/note: LUT .* has no in-file fit.*nas profile --onnx FILE --device wasm --threads 1 --out/);

    // Opt-out at profiling (on the LUT without a fit, so nothing is measured again): no fit stored.
    const p2 = runCli(['profile', '--onnx', f, '--device', 'wasm', '--out', old, '--in-file', 'off', ...FAST_TIMING, '--json'], { env, timeoutMs: 300_000 });
    expect(p2.code, p2.stderr).toBe(0);
    expect(JSON.parse(p2.stdout)).toMatchObject({ measured: 0, inFileMode: 'off' });
    expect(JSON.parse(p2.stdout).inFile).toBeUndefined();
    expect(JSON.parse(readFileSync(old, 'utf8')).inFile).toBeUndefined();
  }, 900_000);

  it('refuses the kernel fit on a device without a readable profiler, before measuring anything', () => {
    const r = runCli(['profile', '--onnx', f, '--device', 'mock', '--out', path.join(dir, 'mock.lut.json'), '--in-file', 'kernel'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--in-file kernel reads onnxruntime's own profiler/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
