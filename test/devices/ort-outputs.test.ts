import { describe, expect, it } from 'vitest';
import { ortCpuFactory, OrtCpuDevice } from '../../devices/ort-cpu/index.js';
import { outputBuffers, sessionRuns, type OutputTensor } from '../../devices/ort-outputs.js';
import { timeInOrtSession } from '../../devices/ort-session.js';
import type { ModelUnderTest, TimingProtocol } from '../../devices/types.js';

class FakeTensor implements OutputTensor {
  constructor(
    readonly type: string,
    readonly data: ArrayBufferView | string[],
    readonly dims: readonly number[],
  ) {}
}

/** A session whose run() records its arguments and returns two outputs of different types. */
function fakeSession() {
  const calls: { feeds: Record<string, unknown>; fetches?: Record<string, unknown> }[] = [];
  return {
    calls,
    async run(feeds: Record<string, unknown>, fetches?: Record<string, unknown>) {
      calls.push({ feeds, fetches });
      return fetches ?? { y: new FakeTensor('float32', new Float32Array([1, 2, 3, 4, 5, 6]), [1, 2, 3]), shape: new FakeTensor('int64', new BigInt64Array([1n, 2n]), [2]) };
    },
  };
}

const PROTOCOL: TimingProtocol = { warmup: 2, minRepeats: 5, maxRepeats: 10, maxTimeMs: 2000, targetCI: 0.5 };

describe('sessionRuns', () => {
  it('reused: the cold run makes the outputs, every timed run writes into the same tensors, one per output', async () => {
    const s = fakeSession();
    const feeds = { x: 1 };
    const source = sessionRuns(s, feeds, 'reused', FakeTensor);
    await source.cold();
    expect(s.calls).toEqual([{ feeds, fetches: undefined }]);
    await source.samples(3);
    await source.samples(2);
    expect(s.calls).toHaveLength(6);
    const fetches = s.calls[1].fetches!;
    expect(Object.keys(fetches).sort()).toEqual(['shape', 'y']);
    for (const c of s.calls.slice(1)) {
      expect(c.feeds).toBe(feeds);
      expect(c.fetches).toBe(fetches);
    }
    const y = fetches.y as FakeTensor;
    expect(y).toBeInstanceOf(FakeTensor);
    expect([y.type, y.dims, y.data.constructor, (y.data as Float32Array).length]).toEqual(['float32', [1, 2, 3], Float32Array, 6]);
    const shape = fetches.shape as FakeTensor;
    expect([shape.type, shape.dims, shape.data.constructor, (shape.data as BigInt64Array).length]).toEqual(['int64', [2], BigInt64Array, 2]);
  });

  it('fresh: session.run(feeds) every time, never fetches', async () => {
    const s = fakeSession();
    const source = sessionRuns(s, { x: 1 }, 'fresh', FakeTensor);
    await source.cold();
    await source.samples(4);
    expect(s.calls).toHaveLength(5);
    expect(s.calls.every((c) => c.fetches === undefined)).toBe(true);
  });

  it('reused: timed runs before the cold run are refused (their outputs come from it)', () => {
    const source = sessionRuns(fakeSession(), {}, 'reused', FakeTensor);
    expect(() => source.samples(1)).toThrow(/before cold/);
  });

  it('a non-numeric output cannot be pre-allocated, and says so', () => {
    expect(() => outputBuffers(FakeTensor, { s: new FakeTensor('string', ['a'], [1]) })).toThrow(/output 's' is not a numeric tensor.*outputs=fresh/);
  });
});

const available = await ortCpuFactory.available();
if (available !== true) console.warn(`the onnxruntime-node tests of reused outputs are skipped: ${available}`);

/** x [1,2,3] → Relu (float), Sigmoid (float) and Shape (int64): three outputs, two types. */
async function threeOutputModel(): Promise<ModelUnderTest> {
  const { default: onnxProto } = await import('onnx-proto');
  const { onnx } = onnxProto;
  const info = (name: string, elemType: number, dims: number[]) => ({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  const F = onnx.TensorProto.DataType.FLOAT;
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'three_outputs',
      node: [
        { opType: 'Relu', input: ['x'], output: ['relu'] },
        { opType: 'Sigmoid', input: ['x'], output: ['sigmoid'] },
        { opType: 'Shape', input: ['x'], output: ['shape'] },
      ],
      input: [info('x', F, [1, 2, 3])],
      output: [info('relu', F, [1, 2, 3]), info('sigmoid', F, [1, 2, 3]), info('shape', onnx.TensorProto.DataType.INT64, [3])],
    },
  });
  return { key: 'three-outputs', onnx: onnx.ModelProto.encode(model).finish(), inputs: [{ name: 'x', shape: [1, 2, 3] }], ops: [] };
}

describe.skipIf(available !== true)('reused outputs in onnxruntime-node', () => {
  it('onnxruntime writes every output of a several-output model into the tensors the harness passes', async () => {
    const ort = await import('onnxruntime-node');
    const model = await threeOutputModel();
    const runs: { fetches?: Record<string, InstanceType<typeof ort.Tensor>>; results: Record<string, InstanceType<typeof ort.Tensor>> }[] = [];
    // The real runtime, with every run() recorded.
    const spying = {
      Tensor: ort.Tensor,
      InferenceSession: {
        async create(bytes: Uint8Array, options: never) {
          const session = await ort.InferenceSession.create(bytes, options);
          return {
            async run(feeds: Record<string, unknown>, fetches?: Record<string, unknown>) {
              const results = (await (fetches ? session.run(feeds as never, fetches as never) : session.run(feeds as never))) as Record<string, InstanceType<typeof ort.Tensor>>;
              runs.push({ fetches: fetches as never, results });
              return results;
            },
            release: () => session.release(),
          };
        },
      },
    };
    const r = await timeInOrtSession('ort-cpu', spying, { intraOpNumThreads: 1 }, model, PROTOCOL, 'reused');
    expect(r.stats.n + r.stats.rejected).toBeGreaterThanOrEqual(PROTOCOL.minRepeats);
    expect(runs[0].fetches).toBeUndefined();
    const fresh = runs[0].results;
    expect(Object.keys(fresh).sort()).toEqual(['relu', 'shape', 'sigmoid']);
    const fetches = runs[1].fetches!;
    expect(Object.keys(fetches).sort()).toEqual(['relu', 'shape', 'sigmoid']);
    expect(runs.slice(1).every((run) => run.fetches === fetches)).toBe(true);
    // The buffers the harness allocated hold what a fresh run returns: onnxruntime wrote into them.
    for (const name of ['relu', 'sigmoid', 'shape']) {
      expect(fetches[name].dims).toEqual(fresh[name].dims);
      expect(fetches[name].type).toBe(fresh[name].type);
      expect(Array.from(fetches[name].data as ArrayLike<number | bigint>)).toEqual(Array.from(fresh[name].data as ArrayLike<number | bigint>));
    }
    expect(Array.from(fresh.shape.data as BigInt64Array)).toEqual([1n, 2n, 3n]);
    expect(Array.from(fresh.relu.data as Float32Array).some((v) => v !== 0)).toBe(true);
  });

  it('the device records the mode, and both modes time a several-output model', async () => {
    const model = await threeOutputModel();
    for (const outputs of ['reused', 'fresh'] as const) {
      const d = new OrtCpuDevice({ threads: 1, outputs });
      const info = await d.init();
      expect(info.options.outputs).toBe(outputs);
      expect(info.timing).toMatch(outputs === 'reused' ? /allocated once/ : /new output tensors every run/);
      const r = await d.time(model, PROTOCOL);
      expect(r.stats.median).toBeGreaterThan(0);
      await d.dispose();
    }
    expect(() => new OrtCpuDevice({ outputs: 'kept' })).toThrow(/option 'outputs' must be one of reused, fresh/);
  });
});
