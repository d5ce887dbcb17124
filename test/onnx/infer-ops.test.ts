/**
 * Shape rules of the recurrent ops and the other ops common in recognition models (src/onnx/infer.ts), each
 * checked against onnxruntime-node running a one-node model: the dims it returns are the reference.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { planOnnx } from '../../src/onnx/plan.js';
import { readOnnxGraph } from '../../src/onnx/read.js';
import { modelBytes, valueInfo } from './model-bytes.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-infer-ops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Attr = onnxProto.onnx.IAttributeProto;
interface Case {
  name: string;
  op: string;
  opset?: number;
  /** Runtime inputs (float32 unless a type is given), in node input order with the constants. */
  inputs: { name: string; dims: number[]; type?: 'uint8' }[];
  consts?: { name: string; dims: number[]; values: number[]; type?: 'int64' | 'float' | 'uint8' | 'bool' }[];
  nodeInputs: string[];
  outputs: string[];
  attrs?: Attr[];
}
const i = (name: string, v: number): Attr => ({ name, type: 2, i: v });
const s = (name: string, v: string): Attr => ({ name, type: 3, s: new TextEncoder().encode(v) });
const n = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
const TYPES = { float: 1, uint8: 2, int64: 7, bool: 9 } as const;

const ELEM: Record<string, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9 };

/** The one-node model; its outputs typed as given (onnxruntime refuses a model whose output is untyped or mistyped). */
function model(c: Case, outTypes: Record<string, string> = {}): Uint8Array {
  const consts = (c.consts ?? []).map((k) => {
    const t: onnxProto.onnx.ITensorProto = { name: k.name, dims: k.dims, dataType: TYPES[k.type ?? 'float'] };
    if (k.type === 'int64') t.int64Data = k.values;
    else if (k.type === 'uint8' || k.type === 'bool') t.int32Data = k.values;
    else t.floatData = k.values;
    return t;
  });
  return modelBytes(
    {
      name: c.name,
      node: [{ name: 'op', opType: c.op, input: c.nodeInputs, output: c.outputs, attribute: c.attrs ?? [] }],
      initializer: consts,
      input: c.inputs.map((x) => valueInfo(x.name, x.dims, TYPES[x.type ?? 'float'])),
      output: c.outputs.filter(Boolean).map((o) => valueInfo(o, undefined, ELEM[outTypes[o] ?? 'float32'])),
    },
    c.opset ?? 17,
  );
}

async function check(c: Case) {
  const file = path.join(dir, `${c.name}.onnx`);
  writeFileSync(file, model(c));
  const g = await readOnnxGraph(file);
  const ours = c.outputs.filter(Boolean).map((o) => g.tensors.get(o)!.shape);
  // The element types we inferred become the outputs' declared types: onnxruntime checks them.
  const bytes = model(c, Object.fromEntries(c.outputs.filter(Boolean).map((o) => [o, g.tensors.get(o)!.dtype])));
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const feeds: Record<string, ort.Tensor> = {};
  for (const x of c.inputs) {
    const data = x.type === 'uint8' ? Uint8Array.from({ length: n(x.dims) }, (_, k) => k % 7) : Float32Array.from({ length: n(x.dims) }, (_, k) => Math.sin(k) * 0.5);
    feeds[x.name] = new ort.Tensor(x.type ?? 'float32', data, x.dims);
  }
  const out = await session.run(feeds);
  const theirs = c.outputs.filter(Boolean).map((o) => [...out[o].dims]);
  expect(ours, c.name).toEqual(theirs);
  return ours;
}

const floats = (dims: number[]) => Array.from({ length: n(dims) }, (_, k) => ((k % 5) - 2) * 0.1);
/** W, R, B of a recurrent op: `gates` × hidden rows per direction. */
function rnnConsts(gates: number, dirs: number, hidden: number, input: number) {
  const w = [dirs, gates * hidden, input];
  const r = [dirs, gates * hidden, hidden];
  const b = [dirs, 2 * gates * hidden];
  return [
    { name: 'W', dims: w, values: floats(w) },
    { name: 'R', dims: r, values: floats(r) },
    { name: 'B', dims: b, values: floats(b) },
  ];
}

describe('shape rules of the recurrent ops, against onnxruntime-node', () => {
  it('LSTM: Y, Y_h, Y_c, forward and bidirectional, Y left out', async () => {
    expect(
      await check({ name: 'lstm-bi', op: 'LSTM', inputs: [{ name: 'x', dims: [7, 2, 5] }], consts: rnnConsts(4, 2, 3, 5), nodeInputs: ['x', 'W', 'R', 'B'], outputs: ['y', 'yh', 'yc'], attrs: [i('hidden_size', 3), s('direction', 'bidirectional')] }),
    ).toEqual([[7, 2, 2, 3], [2, 2, 3], [2, 2, 3]]);
    // Only the last states (Y left out, as an export that keeps the final hidden state writes it).
    expect(await check({ name: 'lstm-states', op: 'LSTM', inputs: [{ name: 'x', dims: [4, 1, 6] }], consts: rnnConsts(4, 1, 8, 6), nodeInputs: ['x', 'W', 'R', 'B'], outputs: ['', 'yh', 'yc'], attrs: [i('hidden_size', 8)] })).toEqual([[1, 1, 8], [1, 1, 8]]);
  });

  it('an LSTM (no primitive models it) becomes a unit of its own, keyed by its input shape', async () => {
    const file = path.join(dir, 'lstm-unit.onnx');
    writeFileSync(file, model({ name: 'lstm-unit', op: 'LSTM', inputs: [{ name: 'x', dims: [7, 2, 5] }], consts: rnnConsts(4, 2, 3, 5), nodeInputs: ['x', 'W', 'R', 'B'], outputs: ['y', 'yh', 'yc'], attrs: [i('hidden_size', 3), s('direction', 'bidirectional')] }));
    const plan = await planOnnx(file, { level: 'all' });
    const lstm = plan.units.filter((u) => u.ops.includes('LSTM'));
    expect(lstm.map((u) => [u.unit.nodes.map((n) => n.opType), u.inputs[0]])).toEqual([[['LSTM'], [7, 2, 5]]]);
    expect(lstm[0].key).toMatch(/^onnx:LSTM:7x2x5:/);
  });

  it('GRU and RNN: Y and Y_h, reverse and bidirectional', async () => {
    expect(await check({ name: 'gru', op: 'GRU', inputs: [{ name: 'x', dims: [6, 3, 4] }], consts: rnnConsts(3, 1, 5, 4), nodeInputs: ['x', 'W', 'R', 'B'], outputs: ['y', 'yh'], attrs: [i('hidden_size', 5), s('direction', 'reverse')] })).toEqual([[6, 1, 3, 5], [1, 3, 5]]);
    expect(await check({ name: 'rnn', op: 'RNN', inputs: [{ name: 'x', dims: [5, 2, 3] }], consts: rnnConsts(1, 2, 4, 3), nodeInputs: ['x', 'W', 'R', 'B'], outputs: ['y', 'yh'], attrs: [i('hidden_size', 4), s('direction', 'bidirectional')] })).toEqual([[5, 2, 2, 4], [2, 2, 4]]);
  });

  it('layout 1 (batch first, opset 14+) and a W that does not fit are read as the spec says', async () => {
    // hidden_size left out: taken from W (onnxruntime's kernels require the attribute).
    const fromW = path.join(dir, 'gru-from-w.onnx');
    writeFileSync(fromW, model({ name: 'gru-w', op: 'GRU', inputs: [{ name: 'x', dims: [6, 3, 4] }], consts: rnnConsts(3, 1, 5, 4), nodeInputs: ['x', 'W', 'R', 'B'], outputs: ['y', 'yh'] }));
    expect((await readOnnxGraph(fromW)).tensors.get('yh')!.shape).toEqual([1, 3, 5]);
    // onnxruntime-node's CPU LSTM refuses layout 1 ("Batchwise recurrent operations (layout == 1) are not supported"), so this one is checked against the spec's shapes (ONNX's own
    // test_lstm_batchwise and test_gru_batchwise cases in read.test.ts check it too).
    const file = path.join(dir, 'lstm-batchwise.onnx');
    writeFileSync(file, model({ name: 'lstm-bw', op: 'LSTM', opset: 14, inputs: [{ name: 'x', dims: [2, 7, 5] }], consts: rnnConsts(4, 1, 3, 5), nodeInputs: ['x', 'W', 'R', 'B'], outputs: ['y', 'yh', 'yc'], attrs: [i('layout', 1)] }));
    const g = await readOnnxGraph(file);
    expect(['y', 'yh', 'yc'].map((o) => g.tensors.get(o)!.shape)).toEqual([[2, 7, 1, 3], [2, 1, 3], [2, 1, 3]]);
    writeFileSync(file, model({ name: 'lstm-bad', op: 'LSTM', inputs: [{ name: 'x', dims: [2, 7, 5] }], consts: rnnConsts(4, 1, 3, 5), nodeInputs: ['x', 'W', 'R', 'B'], outputs: ['y'], attrs: [s('direction', 'bidirectional')] }));
    await expect(readOnnxGraph(file)).rejects.toThrow(/W \[1,12,5\] must be \[2 directions/);
  });
});

describe('shape rules of other ops of vision and OCR models, against onnxruntime-node', () => {
  it('Einsum: explicit, implicit and with an ellipsis', async () => {
    expect(await check({ name: 'einsum-mm', op: 'Einsum', inputs: [{ name: 'a', dims: [2, 3, 4] }, { name: 'b', dims: [2, 4, 5] }], nodeInputs: ['a', 'b'], outputs: ['y'], attrs: [s('equation', 'bij,bjk->bik')] })).toEqual([[2, 3, 5]]);
    expect(await check({ name: 'einsum-implicit', op: 'Einsum', inputs: [{ name: 'a', dims: [3, 4] }, { name: 'b', dims: [4, 6] }], nodeInputs: ['a', 'b'], outputs: ['y'], attrs: [s('equation', 'ij,jk')] })).toEqual([[3, 6]]);
    expect(await check({ name: 'einsum-ell', op: 'Einsum', inputs: [{ name: 'a', dims: [2, 3, 4, 5] }], nodeInputs: ['a'], outputs: ['y'], attrs: [s('equation', '...ij->...ji')] })).toEqual([[2, 3, 5, 4]]);
  });

  it('GridSample, GatherElements, GatherND, ScatterND, CumSum, Trilu', async () => {
    expect(await check({ name: 'grid', op: 'GridSample', opset: 16, inputs: [{ name: 'x', dims: [1, 3, 8, 8] }, { name: 'g', dims: [1, 5, 6, 2] }], nodeInputs: ['x', 'g'], outputs: ['y'] })).toEqual([[1, 3, 5, 6]]);
    expect(await check({ name: 'gel', op: 'GatherElements', inputs: [{ name: 'x', dims: [3, 4] }], consts: [{ name: 'k', dims: [2, 4], values: [0, 1, 2, 0, 1, 1, 0, 2], type: 'int64' }], nodeInputs: ['x', 'k'], outputs: ['y'] })).toEqual([[2, 4]]);
    expect(await check({ name: 'gnd', op: 'GatherND', inputs: [{ name: 'x', dims: [2, 3, 4, 5] }], consts: [{ name: 'k', dims: [2, 6, 2], values: Array(24).fill(1), type: 'int64' }], nodeInputs: ['x', 'k'], outputs: ['y'], attrs: [i('batch_dims', 1)] })).toEqual([[2, 6, 5]]);
    expect(await check({ name: 'snd', op: 'ScatterND', inputs: [{ name: 'x', dims: [4, 3] }, { name: 'u', dims: [2, 3] }], consts: [{ name: 'k', dims: [2, 1], values: [0, 2], type: 'int64' }], nodeInputs: ['x', 'k', 'u'], outputs: ['y'] })).toEqual([[4, 3]]);
    expect(await check({ name: 'cumsum', op: 'CumSum', inputs: [{ name: 'x', dims: [2, 5] }], consts: [{ name: 'a', dims: [], values: [1], type: 'int64' }], nodeInputs: ['x', 'a'], outputs: ['y'] })).toEqual([[2, 5]]);
    expect(await check({ name: 'trilu', op: 'Trilu', inputs: [{ name: 'x', dims: [3, 4, 4] }], nodeInputs: ['x'], outputs: ['y'] })).toEqual([[3, 4, 4]]);
  });

  it('Compress (constant condition) and OneHot', async () => {
    expect(await check({ name: 'compress', op: 'Compress', inputs: [{ name: 'x', dims: [3, 4] }], consts: [{ name: 'k', dims: [4], values: [1, 0, 1, 1], type: 'bool' }], nodeInputs: ['x', 'k'], outputs: ['y'], attrs: [i('axis', 1)] })).toEqual([[3, 3]]);
    expect(await check({ name: 'compress-flat', op: 'Compress', inputs: [{ name: 'x', dims: [3, 4] }], consts: [{ name: 'k', dims: [5], values: [1, 0, 1, 1, 1], type: 'bool' }], nodeInputs: ['x', 'k'], outputs: ['y'] })).toEqual([[4]]);
    expect(
      await check({ name: 'onehot', op: 'OneHot', inputs: [], consts: [{ name: 'x', dims: [2, 3], values: [0, 1, 5, 2, 3, 4], type: 'int64' }, { name: 'd', dims: [], values: [6], type: 'int64' }, { name: 'v', dims: [2], values: [0, 1] }], nodeInputs: ['x', 'd', 'v'], outputs: ['y'], attrs: [i('axis', 1)] }),
    ).toEqual([[2, 6, 3]]);
  });

  it('QuantizeLinear, DequantizeLinear, MatMulInteger, ConvInteger: shapes and element types', async () => {
    const scale = { name: 'sc', dims: [], values: [0.1] };
    const zp = { name: 'zp', dims: [], values: [3], type: 'uint8' as const };
    const q = await check({ name: 'q', op: 'QuantizeLinear', inputs: [{ name: 'x', dims: [2, 3, 4] }], consts: [scale, zp], nodeInputs: ['x', 'sc', 'zp'], outputs: ['y'] });
    expect(q).toEqual([[2, 3, 4]]);
    const file = (name: string) => path.join(dir, `${name}.onnx`);
    expect((await readOnnxGraph(file('q'))).tensors.get('y')!.dtype).toBe('uint8');
    await check({ name: 'dq', op: 'DequantizeLinear', inputs: [{ name: 'x', dims: [2, 3], type: 'uint8' }], consts: [scale, zp], nodeInputs: ['x', 'sc', 'zp'], outputs: ['y'] });
    expect((await readOnnxGraph(file('dq'))).tensors.get('y')!.dtype).toBe('float32');
    const w = { name: 'w', dims: [4, 5], values: Array(20).fill(2), type: 'uint8' as const };
    expect(await check({ name: 'mmi', op: 'MatMulInteger', inputs: [{ name: 'a', dims: [3, 4], type: 'uint8' }], consts: [w], nodeInputs: ['a', 'w'], outputs: ['y'] })).toEqual([[3, 5]]);
    expect((await readOnnxGraph(file('mmi'))).tensors.get('y')!.dtype).toBe('int32');
    const k = { name: 'k', dims: [6, 2, 3, 3], values: Array(108).fill(1), type: 'uint8' as const };
    expect(await check({ name: 'ci', op: 'ConvInteger', inputs: [{ name: 'x', dims: [1, 2, 9, 9], type: 'uint8' }], consts: [k], nodeInputs: ['x', 'k'], outputs: ['y'], attrs: [{ name: 'strides', type: 7, ints: [2, 2] }] })).toEqual([[1, 6, 4, 4]]);
  });

  it("a Pad whose pads are a constant Split and Concatenated again (tf2onnx's M-LSD) reads, as onnxruntime runs it", async () => {
    const int64 = (name: string, dims: number[], values: number[]) => ({ name, dataType: 7, dims, int64Data: values });
    const bytes = modelBytes(
      {
        name: 'split-pads',
        node: [
          { name: 'split', opType: 'Split', input: ['p'], output: ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'], attribute: [{ name: 'split', type: 7, ints: [1, 1, 1, 1, 1, 1, 1, 1] }] },
          // NHWC pads reordered to NCHW, as the exporter writes them
          { name: 'cat', opType: 'Concat', input: ['p0', 'p3', 'p1', 'p2', 'p4', 'p7', 'p5', 'p6'], output: ['pads'], attribute: [i('axis', 0)] },
          { name: 'pad', opType: 'Pad', input: ['x', 'pads'], output: ['y'] },
        ],
        initializer: [int64('p', [8], [0, 0, 1, 0, 0, 0, 2, 0])],
        input: [valueInfo('x', [1, 3, 5, 6])],
        output: [valueInfo('y')],
      },
      11,
    );
    const file = path.join(dir, 'split-pads.onnx');
    writeFileSync(file, bytes);
    const g = await readOnnxGraph(file);
    expect(g.tensors.get('pads')!.value).toEqual([0, 0, 0, 1, 0, 0, 0, 2]);
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(90), [1, 3, 5, 6]) });
    expect(g.tensors.get('y')!.shape).toEqual([...out.y.dims]);
    expect(g.tensors.get('y')!.shape).toEqual([1, 3, 5, 9]);
  });

  it('NonZero (its output shape depends on the values) stops the reader with one error saying why', async () => {
    const file = path.join(dir, 'nonzero.onnx');
    writeFileSync(file, model({ name: 'nz', op: 'NonZero', inputs: [{ name: 'x', dims: [3, 4] }], nodeInputs: ['x'], outputs: ['y'] }));
    await expect(readOnnxGraph(file)).rejects.toThrow(/NonZero .* has no shape rule here .* depends on the number of non-zero elements of its input/);
  });
});
