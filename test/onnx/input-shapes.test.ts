/** `--input-shape` for several --onnx files (src/onnx/read.ts inputShapesByFile): plain names for all, FILE:NAME for one. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { inputShapesByFile, readOnnxGraph } from '../../src/onnx/read.js';
import { modelBytes, valueInfo } from './model-bytes.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-input-shapes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** x [1, 3, dims…] → Relu → y, with the given dims fixed (numbers) or dynamic (strings). */
function reluFile(name: string, dims: (number | string)[]): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    modelBytes({
      name,
      node: [{ name: 'r', opType: 'Relu', input: ['x'], output: ['y'] }],
      input: [valueInfo('x', dims)],
      output: [valueInfo('y')],
    }),
  );
  return file;
}

describe('inputShapesByFile', () => {
  it('gives each of two files with different fixed dims its own shape, which one plain --input-shape cannot', async () => {
    const det = reluFile('det.onnx', [1, 3, 'h', 'w']);
    const rec = reluFile('rec.onnx', [1, 3, 48, 'w']);
    // One plain shape for both: the recognizer's fixed 48 refuses it.
    const plain = inputShapesByFile(['x=1x3x32x32'], [det, rec]);
    await expect(readOnnxGraph(rec, { inputShapes: plain.get(rec) })).rejects.toThrow(/dim 2 of input 'x' is fixed at 48/);
    // Per file, by path as passed and by base name.
    const own = inputShapesByFile([`${det}:x=1x3x32x32`, 'rec.onnx:x=1x3x48x64'], [det, rec]);
    expect((await readOnnxGraph(det, { inputShapes: own.get(det) })).inputs[0].shape).toEqual([1, 3, 32, 32]);
    expect((await readOnnxGraph(rec, { inputShapes: own.get(rec) })).inputs[0].shape).toEqual([1, 3, 48, 64]);
  });

  it('lets a file-specific shape win over a plain one, and keeps a name with a colon plain', () => {
    const a = reluFile('a.onnx', [1, 3, 'h', 'w']);
    const b = reluFile('b.onnx', [1, 3, 'h', 'w']);
    const s = inputShapesByFile(['x=1x3x8x8', 'b.onnx:x=1x3x16x16', 'input:0=1x4'], [a, b]);
    expect(s.get(a)).toEqual({ x: [1, 3, 8, 8], 'input:0': [1, 4] });
    expect(s.get(b)).toEqual({ x: [1, 3, 16, 16], 'input:0': [1, 4] });
  });

  it('refuses a base name that names two of the files', () => {
    const one = reluFile('one/m.onnx', [1, 3, 'h', 'w']);
    const two = reluFile('two/m.onnx', [1, 3, 'h', 'w']);
    expect(() => inputShapesByFile(['m.onnx:x=1x3x8x8'], [one, two])).toThrow(UserError);
    expect(() => inputShapesByFile(['m.onnx:x=1x3x8x8'], [one, two])).toThrow(/names 2 of the --onnx files/);
    expect(inputShapesByFile([`${two}:x=1x3x8x8`], [one, two]).get(two)).toEqual({ x: [1, 3, 8, 8] });
  });
});
