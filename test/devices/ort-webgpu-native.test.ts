import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConformanceSkip } from '../../devices/conformance/runner.js';
import { OrtWebGpuDevice, ortWebGpuFactory, parseOrtWebGpuOptions } from '../../devices/ort-webgpu-native/index.js';
import { chooseVulkan, SWIFTSHADER_ICD } from '../../devices/ort-webgpu-native/vulkan.js';
import type { TimingProtocol } from '../../devices/types.js';
import { opModel, overheadModel } from '../../export/model.js';
import { UserError } from '../../src/core/errors.js';
import { instance } from '../../src/core/ops.js';
import { projectRoot } from '../../src/core/paths.js';

const ORT_ENTRY = createRequire(import.meta.url).resolve('onnxruntime-node');
const LAVAPIPE_ICD = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json';
const FAST: TimingProtocol = { warmup: 3, minRepeats: 8, maxRepeats: 30, maxTimeMs: 3000, targetCI: 0.1 };
// Tiny shapes and NCHW: SwiftShader emulates the GPU on the CPU, and NCHW kernels compile fastest there.
const conv = instance({ kind: 'conv', cout: 16, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, 16, 16, 16]);
// Three inputs: the emitter writes Sum (two are an Add, which the WebGPU EP has).
const sum = instance({ kind: 'sum', arity: 3 }, [1, 4, 4, 4]);

const available = await ortWebGpuFactory.available();
if (available !== true) console.warn(`webgpu-native tests that need an adapter are skipped: ${available}`);

describe('webgpu-native: choosing the Vulkan driver', () => {
  it('parses its options with defaults', () => {
    expect(parseOrtWebGpuOptions({})).toEqual({
      preferredLayout: 'NHWC',
      validationMode: 'basic',
      graphOptimizationLevel: 'all',
      outputs: 'gpu-buffer',
      inputs: 'gpu-buffer',
      cpuFallback: false,
      allowSoftware: true,
      timing: 'auto',
    });
    expect(() => parseOrtWebGpuOptions({ timing: 'cpu' })).toThrow(/auto, gpu, wall/);
    expect(() => parseOrtWebGpuOptions({ validationMode: 'disabled' })).toThrow(/basic, wgpuOnly, full/);
    expect(() => parseOrtWebGpuOptions({ cpuFallback: 'sometimes' })).toThrow(/true or false/);
  });

  it('reports a VK_ICD_FILENAMES naming a missing file, with how to get a software adapter', async () => {
    const choice = await chooseVulkan(ORT_ENTRY, { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json' });
    expect(choice.ok).toBe(false);
    if (choice.ok) return;
    expect(choice.reason).toMatch(/^VK_ICD_FILENAMES names \/nonexistent\/icd\.json, which does not exist/);
    expect(choice.reason).toContain(`apt-get install libvulkan1 chromium, then VK_ICD_FILENAMES=${SWIFTSHADER_ICD}`);
  });

  it.skipIf(!existsSync(LAVAPIPE_ICD))("reports Dawn's refusal of a driver it does not accept (lavapipe), from a probe process", async () => {
    const choice = await chooseVulkan(ORT_ENTRY, { ...process.env, VK_ICD_FILENAMES: LAVAPIPE_ICD });
    expect(choice.ok).toBe(false);
    if (choice.ok) return;
    expect(choice.reason).toContain(`Dawn found no usable WebGPU adapter with VK_ICD_FILENAMES=${LAVAPIPE_ICD}`);
    expect(choice.reason).toContain('Failed to get a WebGPU adapter');
  });

  it.skipIf(!existsSync(SWIFTSHADER_ICD))('accepts SwiftShader named by the user and flags it as a software adapter', async () => {
    const choice = await chooseVulkan(ORT_ENTRY, { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD });
    expect(choice).toMatchObject({ ok: true, source: 'env', adapter: { vendor: 'google', architecture: 'swiftshader', isFallback: true } });
  });

  it('is unavailable in a process whose VK_ICD_FILENAMES names a missing file, with one clear DeviceUnavailableError', async () => {
    const module = path.join(projectRoot(), 'devices/ort-webgpu-native/index.ts');
    const script = `
      const { ortWebGpuFactory, OrtWebGpuDevice } = await import(${JSON.stringify(module)});
      const available = await ortWebGpuFactory.available();
      const error = await new OrtWebGpuDevice().init().then(() => undefined, (e) => ({ name: e.name, message: e.message }));
      console.log(JSON.stringify({ available, error }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: projectRoot(),
      env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json' },
      timeout: 60_000,
    });
    const { available: reason, error } = JSON.parse(stdout.trim().split('\n').pop()!) as { available: string; error: { name: string; message: string } };
    expect(reason).toMatch(/^VK_ICD_FILENAMES names \/nonexistent\/icd\.json, which does not exist/);
    expect(error).toEqual({ name: 'DeviceUnavailableError', message: `device 'webgpu-native' is not available here: ${reason}` });
  });
});

describe.skipIf(available !== true)('webgpu-native device', () => {
  it('records the adapter (software, flagged), its options and how it times', async () => {
    const d = new OrtWebGpuDevice({ preferredLayout: 'NCHW', timing: 'wall' });
    const info = await d.init();
    expect(info).toMatchObject({
      device: 'webgpu-native',
      runtime: 'onnxruntime-node',
      ep: 'webgpu',
      options: { preferredLayout: 'NCHW', validationMode: 'basic', outputs: 'gpu-buffer', cpuFallback: false },
    });
    expect(info.timing).toMatch(/outputs left on the GPU plus a 1-float fence run .* \(fence alone: median \d+\.\d+ ms at init\)/);
    expect(info.options.timing).toBeUndefined(); // wall-clock LUTs keep the id they had before the option
    if (info.adapter?.isFallback) expect(info.warnings?.join(' ')).toMatch(/software adapter .* say nothing about a real GPU/);
    if (info.options.vulkanDriver === 'swiftshader') expect(process.env.VK_ICD_FILENAMES).toBe(SWIFTSHADER_ICD);
    await d.dispose();
  });

  it('times GPU work, not just its submission: fenced gpu-buffer runs take about as long as runs that read back', async () => {
    const fenced = new OrtWebGpuDevice({ preferredLayout: 'NCHW', timing: 'wall' });
    const readback = new OrtWebGpuDevice({ preferredLayout: 'NCHW', outputs: 'cpu', timing: 'wall' });
    await fenced.init();
    await readback.init();
    const model = opModel(conv);
    const a = await fenced.time(model, FAST);
    const b = await readback.time(model, FAST);
    for (const r of [a, b]) {
      expect(r.stats.median).toBeGreaterThan(0);
      // The cold run is recorded; whether it is slower than the median is not asserted: the
      // second session reuses the adapter's compiled pipelines, so its first run can be as fast.
      expect(Number.isFinite(r.coldMs) && r.coldMs > 0).toBe(true);
    }
    // Without the fence a run returns once queued (~0.1 ms) while the work takes several ms here. The two
    // medians are printed, not compared: bench/webgpu-timing.ts measures that on a quiet machine.
    console.info(`webgpu-native: fenced median ${a.stats.median.toFixed(3)} ms, read-back median ${b.stats.median.toFixed(3)} ms`);
    await fenced.dispose();
    await readback.dispose();
  });

  it('refuses ops whose export needs Sum (not in the WebGPU EP) unless CPU fallback is allowed', async () => {
    const strict = new OrtWebGpuDevice({ preferredLayout: 'NCHW' });
    await strict.init();
    expect(strict.supports(sum)).toMatch(/uses ONNX Sum \(op.sum adds 3 tensors\), which onnxruntime's WebGPU EP does not implement/);
    expect(strict.supports(instance({ kind: 'sum', arity: 2 }, [1, 4, 4, 4]))).toBe(true);
    expect(strict.supports(conv)).toBe(true);
    const err = await strict.time(opModel(sum), FAST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/the WebGPU EP cannot run every node of 'sum:/);
    expect((err as UserError).hint).toMatch(/cpuFallback=true/);
    await expect(strict.conformanceRunner()(opModel(sum).onnx, {})).rejects.toBeInstanceOf(ConformanceSkip);
    expect(new OrtWebGpuDevice({ cpuFallback: true }).supports(sum)).toBe(true);
    await strict.dispose();
  });
});

describe.skipIf(available !== true)('webgpu-native: GPU timestamps', () => {
  it('auto uses them where the adapter gives them, else says why it times by wall clock; a model without kernels takes 0', async () => {
    const d = new OrtWebGpuDevice({ preferredLayout: 'NCHW' });
    const info = await d.init();
    if (info.options.timing !== 'gpu') {
      // Not this machine's case (SwiftShader gives timestamps here): the fallback must say so.
      console.warn(`webgpu-native: no GPU timestamps on this adapter: ${info.timing}`);
      expect(info.timing).toMatch(/fence run .*; no GPU timestamps \(.+\)$/);
      await expect(new OrtWebGpuDevice({ preferredLayout: 'NCHW', timing: 'gpu' }).init()).rejects.toThrow(/timing=gpu needs GPU timestamps/);
      return void (await d.dispose());
    }
    expect(info.timing).toMatch(/^GPU time per session\.run: the sum of its kernels' durations from WebGPU timestamp queries/);
    const r = await d.time(opModel(conv), FAST);
    expect(r.stats.median).toBeGreaterThan(0);
    expect(r.stats.n).toBeGreaterThanOrEqual(1);
    // An Identity is a buffer copy for the EP, not a GPU program: no kernel, no GPU time.
    const overhead = await d.time(overheadModel([1, 1, 1, 1]), FAST);
    expect(overhead.stats.median).toBe(0);
    await d.dispose();
  });
});
