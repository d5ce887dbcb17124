/**
 * `nas export --space S --random --seed K` for every seed space writes an ONNX file that passes onnx.checker
 * full_check and runs in onnxruntime-node, and `nas export --published NAME` reaches the seed networks.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { onnxCheck, PYTHON_ONNX_MISSING } from '../export/helpers.js';
import { nasInProcess } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hwnas-seed-spaces-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPACES = ['shufflenetv2', 'shufflenetv2-channels', 'fbnet', 'regnet', 'anynet', 'anynet-b', 'anynet-c', 'anynet-d', 'anynet-e'];

async function runs(file: string, resolution: number): Promise<number[]> {
  const session = await ort.InferenceSession.create(file);
  try {
    const x = new ort.Tensor('float32', new Float32Array(3 * resolution * resolution).fill(0.5), [1, 3, resolution, resolution]);
    return [...(await session.run({ input: x })).output.dims];
  } finally {
    await session.release();
  }
}

describe('nas export on the seed spaces and nets', () => {
  const written: { name: string; file: string }[] = [];

  it.each(SPACES)('--space %s --random --seed 5', async (space) => {
    const out = path.join(dir, `${space}.onnx`);
    const r = await nasInProcess('export', '--space', space, '--random', '--seed', '5', '--resolution', '64', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out.replace(/\.onnx$/, '.arch.json'), 'utf8')).space.id).toBe(space);
    expect((await runs(out, 64)).reduce((a, b) => a * b, 1)).toBe(1000);
    written.push({ name: space, file: out });
  });

  it.each(['SPOS', 'RegNetY-200MF', 'SqueezeNet-1.1'])('--published %s', async (name) => {
    const out = path.join(dir, `${name}.onnx`);
    const r = await nasInProcess('export', '--published', name, '--resolution', '64', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect((await runs(out, 64)).reduce((a, b) => a * b, 1)).toBe(1000);
    written.push({ name, file: out });
  });

  it.skipIf(PYTHON_ONNX_MISSING !== undefined)(`every file passes onnx.checker full_check (${PYTHON_ONNX_MISSING ?? 'python3-onnx'})`, () => {
    expect(written.length).toBe(SPACES.length + 3);
    expect(onnxCheck(written.map((w) => ({ name: w.name, onnx: readFileSync(w.file) })))).toEqual({});
  });
});
