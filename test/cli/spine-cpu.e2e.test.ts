/**
 * End to end through the real CLI on onnxruntime-node's CPU at a tiny resolution: profile a published net,
 * predict it (with and without its own layout reorders), export it; a LUT refuses other settings. (The mock
 * device and the bad-input paths: spine.e2e.test.ts.)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectUserError, runCli } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-e2e-cpu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FAST = ['--warmup', '2', '--min-repeats', '5', '--max-repeats', '50', '--max-time-ms', '150'];

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
