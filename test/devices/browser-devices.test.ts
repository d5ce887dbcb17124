/**
 * The browser devices on the real thing: headless Chromium (SwiftShader here), one browser per device.
 * Tiny shapes and a short protocol keep the file quick; what is checked is that each device measures
 * and describes itself correctly, not how fast SwiftShader is.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BrowserDevice } from '../../devices/browser/browser-device.js';
import { browserWasmFactory, tfjsWebglFactory, tfjsWebgpuFactory, webgpuFactory } from '../../devices/browser/index.js';
import { ortCpuRunner } from '../../devices/conformance/ort-runner.js';
import { resolveDevice } from '../../devices/registry.js';
import type { TimingProtocol } from '../../devices/types.js';
import { opModel } from '../../export/model.js';
import { DeviceUnavailableError } from '../../src/core/errors.js';
import { instance } from '../../src/core/ops.js';
import { Rng } from '../../src/core/rng.js';
import { expectSampleCount } from './sample-count.js';

const FAST: TimingProtocol = { warmup: 2, minRepeats: 5, maxRepeats: 50, maxTimeMs: 800, targetCI: 0.1 };
const conv = instance({ kind: 'conv', cout: 8, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, 4, 8, 8]);
const mbconv = instance({ kind: 'mbconv', cout: 8, k: 3, stride: 1, expand: 3, se: 0.25, act: 'hswish', skip: true }, [1, 8, 8, 8]);

const opened: BrowserDevice[] = [];
function open(factory: { create(o: object): unknown }, options: object = {}): BrowserDevice {
  const d = factory.create(options) as BrowserDevice;
  opened.push(d);
  return d;
}
afterAll(async () => {
  for (const d of opened) await d.dispose();
});

describe('browser-wasm', () => {
  const d = open(browserWasmFactory, { threads: 2 });

  it('describes the page it runs in', async () => {
    const info = await d.init();
    expect(info).toMatchObject({ device: 'browser-wasm', runtime: 'onnxruntime-web', ep: 'wasm' });
    expect(info.runtimeVersion).toMatch(/^1\.\d+\.\d+/);
    expect(info.options).toMatchObject({ bundle: 'ort.wasm.bundle.min.mjs', threads: 2, crossOriginIsolated: true, graphOptimizationLevel: 'all' });
    expect(String(info.options.browser)).toMatch(/Chrom/);
    expect(info.timing).toMatch(/in-page wall clock .* k runs per round trip/);
    expect(info.adapter).toBeUndefined();
  });

  it('times a model: cold separate from warm, k samples per round trip', async () => {
    const r = await d.time(opModel(mbconv), FAST);
    expectSampleCount(r.stats, FAST);
    expect(r.stats.median).toBeGreaterThan(0);
    expect(r.coldMs).toBeGreaterThan(0);
    expect(r.setupMs).toBeGreaterThan(0);
  });

  it('runs ONNX in the page for conformance checks, agreeing with onnxruntime-node', async () => {
    const model = opModel(conv);
    const feeds = { input: { type: 'float32' as const, dims: [1, 4, 8, 8], data: new Rng(3).fill(256) } };
    const [page, cpu] = [await d.conformanceRunner()(model.onnx, feeds), await (await ortCpuRunner())(model.onnx, feeds)];
    expect(page.output.dims).toEqual([1, 8, 8, 8]);
    const a = page.output.data as Float32Array;
    const b = cpu.output.data as Float32Array;
    expect(a.length).toBe(b.length);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 4);
  });
});

describe('webgpu', () => {
  const d = open(webgpuFactory, { preferredLayout: 'NCHW', timing: 'gpu' });

  it('reports the adapter, flags a fallback adapter, and records bundle and timing method', async () => {
    const info = await d.init();
    expect(info).toMatchObject({ device: 'webgpu', runtime: 'onnxruntime-web', ep: 'webgpu' });
    expect(info.adapter).toMatchObject({ vendor: expect.any(String), architecture: expect.any(String), isFallback: expect.any(Boolean) });
    if (info.adapter!.isFallback) expect(info.warnings?.join('\n')).toMatch(/fallback \(software\) adapter/);
    expect(info.options).toMatchObject({ bundle: 'ort.all.bundle.min.mjs', timing: 'gpu', io: 'gpu-buffer', preferredLayout: 'NCHW' });
    expect(String(info.options.adapterFeatures)).toContain('timestamp-query');
    expect(info.timing).toMatch(/GPU time .* timestamp-query/);
  });

  it('times a model from GPU timestamps, the cold run (shader compilation) apart', async () => {
    const r = await d.time(opModel(conv), FAST);
    expect(r.stats.median).toBeGreaterThan(0);
    // The cold run (wall clock, pipeline compilation included) is recorded apart; how it compares with the
    // GPU-time median is not asserted (a timing comparison, flaky on a shared machine).
    expect(Number.isFinite(r.coldMs) && r.coldMs > 0).toBe(true);
  });

  it('refuses what the JSEP bundle cannot run, naming the bundle that can', () => {
    const resblock = instance({ kind: 'resblock', cout: 8, stride: 2 }, [1, 4, 8, 8]);
    expect(d.supports(resblock)).toMatch(/AveragePool does not implement ceil_mode.*bundle=webgpu runs it/);
    expect(webgpuFactory.create({ bundle: 'webgpu' }).supports(resblock)).toBe(true);
  });

  it('refuses GPU timing with the native-EP bundle, which reports no kernel times', () => {
    expect(() => webgpuFactory.create({ bundle: 'webgpu', timing: 'gpu' })).toThrow(/timing=gpu needs bundle=all/);
  });

  it('timing=auto (the default) takes GPU timestamps where the adapter has them, else the wall clock and says why', async () => {
    const info = await open(webgpuFactory, { preferredLayout: 'NCHW' }).init();
    const features = String(info.options.adapterFeatures).split(',');
    if (features.includes('timestamp-query')) {
      expect(info.options.timing).toBe('gpu');
      expect(info.timing).toMatch(/GPU time .* timestamp-query/);
    } else {
      expect(info.options.timing).toBe('wall');
      expect(info.timing).toMatch(/; no GPU timestamps \(the adapter lacks the timestamp-query feature\)$/);
    }
    const native = await open(webgpuFactory, { bundle: 'webgpu', preferredLayout: 'NCHW' }).init();
    expect(native.options.timing).toBe('wall');
    expect(native.timing).toMatch(/; no GPU timestamps \(ort\.webgpu\.bundle\.min\.mjs reports no kernel times\)$/);
  }, 240_000); // two browsers to start
});

describe('tfjs-webgl', () => {
  const d = open(tfjsWebglFactory);

  it('gets a WebGL context, names its renderer and flags a software one', async () => {
    const info = await d.init();
    expect(info).toMatchObject({ device: 'tfjs-webgl', runtime: '@tensorflow/tfjs', ep: 'webgl' });
    expect(info.options.webglVersion).toBe(2);
    expect(info.adapter?.architecture.length).toBeGreaterThan(0);
    if (info.adapter!.isFallback) expect(info.warnings?.join('\n')).toMatch(/WebGL renders in software/);
  });

  it('times a model rebuilt from its ops, and refuses what tfjs cannot run', async () => {
    const r = await d.time(opModel(mbconv), FAST);
    expect(r.stats.median).toBeGreaterThan(0);
    expect(r.coldMs).toBeGreaterThan(0);
    const both = instance({ kind: 'conv', cout: 8, k: 3, stride: 2, groups: 1, dilation: 2, act: 'relu' }, [1, 4, 8, 8]);
    expect(d.supports(both)).toMatch(/stride 2 and dilation 2/);
    expect(() => d.conformanceRunner()).toThrow(/does not run ONNX/);
  });
});

describe('tfjs-webgpu', () => {
  it('is unavailable without its package, and says what to install', async () => {
    const why = await tfjsWebgpuFactory.available();
    expect(why).toBe("the '@tensorflow/tfjs-backend-webgpu' package is not installed (npm install @tensorflow/tfjs-backend-webgpu)");
    const err = await resolveDevice('tfjs-webgpu').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceUnavailableError);
  });
});
