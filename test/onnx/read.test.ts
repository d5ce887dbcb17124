import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { networkModel } from '../../export/model.js';
import { UserError } from '../../src/core/errors.js';
import { RULES } from '../../src/onnx/infer.js';
import { inputShapeExample, parseInputShape, readOnnxGraph } from '../../src/onnx/read.js';
import { createSpace } from '../../src/spaces/registry.js';
import { Rng } from '../../src/core/rng.js';
import { conformanceCases, NODE_CASES } from './conformance-cases.js';
import { shapeChainModel } from '../../bench/fuzz/onnx-models.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, bytes: Uint8Array | string) => {
  const f = path.join(dir, name);
  writeFileSync(f, bytes);
  return f;
};

describe('reading ONNX files', () => {
  it('infers shapes and folds the shape arithmetic (Shape → Gather → Unsqueeze → Concat → Reshape)', async () => {
    const g = await readOnnxGraph(write('chain.onnx', shapeChainModel()));
    expect(g.tensors.get('c')!.shape).toEqual([1, 8, 16, 16]);
    expect(g.tensors.get('target')!.value).toEqual([1, -1]);
    expect(g.tensors.get('y')!.shape).toEqual([1, 8 * 16 * 16]);
    expect(g.nodes.filter((n) => !n.folded).map((n) => n.opType)).toEqual(['Conv', 'Reshape']);
  });

  it('reads our exported networks back as plain files', async () => {
    const space = createSpace('mbv2', { resolution: 32 });
    const arch = space.build(space.sample(new Rng(3)));
    const g = await readOnnxGraph(write('mbv2.onnx', networkModel(arch).onnx));
    expect(g.tensors.get(g.outputs[0])!.shape).toEqual([1, 1000, 1, 1]);
    expect(g.nodes.some((n) => n.folded)).toBe(false);
  });

  it('needs every dynamic dim, and names the input and its dims when one is missing', async () => {
    const f = write('dyn.onnx', shapeChainModel({ dims: ['batch', 3, 'H', 'W'] }));
    const e = await readOnnxGraph(f).catch((x) => x);
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toMatch(/dynamic input dimensions: 'x' \[batch, 3, H, W\]/);
    expect(e.hint).toContain('--input-shape x=1x3x<H>x<W>');
    // Built from the input's own name and the dims the file fixes, not a fixed 1x3x640x640.
    const ocr = await readOnnxGraph(write('dyn-ocr.onnx', shapeChainModel({ dims: ['batch', 3, 48, 'width'] }))).catch((x) => x);
    expect(ocr.message).toMatch(/'x' \[batch, 3, 48, width\]/);
    expect(ocr.hint).toContain('--input-shape x=1x3x48x<width>');
    expect(ocr.hint).not.toContain('640');
    expect(inputShapeExample('images', ['?', 3, 48, '?'])).toBe('images=1x3x48x<dim 3>');
    expect(inputShapeExample('images', ['N', 3, 224, 224])).toBe('images=1x3x224x224');
    const g = await readOnnxGraph(f, { inputShapes: { x: [2, 3, 10, 12] } });
    expect(g.tensors.get('y')!.shape).toEqual([2, 8 * 10 * 12]);
    await expect(readOnnxGraph(f, { inputShapes: { x: [2, 4, 10, 12] } })).rejects.toThrow(/dim 1 of input 'x' is fixed at 3/);
    await expect(readOnnxGraph(f, { inputShapes: { nope: [1] } })).rejects.toThrow(/names 'nope', which is not an input/);
    expect(parseInputShape('x=1x3x640x640')).toEqual(['x', [1, 3, 640, 640]]);
    expect(() => parseInputShape('x=1x3xHxW')).toThrow(/NAME=1x3x224x224/);
  });

  it('turns every unreadable file into one clear user error (exit 2)', async () => {
    const good = shapeChainModel();
    const cases: [string, Uint8Array | string, RegExp][] = [
      ['text.onnx', 'this is not a model\n', /not an ONNX model/],
      ['cut.onnx', good.subarray(0, Math.floor(good.length * 0.6)), /not an ONNX model|truncated/],
      ['opset6.onnx', shapeChainModel({ opset: 6 }), /opset 6; this reader handles opsets 7–21/],
      ['opset22.onnx', shapeChainModel({ opset: 22 }), /opset 22/],
      ['external.onnx', shapeChainModel({ external: 'weights.bin' }), /external data file 'weights.bin' .* is missing/],
      // Found by the fuzzer (bench/fuzz-parsers.ts): a 3-D conv weight, and a node that writes nothing.
      ['weight-rank.onnx', shapeChainModel({ weightDims: [8, 3, 129] }), /weight \[8,3,129\] must have the input's rank 4/],
      ['outputless.onnx', shapeChainModel({ outputless: true }), /node 'lost' \(Conv\) has no output/],
      ['negative-dim.onnx', shapeChainModel({ dims: [1, 3, -1, 16] }), /input 'x' has dims \[1, 3, -1, 16\]; a fixed dim must be a whole number/],
    ];
    for (const [name, bytes, message] of cases) {
      const e = await readOnnxGraph(write(name, bytes)).catch((x) => x);
      expect(e, name).toBeInstanceOf(UserError);
      expect(e.exitCode, name).toBe(2);
      expect(e.message, name).toMatch(message);
    }
    // The same external-data model reads once its data file is there (and fails when it is short).
    write('weights.bin', Buffer.alloc(100));
    await expect(readOnnxGraph(path.join(dir, 'external.onnx'))).rejects.toThrow(/shorter \(100 bytes\)/);
    write('weights.bin', Buffer.alloc(8 * 27 * 4));
    expect((await readOnnxGraph(path.join(dir, 'external.onnx'))).tensors.get('y')!.shape).toEqual([1, 2048]);
  });
});

const conformanceDir = mkdtempSync(path.join(os.tmpdir(), 'onnx-conf-'));
afterAll(() => rmSync(conformanceDir, { recursive: true, force: true }));
const haveCases = existsSync(NODE_CASES);
if (!haveCases) console.warn(`ONNX conformance shape tests skipped: ${NODE_CASES} is missing (apt-get install libonnx-testdata)`);

describe.skipIf(!haveCases)("shape inference against ONNX's own operator tests", () => {
  it('infers the output shape of every single-op case of the ops we model', async () => {
    const cases = conformanceCases(conformanceDir, new Set(Object.keys(RULES)));
    expect(cases.length).toBeGreaterThan(250);
    const wrong: string[] = [];
    for (const c of cases) {
      let got: number[][];
      try {
        const g = await readOnnxGraph(c.file);
        got = g.outputs.map((o) => g.tensors.get(o)!.shape);
      } catch (e) {
        wrong.push(`${c.name}: ${(e as Error).message}`);
        continue;
      }
      if (JSON.stringify(got) !== JSON.stringify(c.expected)) wrong.push(`${c.name}: got ${JSON.stringify(got)}, expected ${JSON.stringify(c.expected)}`);
    }
    expect(wrong).toEqual([]);
  });
});
void readFileSync;
