/**
 * The tfjs program (devices/tfjs/program.ts) of a primitive graph, run by the interpreter the bench page
 * and the Node tfjs devices share (devices/browser/page/tfjs-program.js): every catalog kind gives the
 * catalog's output shape; the compiler folds BatchNorm and fuses what tfjs fuses; and a hand-built graph
 * of the primitives a chain of blocks never used (split, concat, shuffle, broadcast mul, ceil-mode pools,
 * zero, norms, flatten) computes in tfjs what its ONNX export computes in onnxruntime (≤ 1e-4).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelGraph, tfjsProgram, tfUnsupported, type TfProgram } from '../../devices/tfjs/program.js';
import { networkModel, opModel, overheadModel } from '../../export/model.js';
import { emitOnnx } from '../../export/onnx/emit.js';
import { Weights } from '../../export/weights.js';
import type { ModelUnderTest } from '../../src/core/contracts.js';
import { chainArch, classifierHead, convSpec, placeLayers } from '../../src/core/arch.js';
import { GraphBuilder, type Graph, type Prim } from '../../src/core/graph/index.js';
import { OP_KINDS } from '../../src/core/keys.js';
import { instance, outputShape } from '../../src/core/ops.js';
import { CATALOG } from '../fixtures/catalog.js';
import { tfjsVersusOnnx } from '../core/tf-parity.js';

// Plain browser JS from the page folder; it takes tf as an argument, so it runs in Node as well.
const { runProgram } = (await import('../../devices/browser/page/tfjs-runner.js' as string)) as {
  runProgram: (t: typeof tf, p: TfProgram, w: tf.Tensor[], x: tf.Tensor[]) => tf.Tensor;
};

/** Output shape of a program run with random weights, as the page runs it. */
function run(program: TfProgram): number[] {
  return tf.tidy(() => {
    const weights = program.weights.map((w) => tf.randomUniform(w.shape, -0.1, 0.1));
    const feeds = program.inputs.map((shape) => tf.randomUniform(shape));
    const y = runProgram(tf, program, weights, feeds);
    expect(y.dtype).toBe('float32');
    return y.shape;
  });
}

const nhwc = (s: readonly number[]) => [s[0], s[2], s[3], s[1]];
const programOf = (model: ModelUnderTest) => tfjsProgram(modelGraph(model));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('tfjs programs', () => {
  it.each(OP_KINDS)('%s runs and has the catalog output shape', (kind) => {
    const inst = CATALOG[kind];
    expect(run(programOf(opModel(inst)))).toEqual(nhwc(outputShape(inst.spec, inst.input)));
  });

  it('a one-op sum adds its separate inputs; identity has no steps', () => {
    const sum = programOf(opModel(CATALOG.sum));
    expect(sum.inputs).toHaveLength(3);
    expect(sum.steps).toEqual([{ op: 'add', xs: [0, 1, 2] }]);
    expect(programOf(opModel(CATALOG.identity)).steps).toEqual([]);
    // the profiler's per-session overhead model (an ONNX Identity) builds too: it carries its empty graph
    const overhead = programOf(overheadModel([1, 1, 1, 1]));
    expect([overhead.steps, overhead.output]).toEqual([[], 0]);
    expect(run(overhead)).toEqual([1, 1, 1, 1]);
  });

  it('folds BatchNorm into the conv, fuses relu into it but keeps h-swish a separate step', () => {
    const relu = programOf(opModel(instance({ kind: 'conv', cout: 12, k: 3, stride: 2, groups: 1, dilation: 1, act: 'relu' }, [1, 8, 9, 9]))).steps;
    expect(relu).toEqual([expect.objectContaining({ op: 'conv', act: 'relu', stride: [2, 2], pad: 1, b: 1 })]);
    const hswish = programOf(opModel(instance({ kind: 'conv', cout: 8, k: 1, stride: 1, groups: 1, dilation: 1, act: 'hswish' }, [1, 8, 4, 4]))).steps;
    expect(hswish.map((s) => s.op)).toEqual(['conv', 'act']);
  });

  it('runs a grouped conv as one conv per group', () => {
    const inst = instance({ kind: 'conv', cout: 12, k: 3, stride: 1, groups: 4, dilation: 1, act: 'none' }, [1, 8, 6, 6]);
    const program = programOf(opModel(inst));
    expect(program.steps[0]).toMatchObject({ op: 'groupconv', groups: 4 });
    expect(program.weights.filter((w) => w.shape.length === 4)).toHaveLength(4);
    expect(run(program)).toEqual(nhwc(outputShape(inst.spec, inst.input)));
  });

  it('chains a network', () => {
    const arch = chainArch('net', [1, 3, 16, 16], {
      stem: [convSpec(8, 3, 2, 'relu6')],
      blocks: [{ kind: 'mbconv', cout: 8, k: 5, stride: 1, expand: 6, se: 0.25, act: 'swish', skip: true }],
      head: classifierHead(10),
    });
    const placed = placeLayers(arch);
    expect(run(programOf(networkModel(arch)))).toEqual(nhwc(placed[placed.length - 1].output));
  });

  it('refuses a conv with both a stride and a dilation above 1, naming the primitive', () => {
    const inst = instance({ kind: 'conv', cout: 8, k: 3, stride: 2, groups: 1, dilation: 2, act: 'relu' }, [1, 8, 9, 9]);
    expect(tfUnsupported(inst)).toMatch(/^tfjs convolutions take a stride or a dilation, not both: conv 'op.conv' has stride 2 and dilation 2/);
    expect(tfUnsupported(CATALOG.mbconv)).toBeUndefined();
  });
});

/** Every primitive a chain of catalog blocks did not use, in one graph. */
function primitiveGraph(): Graph {
  const b = new GraphBuilder();
  const x = b.input('input', [2, 8, 8, 8]);
  const c = b.act(b.bn(b.conv(x, 'stem', 12, { k: 3, gain: Math.SQRT2 }), 'stem.bn'), 'relu', 'stem.relu');
  const [left, right] = b.split(c, [4, 8], 'split');
  const g = b.act(b.conv(right, 'group', 8, { k: [1, 3], groups: 2, bias: true }), 'hswish', 'group.hswish');
  const pooled = b.node('se.pool', { op: 'gpool', mode: 'avg' }, [g]);
  const gate = b.act(b.conv(pooled, 'se.gate', 8, { k: 1, bias: true }), 'hsigmoid', 'se.hsigmoid');
  const scaled = b.mul(g, gate, 'se.scale');
  const cat = b.concat([left, scaled], 'cat');
  const shuffled = b.node('shuffle', { op: 'shuffle', groups: 3 }, [cat]);
  const dw = b.act(b.conv(shuffled, 'dw', 24, { k: 3, groups: 12, dilation: 2, bias: true }), 'swish', 'dw.swish');
  const pool = (id: string, prim: Partial<Extract<Prim, { op: 'pool' }>>) =>
    b.node(id, { op: 'pool', mode: 'max', kernel: [3, 3], stride: [2, 2], pads: [0, 0, 0, 0], ceil: true, countIncludePad: false, ...prim }, [dw]);
  const maxCeil = pool('max', {}); // ceil((8-3)/2)+1 = 4 (floor would give 3)
  const avgPad = pool('avg', { mode: 'avg', kernel: [4, 4], pads: [1, 1, 0, 0], countIncludePad: true }); // ceil((8+1-4)/2)+1 = 4 (floor: 3)
  const avgEx = pool('avgex', { mode: 'avg', pads: [0, 1, 0, 0], kernel: [2, 3] }); // asymmetric pads, left out of the average
  const zero = b.node('zero', { op: 'zero', stride: 2 }, [dw]);
  const sum = b.add([maxCeil, avgPad, avgEx, zero], 'sum');
  const bn = b.bn(sum, 'free.bn');
  const ln = b.node('ln', { op: 'layernorm', eps: 1e-5 }, [bn]);
  const inorm = b.node('in', { op: 'instancenorm', eps: 1e-5 }, [ln]);
  const flat = b.node('flatten', { op: 'flatten' }, [inorm]);
  const fc = b.act(b.node('fc', { op: 'linear', cout: 10, bias: true }, [flat], { gain: 1 }), 'sigmoid', 'fc.sigmoid');
  return b.build([fc]);
}

describe('a hand-built primitive graph runs the same in the tfjs program and in onnxruntime', () => {
  it.each(['cpu', 'wasm'] as const)('on the tfjs %s backend (max |Δ| ≤ 1e-4)', async (backend) => {
    const graph = primitiveGraph();
    const onnx = emitOnnx(graph, 'primitives', new Weights(7)).bytes;
    const model: ModelUnderTest = { key: 'primitives', onnx, inputs: graph.inputs.map((i) => ({ name: i.name, shape: [...i.shape] })), ops: [], graph };
    const { worst, spread, shape, dims } = await tfjsVersusOnnx(model, backend, 7);
    expect(shape).toEqual(dims);
    expect(worst).toBeLessThanOrEqual(1e-4);
    // the output is not trivially constant (the comparison would then prove nothing)
    expect(spread).toBeGreaterThan(1e-3);
  });
});
