/**
 * The seed blocks (issue 11: every seed kind, the forms one instance of a kind does not reach — SPOS's Xception
 * block, instance norm, the hard-sigmoid SE gate, FBNet's group-2 pointwise mbconv, 5×5 / 7×7 and ceil-mode max
 * pools, an unpadded conv — and the cell-space blocks: FactorizedReduce and its `slice`, NASNet/DARTS separable
 * convs, the DARTS and NASNet cells, NASNet-A-Mobile's odd-size FactorizedReduce and its stem cell reading a wider
 * input) on the devices that run in a browser's runtimes: `wasm` (onnxruntime-web in Node), `browser-wasm` and `webgpu`
 * (headless Chromium) compute what onnxruntime-node's CPU EP computes on the same export and input (CPU
 * tolerance for wasm, GPU tolerance for WebGPU); `tfjs-webgl` (rebuilds the net from its primitive graph, runs
 * no ONNX: its numbers against onnxruntime are test/devices/seed-blocks-tfjs.test.ts's, on the tfjs cpu
 * backend) accepts and times every one. A device that could not run one would say which op and why (supports()),
 * and the test would fail naming it; the one refusal, the JSEP WebGPU bundle's MaxPool in ceil mode, is checked
 * to name the op and the bundle that runs it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { BrowserDevice } from '../../devices/browser/browser-device.js';
import { browserWasmFactory, tfjsWebglFactory, webgpuFactory } from '../../devices/browser/index.js';
import { CPU_TOLERANCE, GPU_TOLERANCE, mismatch } from '../../devices/conformance/compare.js';
import { ortCpuRunner } from '../../devices/conformance/ort-runner.js';
import type { TensorData } from '../../devices/conformance/tensor.js';
import { OrtWasmDevice } from '../../devices/ort-wasm/index.js';
import type { ConformanceRunner } from '../../devices/conformance/runner.js';
import type { Device, TimingProtocol } from '../../devices/types.js';
import { opModel } from '../../export/model.js';
import { instance, SEED_KINDS, type OpInstance } from '../../src/core/ops.js';
import { Rng } from '../../src/core/rng.js';
import { NASNET_A } from '../../src/spaces/seed-nets/nasnet.js';
import { CATALOG, NASNET_CONCAT_REDUCE, SEED_VARIANTS } from '../fixtures/catalog.js';

const FAST: TimingProtocol = { warmup: 1, minRepeats: 3, maxRepeats: 5, maxTimeMs: 200, targetCI: 0.5 };

const x = [1, 8, 9, 9] as const;
const CASES: OpInstance[] = [
  // The seed kinds' catalog instances (the cell-space ones follow), and the forms they do not reach.
  ...SEED_KINDS.filter((k) => !['factreduce', 'sepconv', 'dartscell', 'nasnetcell'].includes(k)).map((k) => CATALOG[k]),
  ...SEED_VARIANTS,
  instance({ kind: 'conv', cout: 8, k: 3, stride: 2, groups: 1, dilation: 1, act: 'relu', pad: 0 }, x),
  CATALOG.factreduce,
  instance({ kind: 'factreduce', cout: 8 }, [1, 6, 9, 7]), // odd sizes: the shifted path's conv pads a zero row and column
  CATALOG.sepconv,
  instance({ kind: 'sepconv', cout: 4, k: 7, stride: 2 }, [1, 12, 9, 9]), // first pointwise to cout
  CATALOG.dartscell,
  CATALOG.nasnetcell,
  // NASNet-A-Mobile's first stem cell in small: its reduction cell on an odd size, input 0 wider than the filters.
  instance({ kind: 'nasnetcell', cell: NASNET_A.reduce, reduce: true, filters: 4 }, [1, 12, 9, 9]),
  instance({ kind: 'nasnetcell', cell: NASNET_A.normal, reduce: false }, [1, 8, 6, 6]),
  // NASNet blocks that concatenate their ops.
  instance({ kind: 'nasnetcell', cell: NASNET_CONCAT_REDUCE, reduce: true }, [1, 4, 8, 8]),
];
const names = CASES.map((c, i) => [`${i}:${c.spec.kind}`, c] as const);

function feeds(inst: OpInstance): Record<string, TensorData> {
  const model = opModel(inst, { seed: 5 });
  const rng = new Rng(9);
  return Object.fromEntries(model.inputs.map((x) => [x.name, { type: 'float32' as const, dims: x.shape, data: rng.fill(x.shape.reduce((a, b) => a * b, 1)) }]));
}

async function agrees(runner: ConformanceRunner, inst: OpInstance, tol: typeof CPU_TOLERANCE): Promise<void> {
  const model = opModel(inst, { seed: 5 });
  const f = feeds(inst);
  const [got, want] = [await runner(model.onnx, f), await (await ortCpuRunner())(model.onnx, f)];
  const [g, w] = [Object.values(got)[0] as TensorData, Object.values(want)[0] as TensorData];
  expect(g.dims).toEqual(w.dims);
  expect(mismatch(g, w, tol)).toBeUndefined();
}

const opened: { dispose(): Promise<void> }[] = [];
afterAll(async () => {
  for (const d of opened) await d.dispose();
});

describe('seed blocks on wasm (onnxruntime-web in Node)', () => {
  const d = new OrtWasmDevice({ threads: 1 });
  opened.push(d);
  it.each(names)('%s computes what the CPU EP computes', async (_n, inst) => {
    await d.init();
    expect((d as Device).supports(inst)).toBe(true);
    await agrees(d.conformanceRunner(), inst, CPU_TOLERANCE);
  });
});

async function browserMissing(factory: { available(): Promise<true | string> }): Promise<string | undefined> {
  const why = await factory.available();
  if (why === true) return undefined;
  console.warn(`skipped: ${why}`);
  return why;
}

for (const [factory, options, tol] of [
  [browserWasmFactory, {}, CPU_TOLERANCE],
  [webgpuFactory, { preferredLayout: 'NCHW' }, GPU_TOLERANCE],
] as const) {
  describe.skipIf(await browserMissing(factory))(`seed blocks on ${factory.name} (headless Chromium)`, () => {
    const d = factory.create(options) as BrowserDevice;
    opened.push(d);
    it.each(names)('%s computes what the CPU EP computes', async (_n, inst) => {
      await d.init();
      // The JSEP WebGPU bundle's MaxPool throws on ceil_mode (SqueezeNet's and GoogLeNet's pools): refused, naming it.
      if (factory === webgpuFactory && inst.spec.kind === 'pool' && inst.spec.ceil) {
        expect(d.supports(inst)).toMatch(/WebGPU MaxPool does not implement ceil_mode, which pool's pool 'op.maxpool' uses \(bundle=webgpu runs it\)/);
        expect(webgpuFactory.create({ bundle: 'webgpu' }).supports(inst)).toBe(true);
        return;
      }
      expect(d.supports(inst)).toBe(true);
      await agrees(d.conformanceRunner(), inst, tol);
    }, 120_000);
  });
}

describe.skipIf(await browserMissing(tfjsWebglFactory))('seed blocks on tfjs-webgl (headless Chromium)', () => {
  const d = tfjsWebglFactory.create({}) as BrowserDevice;
  opened.push(d);
  it.each(names)('%s is accepted and timed', async (_n, inst) => {
    await d.init();
    expect(d.supports(inst)).toBe(true);
    const r = await d.time(opModel(inst, { seed: 5 }), FAST);
    expect(r.stats.median).toBeGreaterThan(0);
  }, 120_000);
});
