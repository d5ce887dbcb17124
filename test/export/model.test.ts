import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { instance } from '../../src/core/ops.js';
import { opModel, overheadModel, readOnnxModel } from '../../export/model.js';
import { randomInput, run } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('overheadModel', () => {
  it('is one Identity that returns its input', async () => {
    const m = overheadModel([1, 3, 4, 4]);
    expect(m.inputs).toEqual([{ name: 'input', shape: [1, 3, 4, 4] }]);
    expect(m.ops).toEqual([]);
    const x = randomInput([1, 3, 4, 4]);
    expect((await run(m, [x])).data).toEqual(x);
  });
});

describe('opModel', () => {
  it('refuses an instance that cannot apply, with the catalog message', () => {
    expect(() => opModel(instance({ kind: 'linear', cout: 3, act: 'none' }, [1, 4, 2, 2]))).toThrow(UserError);
    expect(() => opModel(instance({ kind: 'nb201cell', cell: '|nor_conv_3x3~0|' }, [1, 4, 2, 2]))).toThrow(/node groups/);
  });
});

describe('readOnnxModel', () => {
  const write = (name: string, bytes: Uint8Array | string) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  const bytes = opModel(instance({ kind: 'conv', cout: 4, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, 2, 5, 5])).onnx;

  it('reads back an exported model', async () => {
    const m = await readOnnxModel(write('ok.onnx', bytes));
    expect(m.graph!.output![0].name).toBe('output');
    expect(m.graph!.initializer!.map((t) => t.name)).toEqual(['op.conv.weight', 'op.conv.bias']);
  });

  it('says why a file is not a model: missing, a directory, truncated, not ONNX, empty', async () => {
    await expect(readOnnxModel(join(dir, 'nope.onnx'))).rejects.toThrow(/no such file/);
    await expect(readOnnxModel(dir)).rejects.toThrow(/is a directory/);
    await expect(readOnnxModel(write('cut.onnx', bytes.subarray(0, bytes.length - 40)))).rejects.toThrow(/not an ONNX model/);
    await expect(readOnnxModel(write('text.onnx', '{"not": "onnx"}\n'))).rejects.toThrow(/not an ONNX model/);
    await expect(readOnnxModel(write('empty.onnx', ''))).rejects.toThrow(UserError);
  });
});
