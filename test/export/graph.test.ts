import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, IR_VERSION, OPSET, PRODUCER } from '../../export/onnx/graph.js';
import { onnxCheck, PYTHON_ONNX_MISSING, run } from './helpers.js';

const { onnx } = onnxProto;
const AT = onnx.AttributeProto.AttributeType;

describe('GraphBuilder', () => {
  it('writes IR 8 / opset 17 models from hw-nas that decode back', () => {
    const g = new GraphBuilder();
    g.addOutput(g.addNode('Relu', [g.addInput('input', [1, 2])], 'r'), 'output', [1, 2]);
    const m = onnx.ModelProto.decode(g.encode('tiny'));
    expect(Number(m.irVersion)).toBe(IR_VERSION);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', OPSET]]);
    expect(m.producerName).toBe(PRODUCER);
    expect(m.graph!.name).toBe('tiny');
    expect(m.graph!.node!.map((n) => [n.opType, n.input, n.output])).toEqual([['Relu', ['input'], ['output']]]);
  });

  it('types attributes: integers as INT(S), wrapped floats as FLOAT(S), strings as STRING', () => {
    const g = new GraphBuilder();
    g.addOutput(
      g.addNode('Custom', [g.addInput('input', [1])], 'c', { i: 3, is: [1, 2], f: { f: 1 }, fs: { floats: [0.5, 2] }, s: 'NOTSET' }),
      'output',
      [1],
    );
    const attrs = onnx.ModelProto.decode(g.encode('a')).graph!.node![0].attribute!;
    const by = Object.fromEntries(attrs.map((a) => [a.name, a]));
    expect([by.i.type, Number(by.i.i)]).toEqual([AT.INT, 3]);
    expect([by.is.type, by.is.ints.map(Number)]).toEqual([AT.INTS, [1, 2]]);
    expect([by.f.type, by.f.f]).toEqual([AT.FLOAT, 1]);
    expect([by.fs.type, by.fs.floats]).toEqual([AT.FLOATS, [0.5, 2]]);
    expect([by.s.type, new TextDecoder().decode(by.s.s)]).toEqual([AT.STRING, 'NOTSET']);
    expect(() => g.addNode('Custom', ['input'], 'd', { bad: 0.5 })).toThrow(/not an integer/);
  });

  it('keeps tensor names unique and refuses a repeated exact (weight) name', () => {
    const g = new GraphBuilder();
    const x = g.addInput('input', [1, 2]);
    const a = g.addNode('Relu', [x], 'y');
    const b = g.addNode('Relu', [a], 'y');
    expect([a, b]).toEqual(['y', 'y_1']);
    g.addInitializer('w', [2], new Float32Array(2));
    expect(() => g.addInitializer('w', [2], new Float32Array(2))).toThrow(/used twice/);
    expect(() => g.addInitializer('v', [3], new Float32Array(2))).toThrow(/2 values for shape \[3\]/);
    expect(() => g.addNode('Relu', ['missing'], 'z')).toThrow(/does not exist/);
    expect(g.scalar(6)).toBe(g.scalar(6));
  });

  it('routes an input that is also the output through an Identity, and renames produced tensors in place', async () => {
    const g = new GraphBuilder();
    const x = g.addInput('input', [1, 3]);
    const r = g.addNode('Relu', [x], 'r');
    g.addOutput(r, 'output', [1, 3]);
    g.addOutput(x, 'copy', [1, 3]);
    const m = onnx.ModelProto.decode(g.encode('two'));
    expect(m.graph!.node!.map((n) => `${n.opType}:${n.input}->${n.output}`)).toEqual(['Relu:input->output', 'Identity:input->copy']);
    if (!PYTHON_ONNX_MISSING) expect(onnxCheck([{ name: 'two', onnx: g.encode('two') }])).toEqual({});
    const out = await run({ key: 'two', onnx: g.encode('two'), inputs: [{ name: 'input', shape: [1, 3] }], ops: [] }, [Float32Array.of(-1, 0, 2)]);
    expect([...out.data]).toEqual([0, 0, 2]);
  });
});
