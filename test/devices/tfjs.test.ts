import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { randomFeeds } from '../../devices/ort-wasm/feeds.js';
import { TfjsDevice, tfjsCpuFactory, tfjsNodeFactory, tfjsWasmFactory } from '../../devices/tfjs/index.js';
import { buildTfModel } from '../../devices/tfjs/model.js';
import { loadTf } from '../../devices/tfjs/runtime.js';
import type { TimingProtocol } from '../../devices/types.js';
import { networkModel, opModel } from '../../export/model.js';
import { chainArch, classifierHead, convSpec } from '../../src/core/arch.js';
import { DeviceUnavailableError, UserError } from '../../src/core/errors.js';
import { instance, outputShape, type OpInstance } from '../../src/core/ops.js';

const FAST: TimingProtocol = { warmup: 2, minRepeats: 5, maxRepeats: 20, maxTimeMs: 300, targetCI: 0.1 };
const CELL = '|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|skip_connect~2|';

/** Every catalog kind, with the variants that change the built graph (SE, skip, each activation, groups, dilation, strides). */
const CASES: OpInstance[] = [
  instance({ kind: 'conv', cout: 8, k: 3, stride: 2, groups: 1, dilation: 1, act: 'relu' }, [1, 4, 9, 9]),
  instance({ kind: 'conv', cout: 8, k: 3, stride: 1, groups: 2, dilation: 2, act: 'swish' }, [1, 4, 8, 8]),
  instance({ kind: 'conv', cout: 8, k: 3, stride: 1, groups: 4, dilation: 1, act: 'none' }, [1, 4, 6, 6]),
  instance({ kind: 'dwconv', k: 5, stride: 2, dilation: 1, act: 'relu6' }, [1, 6, 9, 9]),
  instance({ kind: 'dwconv', k: 3, stride: 1, dilation: 2, act: 'hswish' }, [1, 6, 8, 8]),
  instance({ kind: 'dwsep', cout: 8, k: 3, stride: 1, se: 0.25, act: 'relu', skip: true }, [1, 8, 6, 6]),
  instance({ kind: 'dwsep', cout: 12, k: 5, stride: 2, se: 0, act: 'hswish', skip: false }, [1, 8, 7, 7]),
  instance({ kind: 'mbconv', cout: 8, k: 3, stride: 1, expand: 3, se: 0.25, act: 'hswish', skip: true }, [1, 8, 6, 6]),
  instance({ kind: 'mbconv', cout: 12, k: 5, stride: 2, expand: 1, se: 0, act: 'relu6', skip: false }, [1, 8, 7, 7]),
  instance({ kind: 'mbconv', cout: 8, k: 3, stride: 1, expand: 2.5, se: 0.5, act: 'swish', skip: false }, [1, 4, 5, 5]),
  instance({ kind: 'pool', mode: 'avg', k: 3, stride: 2 }, [1, 3, 7, 7]),
  instance({ kind: 'pool', mode: 'max', k: 3, stride: 1 }, [1, 3, 6, 6]),
  instance({ kind: 'gpool', mode: 'avg' }, [1, 5, 4, 4]),
  instance({ kind: 'gpool', mode: 'max' }, [1, 5, 4, 4]),
  instance({ kind: 'identity' }, [1, 3, 4, 4]),
  instance({ kind: 'zero', stride: 2 }, [1, 3, 5, 5]),
  instance({ kind: 'zero', stride: 1 }, [1, 3, 4, 4]),
  instance({ kind: 'linear', cout: 7, act: 'relu6' }, [2, 9, 1, 1]),
  instance({ kind: 'linear', cout: 7, act: 'hswish' }, [1, 9, 1, 1]),
  instance({ kind: 'se', ratio: 0.25, act: 'relu' }, [1, 8, 4, 4]),
  instance({ kind: 'reluconv', cout: 6, k: 3, stride: 2, }, [1, 4, 7, 7]),
  instance({ kind: 'sum', arity: 3 }, [1, 3, 4, 4]),
  instance({ kind: 'nb201cell', cell: CELL }, [1, 4, 6, 6]),
  instance({ kind: 'resblock', cout: 8, stride: 2 }, [1, 4, 7, 7]),
  instance({ kind: 'resblock', cout: 8, stride: 1 }, [1, 4, 6, 6]),
];

const NET = chainArch('tfjs-net', [1, 3, 12, 12], {
  stem: [convSpec(8, 3, 2, 'relu6')],
  blocks: [
    { kind: 'mbconv', cout: 8, k: 3, stride: 1, expand: 3, se: 0.25, act: 'hswish', skip: true },
    { kind: 'sum', arity: 2 },
  ],
  head: classifierHead(5),
});

/** The model's output on onnxruntime's CPU EP, NCHW, from the same inputs the tfjs model gets. */
async function onnxOutput(model: ReturnType<typeof opModel>): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(model.onnx, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    const out = (await session.run(randomFeeds(ort.Tensor, model))).output;
    return { data: out.data as Float32Array, dims: out.dims };
  } finally {
    await session.release();
  }
}

/** The tfjs model's output transposed to NCHW. */
async function tfOutput(model: ReturnType<typeof opModel>): Promise<{ data: Float32Array; dims: number[] }> {
  const built = buildTfModel(tf, model);
  try {
    const y = tf.tidy(() => tf.transpose(built.forward(built.inputs), [0, 3, 1, 2]));
    const data = (await y.data()) as Float32Array;
    const dims = y.shape;
    y.dispose();
    return { data, dims };
  } finally {
    built.dispose();
  }
}

function maxRelativeError(a: Float32Array, b: Float32Array): number {
  let scale = 1e-6;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let err = 0;
  for (let i = 0; i < b.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
  return err / scale;
}

describe.each(['cpu', 'wasm'] as const)('tfjs rebuild on the %s backend computes what the exported ONNX model computes', (backend) => {
  it.each(CASES.map((inst) => [opModel(inst).key, inst] as const))('%s', async (_key, inst) => {
    await loadTf(backend, { simd: true });
    const model = opModel(inst);
    const [want, got] = [await onnxOutput(model), await tfOutput(model)];
    const [n, c, h, w] = outputShape(inst.spec, inst.input);
    expect(got.dims).toEqual([n, c, h, w]);
    expect([...want.dims]).toEqual([n, c, h, w]);
    expect(maxRelativeError(got.data, want.data)).toBeLessThan(1e-4);
  });

  it('and so does a network (layer<i> weights, a chained sum)', async () => {
    await loadTf(backend, { simd: true });
    const model = networkModel(NET);
    const [want, got] = [await onnxOutput(model), await tfOutput(model)];
    expect(got.dims).toEqual([...want.dims]);
    expect(maxRelativeError(got.data, want.data)).toBeLessThan(1e-4);
  });
});

describe('tfjs devices', () => {
  it('records backend, layout and versions, and times a small op without leaking tensors', async () => {
    const d = new TfjsDevice('tfjs-cpu');
    const info = await d.init();
    expect(info).toMatchObject({ device: 'tfjs-cpu', runtime: '@tensorflow/tfjs', ep: 'cpu', options: { layout: 'NHWC', fusedActivations: 'relu,relu6' } });
    expect(info.runtimeVersion).toMatch(/^4\./);
    const before = tf.memory().numTensors;
    const r = await d.time(opModel(CASES[7]), FAST);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.stats.median).toBeGreaterThan(0);
    expect(r.coldMs).toBeGreaterThan(0);
    expect(r.setupMs).toBeGreaterThan(0);
    await d.dispose();
  });

  it('tfjs-wasm records SIMD and its single thread, and switches the backend back when another device ran', async () => {
    const wasm = new TfjsDevice('tfjs-wasm', { simd: 'true' });
    const cpu = new TfjsDevice('tfjs-cpu');
    const info = await wasm.init();
    expect(info).toMatchObject({ device: 'tfjs-wasm', runtime: '@tensorflow/tfjs-backend-wasm', ep: 'wasm', options: { simd: true, threads: 1 } });
    await cpu.init();
    expect(tf.getBackend()).toBe('cpu');
    await wasm.time(opModel(CASES[0]), FAST);
    expect(tf.getBackend()).toBe('wasm');
    await expect(new TfjsDevice('tfjs-wasm', { simd: false }).init()).rejects.toThrow(/already runs in this process with simd=true/);
  });

  it('checks its options', () => {
    expect(() => new TfjsDevice('tfjs-cpu', { simd: true })).toThrow(UserError);
    expect(() => new TfjsDevice('tfjs-wasm', { simd: 'maybe' })).toThrow(/must be true or false/);
  });

  it('refuses a conv with both stride and dilation, naming why', () => {
    const d = new TfjsDevice('tfjs-cpu');
    const bad = instance({ kind: 'conv', cout: 8, k: 3, stride: 2, groups: 1, dilation: 2, act: 'relu' }, [1, 4, 8, 8]);
    expect(d.supports(bad)).toMatch(/^tfjs-cpu: tfjs convolutions take a stride or a dilation, not both/);
    expect(d.supports(CASES[0])).toBe(true);
  });

  it('cpu and wasm are available here; tfjs-node says how to install it when it is missing', async () => {
    expect(await tfjsCpuFactory.available()).toBe(true);
    expect(await tfjsWasmFactory.available()).toBe(true);
    const node = await tfjsNodeFactory.available();
    if (node === true) return; // installed on this machine: nothing to check
    expect(node).toMatch(/@tensorflow\/tfjs-node' is not installed: npm install @tensorflow\/tfjs-node/);
    const err = await new TfjsDevice('tfjs-node').init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceUnavailableError);
    expect((err as Error).message).toContain(node);
  });
});
