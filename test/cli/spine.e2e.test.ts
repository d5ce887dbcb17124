/**
 * End to end through the real CLI: profile → predict → export → lut show, on the mock device (fast and
 * deterministic) and on onnxruntime-node's CPU at a tiny resolution; and the bad-input paths.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectUserError, runCli } from './helpers.js';

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
  });

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

describe('spine CLI on onnxruntime-node CPU', () => {
  const lut = path.join(dir, 'cpu.lut.json');

  it('profiles a published net, predicts it, exports it', () => {
    const prof = runCli(['profile', '--device', 'cpu', '--threads', '1', '--published', 'MobileNetV2-1.0', '--resolution', '32', '--out', lut, '--json', ...FAST]);
    expect(prof.code, prof.stderr).toBe(0);
    const doc = JSON.parse(prof.stdout);
    expect(doc.measured).toBeGreaterThan(10);
    expect(doc.device.runtime).toBe('onnxruntime-node');
    expect(doc.device.options.threads).toBe(1);
    const pred = JSON.parse(runCli(['predict', '--lut', lut, '--published', 'MobileNetV2-1.0', '--resolution', '32', '--json']).stdout);
    expect(pred.predictions[0].ms).toBeGreaterThan(0);
    // The LUT recorded each unit's own NCHWc reorders; counting the units without them takes them off the sum.
    const entries = Object.values(JSON.parse(readFileSync(lut, 'utf8')).entries) as { ownLayout?: { reorders: number; kernelMs: number; edgeMs: number } }[];
    expect(entries.every((e) => e.ownLayout && e.ownLayout.edgeMs <= e.ownLayout.kernelMs)).toBe(true);
    expect(entries.some((e) => e.ownLayout!.reorders > 0)).toBe(true);
    const lessAll = JSON.parse(runCli(['predict', '--lut', lut, '--published', 'MobileNetV2-1.0', '--resolution', '32', '--own-layout', 'all', '--json']).stdout);
    const lessEdges = JSON.parse(runCli(['predict', '--lut', lut, '--published', 'MobileNetV2-1.0', '--resolution', '32', '--own-layout', 'edges', '--json']).stdout);
    expect(lessAll.ownLayout).toBe('all');
    expect(lessAll.predictions[0].ms).toBeLessThan(pred.predictions[0].ms);
    expect(lessEdges.predictions[0].ms).toBeLessThanOrEqual(pred.predictions[0].ms);
    expect(lessEdges.predictions[0].ms).toBeGreaterThanOrEqual(lessAll.predictions[0].ms);
    const onnxFile = path.join(dir, 'nets', 'mbv2.onnx');
    const exp = runCli(['export', '--published', 'MobileNetV2-1.0', '--resolution', '32', '--out', onnxFile, '--json']);
    expect(exp.code, exp.stderr).toBe(0);
    expect(readFileSync(onnxFile).length).toBeGreaterThan(1_000_000);
    expect(existsSync(path.join(dir, 'nets', 'mbv2.arch.json'))).toBe(true);
    // The exported architecture file predicts the same as the published name.
    const viaFile = JSON.parse(runCli(['predict', '--lut', lut, '--arch', path.join(dir, 'nets', 'mbv2.arch.json'), '--json']).stdout);
    expect(viaFile.predictions[0].ms).toBeCloseTo(pred.predictions[0].ms, 9);
  });

  it('refuses to mix settings in one LUT', () => {
    const r = runCli(['profile', '--device', 'cpu', '--threads', '2', '--published', 'MobileNetV2-1.0', '--resolution', '32', '--out', lut, ...FAST]);
    expectUserError(r, /threads/);
  });
});

describe('bad input gets one clear error, a non-zero exit and no stack trace', () => {
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
    ['unknown command', ['profiel'], /Unknown|Did you mean/i],
  ])('%s', (_name, args, message) => {
    expectUserError(runCli(args as string[]), message as RegExp);
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
