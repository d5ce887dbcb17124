import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { ortCpuFactory, OrtCpuDevice } from '../../devices/ort-cpu/index.js';
import { SLICED_SUFFIX, slicedOutputs, timedBytes } from '../../devices/ort-outputs.js';
import { timeInOrtSession } from '../../devices/ort-session.js';
import type { ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { expectSampleCount } from './sample-count.js';

const { onnx } = onnxProto;
const F = onnx.TensorProto.DataType.FLOAT;
const I64 = onnx.TensorProto.DataType.INT64;
const info = (name: string, elemType: number, dims: number[]) => ({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });

/** x [1,2,3] → Relu and Sigmoid (float) and Shape (int64), plus a scalar ReduceSum output (left as it is). */
function fourOutputModel(opset = 17): ModelUnderTest {
  const model = onnx.ModelProto.create({
    irVersion: opset >= 10 ? 8 : 4,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'four_outputs',
      node: [
        { opType: 'Relu', input: ['x'], output: ['relu'] },
        { opType: 'Sigmoid', input: ['x'], output: ['sigmoid'] },
        { opType: 'Shape', input: ['x'], output: ['shape'] },
        { opType: 'ReduceSum', input: ['x'], output: ['sum'], attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
      ],
      input: [info('x', F, [1, 2, 3])],
      output: [info('relu', F, [1, 2, 3]), info('sigmoid', F, [1, 2, 3]), info('shape', I64, [3]), info('sum', F, [])],
    },
  });
  return { key: 'four-outputs', onnx: onnx.ModelProto.encode(model).finish(), inputs: [{ name: 'x', shape: [1, 2, 3] }], ops: [] };
}

const PROTOCOL: TimingProtocol = { warmup: 2, minRepeats: 5, maxRepeats: 10, maxTimeMs: 2000, targetCI: 0.5 };

describe('slicedOutputs', () => {
  it('returns each output of rank ≥ 1 as a Slice of its first element and leaves scalars as they are', async () => {
    for (const opset of [17, 9]) {
      const sliced = onnx.ModelProto.decode(await slicedOutputs(fourOutputModel(opset).onnx));
      const outs = sliced.graph!.output!.map((o) => [o.name, o.type!.tensorType!.elemType, o.type!.tensorType!.shape!.dim!.map((d) => Number(d.dimValue))]);
      expect(outs).toEqual([
        [`relu${SLICED_SUFFIX}`, F, [1, 1, 1]],
        [`sigmoid${SLICED_SUFFIX}`, F, [1, 1, 1]],
        [`shape${SLICED_SUFFIX}`, I64, [1]],
        ['sum', F, []],
      ]);
      const slices = sliced.graph!.node!.filter((n) => n.opType === 'Slice');
      expect(slices.map((n) => n.input![0])).toEqual(['relu', 'sigmoid', 'shape']);
      // Opset 10 took starts and ends as inputs; before, as attributes.
      expect(slices.every((n) => (opset >= 10 ? n.input!.length === 3 : n.attribute!.length === 2))).toBe(true);
    }
  });

  it('timedBytes rewrites a model once however often it is timed, and keeps full-mode bytes as they are', async () => {
    const model = fourOutputModel();
    const first = await timedBytes(model.onnx, 'sliced');
    // The same object each time: the rewrite was made once (a second rewrite would be new bytes).
    expect(await timedBytes(model.onnx, 'sliced')).toBe(first);
    expect(onnx.ModelProto.decode(first).graph!.output!.map((o) => o.name)).toEqual(['relu__first', 'sigmoid__first', 'shape__first', 'sum']);
    // Equal bytes in another array (a model exported again) are rewritten to equal bytes.
    const again = await timedBytes(model.onnx.slice(), 'sliced');
    expect(again).not.toBe(first);
    expect(Buffer.from(again).equals(Buffer.from(first))).toBe(true);
    expect(await timedBytes(model.onnx, 'full')).toBe(model.onnx);
  });

  it('leaves bytes that are not a model, or have nothing to slice, unchanged', async () => {
    const junk = new Uint8Array([0xff, 0xff, 0xff]);
    expect(await slicedOutputs(junk)).toBe(junk);
    const scalarOnly = onnx.ModelProto.encode(
      onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ version: 17 }], graph: { name: 's', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [info('x', F, [])], output: [info('y', F, [])] } }),
    ).finish();
    expect(await slicedOutputs(scalarOnly)).toBe(scalarOnly);
  });
});

const available = await ortCpuFactory.available();
if (available !== true) console.warn(`the onnxruntime-node tests of sliced outputs are skipped: ${available}`);

describe.skipIf(available !== true)('sliced outputs in onnxruntime-node', () => {
  it('a sliced model computes every output and returns the first element of each (opsets 17 and 9)', async () => {
    const ort = await import('onnxruntime-node');
    for (const opset of [17, 9]) {
      const model = fourOutputModel(opset);
      const x = new ort.Tensor('float32', Float32Array.from([-1, 2, -3, 4, -5, 6]), [1, 2, 3]);
      const run = async (bytes: Uint8Array) => {
        const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
        const r = await s.run({ x });
        await s.release();
        return r;
      };
      const full = await run(model.onnx);
      const sliced = await run(await slicedOutputs(model.onnx));
      expect(Object.keys(sliced).sort()).toEqual([`relu${SLICED_SUFFIX}`, `shape${SLICED_SUFFIX}`, `sigmoid${SLICED_SUFFIX}`, 'sum']);
      for (const name of ['relu', 'sigmoid', 'shape']) {
        const first = sliced[`${name}${SLICED_SUFFIX}`];
        expect(first.data.length).toBe(1);
        expect(first.data[0]).toEqual(full[name].data[0]);
      }
      expect(sliced.sum.data[0]).toBeCloseTo(3, 5);
    }
  });

  it('the harness times the sliced model with outputs=sliced and the model as it is with outputs=full', async () => {
    const ort = await import('onnxruntime-node');
    const model = fourOutputModel();
    const loaded: Uint8Array[] = [];
    // The real runtime, with the bytes each session was created from recorded.
    const recording = {
      Tensor: ort.Tensor,
      InferenceSession: {
        create(bytes: Uint8Array, options: never) {
          loaded.push(bytes);
          return ort.InferenceSession.create(bytes, options);
        },
      },
    };
    for (const outputs of ['sliced', 'full'] as const) {
      const r = await timeInOrtSession('ort-cpu', recording, { intraOpNumThreads: 1 }, model, PROTOCOL, outputs);
      expectSampleCount(r.stats, PROTOCOL);
    }
    expect(loaded).toHaveLength(2);
    expect(onnx.ModelProto.decode(loaded[0]).graph!.output!.map((o) => o.name)).toEqual(['relu__first', 'sigmoid__first', 'shape__first', 'sum']);
    expect(loaded[1]).toBe(model.onnx);
  });

  it('the device records the mode and times a several-output model in both', async () => {
    const model = fourOutputModel();
    for (const outputs of ['sliced', 'full'] as const) {
      const d = new OrtCpuDevice({ threads: 1, outputs });
      const dev = await d.init();
      expect(dev.options.outputs).toBe(outputs);
      expect(dev.timing).toMatch(outputs === 'sliced' ? /outputs kept in the session/ : /every output copied out every run/);
      const r = await d.time(model, PROTOCOL);
      expect(r.stats.median).toBeGreaterThan(0);
      await d.dispose();
    }
    expect(() => new OrtCpuDevice({ outputs: 'kept' })).toThrow(/option 'outputs' must be one of sliced, full/);
  });
});
