/**
 * renamedModelBytes (src/onnx/partition.ts): the whole file as the runtimes time it, its inputs fixed to the shapes
 * read. A file whose declared output dims contradict what it computes (ddddocr's recognizer declares [1, seqlen]
 * for a [32, 1, 8210] output) must still run on onnxruntime-web, which checks declared dims against inferred ones.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { wasmProfileModel } from '../../src/onnx/ort-profile.js';
import { renamedModelBytes } from '../../src/onnx/partition.js';
import { readOnnxGraph } from '../../src/onnx/read.js';
import { modelBytes, valueInfo } from './model-bytes.js';

const { onnx } = onnxProto;
const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-renamed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** x [1, 3, w] → Transpose → y [w, 1, 3], declared as [1, seq] (rank 2: wrong once w is fixed). */
function misdeclared(): Uint8Array {
  return modelBytes({
    name: 'misdeclared',
    node: [{ name: 't', opType: 'Transpose', input: ['x'], output: ['y'], attribute: [{ name: 'perm', type: 7, ints: [2, 0, 1] }] }],
    input: [valueInfo('x', [1, 3, 'w'])],
    output: [valueInfo('y', [1, 'seq'])],
  });
}

describe('renamedModelBytes', () => {
  it("drops the outputs' declared dims, so onnxruntime-web runs a file whose declared output contradicts its graph", async () => {
    const file = path.join(dir, 'misdeclared.onnx');
    writeFileSync(file, misdeclared());
    const g = await readOnnxGraph(file, { inputShapes: { x: [1, 3, 8] } });
    const bytes = renamedModelBytes(g);
    const m = onnx.ModelProto.decode(bytes);
    expect(m.graph!.input![0].type!.tensorType!.shape!.dim!.map((d) => Number(d.dimValue))).toEqual([1, 3, 8]);
    expect(m.graph!.output![0].type!.tensorType!.shape ?? null).toBeNull();
    const kernels = await wasmProfileModel(bytes, g.inputs, 'all', 1);
    expect(kernels.length).toBeGreaterThan(0);
  });
});
