/**
 * Pooling with ceil mode and explicit pads, swept over small cases: the IR's shape (windowOut), the
 * exported file (onnx.checker full_check and onnxruntime-node's kernel), the tfjs program and the
 * training engine agree on shapes and values. ONNX's opset-17 shape formula counts a last ceil window
 * that starts in the end padding and onnxruntime's kernel does not; the emitter writes those pools in
 * floor mode with explicit end padding (export/onnx/primitives/pool.ts), and this sweep holds it to that.
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomFeeds } from '../../devices/ort-wasm/feeds.js';
import { buildTfModel } from '../../devices/tfjs/model.js';
import { emitOnnx } from '../../export/onnx/emit.js';
import { Weights } from '../../export/weights.js';
import type { ModelUnderTest } from '../../src/core/contracts.js';
import { GraphBuilder, type Graph, type PoolPrim } from '../../src/core/graph/index.js';
import { GraphModule } from '../../src/train/nn/graph-module.js';
import { onnxCheck, PYTHON_ONNX_MISSING } from './helpers.js';

interface Case {
  name: string;
  graph: Graph;
  prim: PoolPrim;
}

/** Every pool of kernel 1..3, stride 1..3, begin/end pads below the kernel, ceil on and off, on inputs 1..6 high and one wider. */
function cases(): Case[] {
  const out: Case[] = [];
  for (const h of [1, 2, 3, 4, 5, 6])
    for (const k of [1, 2, 3])
      for (const s of [1, 2, 3])
        for (let begin = 0; begin < k; begin++)
          for (let end = 0; end < k; end++)
            for (const ceil of [false, true])
              for (const [mode, countIncludePad] of [['max', false], ['avg', false], ['avg', true]] as const) {
                if (h + begin + end < k || (countIncludePad && begin + end === 0)) continue;
                // rows: pads (begin, end); columns (one wider): the pads swapped, so both orders are seen
                const prim: PoolPrim = { op: 'pool', mode, kernel: [k, k], stride: [s, s], pads: [begin, end, end, begin], ceil, countIncludePad };
                const b = new GraphBuilder();
                const name = `${mode}${countIncludePad ? '-cip' : ''} ${h}x${h + 1} k${k} s${s} pads ${begin},${end}${ceil ? ' ceil' : ''}`;
                out.push({ name, prim, graph: b.build([b.node('pool', prim, [b.input('input', [1, 2, h, h + 1])])]) });
              }
  return out;
}

const ALL = cases();
const modelOf = (c: Case): ModelUnderTest => ({
  key: c.name,
  onnx: emitOnnx(c.graph, 'pool', new Weights(0)).bytes,
  inputs: [{ name: 'input', shape: [...c.graph.inputs[0].shape] }],
  ops: [],
  graph: c.graph,
});
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let worst = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length && i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};

beforeAll(async () => {
  const { loadTf } = await import('../../devices/tfjs/runtime.js');
  await loadTf('cpu', { simd: true });
});

describe('ceil-mode and padded pooling', () => {
  it('the IR, onnxruntime, the tfjs program and training agree on every small case; full_check passes', async () => {
    const disagreeing: string[] = [];
    const trained: string[] = [];
    const models = ALL.map(modelOf);
    for (const [i, c] of ALL.entries()) {
      const model = models[i];
      const irShape = emitOnnx(c.graph, 'pool', new Weights(0)).outputShape;
      const session = await ort.InferenceSession.create(model.onnx, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
      const y = (await session.run(randomFeeds(ort.Tensor, model))).output;
      await session.release();
      expect([...y.dims], c.name).toEqual(irShape);
      const want = y.data as Float32Array;
      // ONNX's opset-17 formula differs here: the file must say the IR's shape anyway (the checker below)
      const onnxRows = Math.ceil((c.graph.inputs[0].shape[2] + c.prim.pads[0] + c.prim.pads[2] - c.prim.kernel[0]) / c.prim.stride[0]) + 1;
      if (c.prim.ceil && onnxRows !== irShape[2]) disagreeing.push(c.name);

      const built = buildTfModel(tf, model);
      const got = tf.tidy(() => tf.transpose(built.forward(built.inputs), [0, 3, 1, 2]).dataSync());
      expect(maxDiff(got, want), `${c.name}: tfjs program`).toBeLessThanOrEqual(1e-5);

      // training runs the pools it supports ('same' padding, no ceil) and names the node of the others
      let module: GraphModule | undefined;
      try {
        module = new GraphModule(c.graph, 'sweep', 0);
      } catch (e) {
        expect((e as Error).message, c.name).toMatch(/^sweep: training supports k x k pooling .*\(primitive pool 'pool'\)/);
      }
      if (module) {
        trained.push(c.name);
        const fromTrain = tf.tidy(() => tf.transpose(module!.forward(built.inputs[0]), [0, 3, 1, 2]).dataSync());
        expect(maxDiff(fromTrain, want), `${c.name}: training`).toBeLessThanOrEqual(1e-5);
      }
      built.dispose();
    }
    // the sweep holds the cases it is about: the runtimes' rules disagree, and training checks some values
    expect(disagreeing.length).toBeGreaterThan(20);
    expect(disagreeing).toContain('max 5x6 k2 s2 pads 1,1 ceil');
    expect(trained.length).toBeGreaterThan(20);
    if (PYTHON_ONNX_MISSING) return console.warn(`pool sweep: onnx.checker ${PYTHON_ONNX_MISSING}`);
    expect(onnxCheck(models.map((m) => ({ name: m.key, onnx: m.onnx })))).toEqual({});
  }, 240_000);

  it('writes a disagreeing ceil pool in floor mode with the end padding of its last window; others as they are', () => {
    const nodes = (prim: Partial<PoolPrim>, shape: [number, number, number, number]) => {
      const b = new GraphBuilder();
      const full: PoolPrim = { op: 'pool', mode: 'max', kernel: [2, 2], stride: [2, 2], pads: [1, 1, 1, 1], ceil: true, countIncludePad: false, ...prim };
      const g = b.build([b.node('p', full, [b.input('input', shape)])]);
      return new TextDecoder('latin1').decode(emitOnnx(g, 'p', new Weights(0)).bytes);
    };
    // 5x5, k2 s2 pads 1 ceil: the IR gives 3 (the opset-17 formula 4), so floor mode with end pad 1 (= given)
    expect(nodes({}, [1, 1, 5, 5])).not.toContain('ceil_mode');
    // 6x6: both give 4 — written as given
    expect(nodes({}, [1, 1, 6, 6])).toContain('ceil_mode');
    // count_include_pad with explicit pads: a Pad of zeros first
    expect(nodes({ mode: 'avg', countIncludePad: true }, [1, 1, 5, 5])).toContain('Pad');
  });
});
