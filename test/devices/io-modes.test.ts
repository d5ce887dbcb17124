/**
 * A unit is timed as a network runs its intermediates on the devices beyond ort-cpu and wasm: browser-wasm
 * (and remote on the wasm EP) keeps every output inside the session (outputs=sliced: a one-element Slice, the
 * model rewritten in Node before the page fetches it), webgpu already leaves its outputs on the GPU
 * (outputs=full by default, sliced on request), and webgpu-native keeps its inputs on the GPU
 * (inputs=gpu-buffer: uploaded once per model). Each mode is recorded in DeviceInfo.options. Browser parts
 * run in headless Chromium (SwiftShader for WebGPU) and are skipped, saying so, without a browser.
 */
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import type { BrowserDevice } from '../../devices/browser/browser-device.js';
import { browserAvailable, browserWasmFactory, webgpuFactory } from '../../devices/browser/index.js';
import { OrtPageRuntime, parseOrtPageOptions } from '../../devices/browser/ort-runtime.js';
import { ortCpuRunner } from '../../devices/conformance/ort-runner.js';
import { SLICED_SUFFIX, timedBytes } from '../../devices/ort-outputs.js';
import { uploadFeeds } from '../../devices/ort-webgpu-native/device-inputs.js';
import { parseRemoteOptions } from '../../devices/remote/index.js';
import { OrtWebGpuDevice, ortWebGpuFactory } from '../../devices/ort-webgpu-native/index.js';
import { randomFeeds } from '../../devices/ort-wasm/feeds.js';
import type { TimingProtocol } from '../../devices/types.js';
import { opModel } from '../../export/model.js';
import { instance } from '../../src/core/ops.js';
import { Rng } from '../../src/core/rng.js';
import { expectSampleCount } from './sample-count.js';

const { onnx } = onnxProto;
const FAST: TimingProtocol = { warmup: 2, minRepeats: 5, maxRepeats: 30, maxTimeMs: 800, targetCI: 0.1 };
const conv = opModel(instance({ kind: 'conv', cout: 8, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, 4, 8, 8]));
const outputNames = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes).graph!.output!.map((o) => o.name);

describe('onnxruntime-web in a page: what the page is given to time', () => {
  it('the sliced model by default on wasm, the model as it is by default on WebGPU; either when asked', async () => {
    for (const [device, ep, fallback] of [
      ['browser-wasm', 'wasm', 'sliced'],
      ['webgpu', 'webgpu', 'full'],
    ] as const) {
      for (const outputs of ['sliced', 'full'] as const) {
        const served: Uint8Array[] = [];
        const runtime = new OrtPageRuntime(device, parseOrtPageOptions(device, ep, outputs === fallback ? {} : { outputs }));
        await runtime.openArgs(conv, [], (bytes) => (served.push(bytes), 'blob-url'));
        expect(served).toHaveLength(1);
        if (outputs === 'full') expect(served[0]).toBe(conv.onnx);
        else expect(outputNames(served[0])).toEqual([`output${SLICED_SUFFIX}`]);
      }
    }
    expect(() => parseOrtPageOptions('webgpu', 'webgpu', { outputs: 'gpu' })).toThrow(/device 'webgpu': option 'outputs' must be one of sliced, full/);
  });

  it('remote leaves the mode to the EP the browser runs unless it is given', () => {
    expect(parseRemoteOptions({ serve: true }).outputs).toBeUndefined();
    expect(parseRemoteOptions({ serve: true, outputs: 'full' }).outputs).toBe('full');
    expect(() => parseRemoteOptions({ serve: true, outputs: 'some' })).toThrow(/device 'remote': option 'outputs' must be one of sliced, full/);
  });
});

const browser = await browserAvailable();
if (browser !== true) console.warn(`io-modes: the in-browser checks are skipped: ${browser}`);

describe.skipIf(browser !== true)('onnxruntime-web in a page: sliced outputs run and are recorded', () => {
  const opened: BrowserDevice[] = [];
  afterAll(async () => {
    for (const d of opened) await d.dispose();
  });

  // The page's runtime computes the Slice (the conformance runner reads the outputs back); browser-wasm times the sliced model.
  for (const [name, factory, options, outputs] of [
    ['browser-wasm', browserWasmFactory, {}, 'sliced'],
    ['webgpu', webgpuFactory, { preferredLayout: 'NCHW' }, 'full'],
  ] as const) {
    it(`${name}: records outputs=${outputs} by default, computes the first element of each output of a sliced model${name === 'webgpu' ? '' : ', times the model'}`, async () => {
      const d = factory.create(options) as BrowserDevice;
      opened.push(d);
      const info = await d.init();
      expect(info.options.outputs).toBe(outputs);
      const feeds = { input: { type: 'float32' as const, dims: [1, 4, 8, 8], data: new Rng(3).fill(256) } };
      const page = await d.conformanceRunner()(await timedBytes(conv.onnx, 'sliced'), feeds);
      const cpu = await (await ortCpuRunner())(conv.onnx, feeds);
      expect(Object.keys(page)).toEqual([`output${SLICED_SUFFIX}`]);
      expect(page[`output${SLICED_SUFFIX}`].dims).toEqual([1, 1, 1, 1]);
      expect((page[`output${SLICED_SUFFIX}`].data as Float32Array)[0]).toBeCloseTo((cpu.output.data as Float32Array)[0], 4);
      if (name === 'webgpu') return; // timing on WebGPU: browser-devices.test.ts (SwiftShader is slow)
      const r = await d.time(conv, FAST);
      expect(r.stats.median).toBeGreaterThan(0);
      expectSampleCount(r.stats, FAST);
    });
  }
});

const gpu = await ortWebGpuFactory.available();
if (gpu !== true) console.warn(`io-modes: the webgpu-native checks are skipped: ${gpu}`);

describe.skipIf(gpu !== true)('webgpu-native: inputs kept on the GPU', () => {
  it('an input uploaded once and fed as a GPU tensor gives the outputs the CPU tensor gives', async () => {
    const ort = await import('onnxruntime-node');
    const d = new OrtWebGpuDevice({ preferredLayout: 'NCHW', timing: 'wall' });
    await d.init(); // sets the Vulkan driver before onnxruntime-node starts Dawn
    const ep = { name: 'webgpu', preferredLayout: 'NCHW' };
    const options = (loc: 'gpu-buffer' | 'cpu') => ({ executionProviders: [ep], preferredOutputLocation: loc }) as never;
    const cpuFeeds = randomFeeds(ort.Tensor, conv);
    const fence = await ort.InferenceSession.create(conv.onnx, options('cpu'));
    const uploaded = await uploadFeeds(ort, options('gpu-buffer'), cpuFeeds, () => fence.run(cpuFeeds));
    try {
      expect(uploaded.feeds.input.location).toBe('gpu-buffer');
      const fromCpu = (await fence.run(cpuFeeds)).output.data as Float32Array;
      const fromGpu = (await fence.run(uploaded.feeds)).output.data as Float32Array;
      expect(fromGpu.length).toBe(fromCpu.length);
      for (let i = 0; i < fromCpu.length; i++) expect(fromGpu[i]).toBeCloseTo(fromCpu[i], 4);
    } finally {
      await uploaded.release();
      await fence.release();
      await d.dispose();
    }
  });

  it('records inputs=gpu-buffer by default and inputs=cpu when asked, and times a model either way', async () => {
    for (const inputs of ['gpu-buffer', 'cpu'] as const) {
      const d = new OrtWebGpuDevice({ preferredLayout: 'NCHW', timing: 'wall', ...(inputs === 'cpu' ? { inputs } : {}) });
      const info = await d.init();
      expect(info.options.inputs).toBe(inputs);
      expect(info.timing).toMatch(inputs === 'cpu' ? /inputs uploaded from the CPU every run/ : /inputs uploaded to the GPU once per model/);
      const r = await d.time(conv, FAST);
      expect(r.stats.median).toBeGreaterThan(0);
      await d.dispose();
    }
  });
});
