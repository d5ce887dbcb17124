/**
 * A DAG architecture end to end through the CLI: an Inception-style block (three branches joined by
 * concat) and a two-input residual sum. It exports (onnx.checker full_check, onnxruntime-node), is
 * predicted from a LUT whose missing entries `--profile-missing` measures on ort-cpu, every op of it
 * runs on the tfjs devices this machine has, and `nas train` trains it a few steps (its trained ONNX
 * export checked against the network by the command itself).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeArchFile } from '../../src/core/arch-file.js';
import { opKey } from '../../src/core/keys.js';
import { lutInstances } from '../../src/core/decompose.js';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { onnxCheck, PYTHON_ONNX_MISSING, run } from '../export/helpers.js';
import { INCEPTION_DAG } from '../core/dag-fixtures.js';
import { runCli } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hwnas-dag-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const dagFile = path.join(dir, 'dag.arch.json');
writeArchFile(dagFile, INCEPTION_DAG);
// --reference off: what is checked is which entries --profile-missing measures and that they predict, not their
// figures; ort-cpu's default timing reference (a net timed beside every batch) would about double each entry's time.
const FAST = ['--device', 'cpu', '--threads', '1', '--reference', 'off', '--warmup', '2', '--min-repeats', '5', '--max-repeats', '20', '--max-time-ms', '300'];

describe('a DAG architecture through the CLI', () => {
  it('exports to an ONNX file that passes the checker and runs', async () => {
    const out = path.join(dir, 'dag.onnx');
    const r = runCli(['export', '--arch', dagFile, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const onnx = new Uint8Array(readFileSync(out));
    if (PYTHON_ONNX_MISSING) console.warn(PYTHON_ONNX_MISSING);
    else expect(onnxCheck([{ name: 'dag', onnx }])).toEqual({});
    const { dims, data } = await run({ key: 'dag', onnx, inputs: [{ name: 'input', shape: [...INCEPTION_DAG.input] }], ops: [] });
    expect(dims).toEqual([1, 10, 1, 1]);
    expect(data.every(Number.isFinite)).toBe(true);
  });

  it('is predicted from a LUT, --profile-missing measuring the concat, the sum and the branches', () => {
    const lut = path.join(dir, 'cpu.lut.json');
    const chain = path.join(dir, 'chain.arch.json');
    writeArchFile(chain, { ...INCEPTION_DAG, name: 'stem-only', layers: [INCEPTION_DAG.layers[0]] });
    const p = runCli(['profile', '--arch', chain, '--out', lut, ...FAST], { timeoutMs: 180_000 });
    expect(p.code, p.stderr).toBe(0);
    const missing = runCli(['predict', '--lut', lut, '--arch', dagFile, '--json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/concat:1x8x16x16:c8-8-16:f32/);
    const r = runCli(['predict', '--lut', lut, '--arch', dagFile, '--profile-missing', '--json', ...FAST], { timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    const pred = JSON.parse(r.stdout).predictions[0];
    expect(pred.blocks.length).toBe(INCEPTION_DAG.layers.length);
    expect(pred.ms).toBeGreaterThan(0);
    const entries = Object.keys(JSON.parse(readFileSync(lut, 'utf8')).entries);
    expect(entries).toContain('concat:1x8x16x16:c8-8-16:f32');
    expect(entries).toContain('sum:1x16x16x16:n2:f32');
    // Now the LUT holds everything: the same prediction without measuring.
    const again = runCli(['predict', '--lut', lut, '--arch', dagFile, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).predictions[0].ms).toBeCloseTo(pred.ms, 9);
  }, 600_000);

  // Every tfjs device: those that cannot run here say why in `nas devices` and are skipped with that line.
  const devices = runCli(['devices']).stdout;
  it.each(['tfjs-cpu', 'tfjs-wasm', 'tfjs-node', 'tfjs-webgl', 'tfjs-webgpu'])('every op of it runs on %s (nas profile)', (device) => {
    const line = devices.split('\n').find((l) => l.startsWith(`${device} `)) ?? `${device} not listed`;
    if (!/^\S+\s+yes\s/.test(line)) return console.warn(`skipped: ${line.replace(/\s+/g, ' ')}`);
    const lut = path.join(dir, `${device}.lut.json`);
    // One round per op (the default takes 3, and up to 2 more where they disagree, each a fresh model: on tfjs-webgl its
    // shaders compile again): what is checked is that every op runs, not its figure.
    const r = runCli(['profile', '--arch', dagFile, '--device', device, '--calibrate', '0', '--rounds', '1', '--out', lut, '--warmup', '1', '--min-repeats', '3', '--max-repeats', '5', '--max-time-ms', '200'], { timeoutMs: 400_000 });
    expect(r.code, r.stderr).toBe(0);
    const entries = Object.keys(JSON.parse(readFileSync(lut, 'utf8')).entries);
    expect(entries.sort()).toEqual([...new Set(lutInstances(INCEPTION_DAG).map(({ inst }) => opKey(inst)))].sort());
  }, 450_000);

  it.skipIf(!existsSync(path.join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz')))('trains a few steps (nas train; the command checks its trained ONNX export)', () => {
    const out = path.join(dir, 'dag-trained.onnx');
    const r = runCli(['train', '--arch', dagFile, '--downscale', '2', '--train-images', '160', '--train-validation', '32', '--train-batch', '32', '--train-steps', '3', '--out', out, '--json'], { timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    const doc = JSON.parse(r.stdout);
    expect(JSON.stringify(doc)).toContain('inception-dag');
  }, 320_000);
});
