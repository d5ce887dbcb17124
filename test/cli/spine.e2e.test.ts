/**
 * End to end through the real CLI: profile → predict → export → lut show, on the mock device (fast and
 * deterministic); and the bad-input paths. The same on onnxruntime-node's CPU: spine-cpu.e2e.test.ts (it times a
 * real device, so it runs in the serial project; this file, on the mock device or none, runs in the unit one).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { expectUserError, nasInProcess, runCli } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FAST = ['--warmup', '2', '--min-repeats', '5', '--max-repeats', '50', '--max-time-ms', '150'];

describe('spine CLI on the mock device', () => {
  const lut = path.join(dir, 'mock.lut.json');

  it('profiles the whole mbv2 space into a LUT, and a re-run measures nothing new', () => {
    const first = runCli(['profile', '--device', 'mock', '--space', 'mbv2', '--resolution', '32', '--out', lut, '--json', ...FAST]);
    expect(first.code, first.stderr).toBe(0);
    const doc = JSON.parse(first.stdout);
    expect(doc.measured).toBe(71);
    expect(doc.reused).toBe(0);
    const again = JSON.parse(runCli(['profile', '--device', 'mock', '--space', 'mbv2', '--resolution', '32', '--out', lut, '--json', ...FAST]).stdout);
    expect(again.measured).toBe(0);
    expect(again.reused).toBe(71);
  }, 240_000); // two profiles of 71 entries and 20 calibration nets: 7 s in CI, 88 s at load 58

  it('predicts random architectures with a per-block breakdown', () => {
    const r = runCli(['predict', '--lut', lut, '--space', 'mbv2', '--resolution', '32', '--random', '3', '--seed', '4', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.predictions).toHaveLength(3);
    for (const p of doc.predictions) {
      const sum = p.overheadMs + p.blocks.reduce((s: number, b: { ms: number }) => s + b.ms, 0);
      expect(p.ms).toBeCloseTo(sum, 9);
      expect(p.ci95[0]).toBeLessThanOrEqual(p.ms);
      expect(p.ci95[1]).toBeGreaterThanOrEqual(p.ms);
      expect(p.encoding).toHaveLength(21);
    }
    const human = runCli(['predict', '--lut', lut, '--space', 'mbv2', '--resolution', '32', '--random', '1']);
    expect(human.stdout).toMatch(/ms predicted \(95% CI/);
    expect(human.stdout).toMatch(/layer\s+role\s+op\s+ms\s+share/);
  });

  it('shows the LUT', () => {
    const r = runCli(['lut', 'show', lut, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).entries).toBe(71);
    expect(runCli(['lut', 'show', lut]).stdout).toMatch(/entries\s+71/);
  });

  it('names the missing entries, and --profile-missing fills them', () => {
    const r = runCli(['predict', '--lut', lut, '--published', 'MobileNetV2-1.0', '--resolution', '32']);
    expectUserError(r, /has no entry for \d+ op instance\(s\)[\s\S]*mbconv:/);
    expect(r.stderr).toMatch(/--profile-missing/);
    const fixed = runCli(['predict', '--lut', lut, '--published', 'MobileNetV2-1.0', '--resolution', '32', '--profile-missing', '--device', 'mock', '--json']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(JSON.parse(fixed.stdout).predictions[0].name).toBe('MobileNetV2-1.0');
  });
});

describe('bad input gets one clear error, a non-zero exit and no stack trace', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });
  const garbage = path.join(dir, 'garbage.json');
  writeFileSync(garbage, '{not json');
  const wrongVersion = path.join(dir, 'v9.lut.json');
  writeFileSync(wrongVersion, JSON.stringify({ format: 'hw-nas-lut', version: 9 }));
  const badArch = path.join(dir, 'bad.arch.json');
  writeFileSync(badArch, JSON.stringify({ space: 'mbv2', resolution: 32, encoding: [9, 9] }));
  const unknownOp = path.join(dir, 'unknown-op.arch.json');
  writeFileSync(unknownOp, JSON.stringify({ format: 'hw-nas-arch', version: 1, name: 'x', input: [1, 3, 32, 32], dtype: 'f32', layers: [{ role: 'block', spec: { kind: 'foo' } }] }));
  const aDir = path.join(dir, 'a-directory');
  mkdirSync(aDir, { recursive: true });

  it.each([
    ['unknown device', ['profile', '--device', 'tpu9', '--space', 'mbv2', '--out', path.join(dir, 'x.json')], /unknown device 'tpu9'/],
    ['unknown space', ['profile', '--device', 'mock', '--space', 'resnet', '--out', path.join(dir, 'x.json')], /unknown search space 'resnet'/],
    ['malformed LUT', ['predict', '--lut', garbage, '--space', 'mbv2', '--random', '1'], /not valid JSON|JSON/],
    ['wrong-version LUT', ['predict', '--lut', wrongVersion, '--space', 'mbv2', '--random', '1'], /version/],
    ['directory as LUT', ['predict', '--lut', aDir, '--space', 'mbv2', '--random', '1'], /directory/],
    ['missing LUT', ['lut', 'show', path.join(dir, 'nope.json')], /not found|no such|does not exist/i],
    ['arch that does not fit the space', ['export', '--arch', badArch, '--out', path.join(dir, 'y.onnx')], /does not fit space 'mbv2'/],
    ['unknown op in an arch file', ['export', '--arch', unknownOp, '--out', path.join(dir, 'y.onnx')], /unknown op kind 'foo'/],
    ['malformed arch JSON', ['export', '--arch', garbage, '--out', path.join(dir, 'y.onnx')], /not valid JSON/],
    ['unknown published net', ['export', '--published', 'ResNet-9000', '--out', path.join(dir, 'y.onnx')], /unknown published net/],
    ['two architecture sources', ['export', '--published', 'MnasNet-A1', '--arch', badArch, '--out', path.join(dir, 'y.onnx')], /exactly one architecture source/],
  ])('%s', async (_name, args, message) => {
    // In this process: a child costs its start and imports each time (the same exit code and no-stack check).
    expectUserError(await nasInProcess(...(args as string[])), message as RegExp);
  });

  it('an unknown command, from a real process', () => {
    expectUserError(runCli(['profiel']), /Unknown|Did you mean/i);
  });

  it('a bare --random exports one random net', () => {
    const r = runCli(['export', '--space', 'mbv2', '--random', '--seed', '3', '--resolution', '32', '--out', path.join(dir, 'rand.onnx'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).name).toMatch(/^mbv2@32:/);
  });

  it('an unwritable --out', () => {
    const r = runCli(['export', '--published', 'MnasNet-A1', '--resolution', '32', '--out', path.join(garbage, 'net.onnx')]);
    expectUserError(r, /cannot write .*net\.onnx: a part of the path is (a file, )?not a (directory|folder)/, 74);
  });
});
