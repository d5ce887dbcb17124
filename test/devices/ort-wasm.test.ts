import { describe, expect, it } from 'vitest';
import { mismatch, CPU_TOLERANCE } from '../../devices/conformance/compare.js';
import { ortCpuRunner } from '../../devices/conformance/ort-runner.js';
import type { TensorData } from '../../devices/conformance/tensor.js';
import { OrtWasmDevice, ortWasmFactory, parseOrtWasmOptions } from '../../devices/ort-wasm/index.js';
import type { TimingProtocol } from '../../devices/types.js';
import { opModel } from '../../export/model.js';
import { UserError } from '../../src/core/errors.js';
import { instance } from '../../src/core/ops.js';
import { Rng } from '../../src/core/rng.js';

const FAST: TimingProtocol = { warmup: 2, minRepeats: 5, maxRepeats: 30, maxTimeMs: 500, targetCI: 0.1 };
const mbconv = instance({ kind: 'mbconv', cout: 8, k: 3, stride: 1, expand: 3, se: 0.25, act: 'hswish', skip: true }, [1, 8, 8, 8]);

describe('wasm device (onnxruntime-web in Node)', () => {
  it('parses its options with defaults and refuses simd=false with the reason', () => {
    expect(parseOrtWasmOptions({})).toEqual({ threads: 1, simd: true, graphOptimizationLevel: 'all', outputs: 'sliced', compiler: 'turbofan' });
    expect(parseOrtWasmOptions({ threads: '0', simd: 'true', graphOptimizationLevel: 'basic', compiler: 'liftoff' })).toEqual({
      threads: 0,
      simd: true,
      graphOptimizationLevel: 'basic',
      outputs: 'sliced',
      compiler: 'liftoff',
    });
    expect(() => parseOrtWasmOptions({ compiler: 'sparkplug' })).toThrow(/option 'compiler' must be one of turbofan, liftoff, got "sparkplug"/);
    const err = (() => {
      try {
        parseOrtWasmOptions({ simd: false });
      } catch (e) {
        return e as UserError;
      }
    })();
    expect(err).toBeInstanceOf(UserError);
    expect(err?.hint).toMatch(/ships only SIMD/);
    expect(() => parseOrtWasmOptions({ threads: -1 })).toThrow(/≥ 0/);
  });

  it('is available where onnxruntime-web is installed', async () => {
    expect(await ortWasmFactory.available()).toBe(true);
  });

  it('records runtime, version, threads and SIMD, and times a small op', async () => {
    const d = new OrtWasmDevice({ threads: 1 });
    const info = await d.init();
    expect(info).toMatchObject({
      device: 'wasm',
      runtime: 'onnxruntime-web',
      ep: 'wasm',
      options: { threads: 1, simd: 'fixed', executionMode: 'sequential', graphOptimizationLevel: 'all', binary: 'ort-wasm-simd-threaded.wasm', outputs: 'sliced', compiler: 'turbofan' },
    });
    expect(info.runtimeVersion).toMatch(/^1\.\d+\.\d+/);
    expect(info.warnings).toBeUndefined();
    const r = await d.time(opModel(mbconv), FAST);
    expect(r.stats.median).toBeGreaterThan(0);
    expect(r.coldMs).toBeGreaterThan(0);
    expect(r.setupMs).toBeGreaterThan(0);
    await d.dispose();
  });

  it('refuses another thread count once the runtime runs in this process', async () => {
    await new OrtWasmDevice({ threads: 1 }).init();
    const err = await new OrtWasmDevice({ threads: 2 }).init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/already runs in this process with threads=1; it cannot restart with threads=2/);
  });

  it('refuses another compiler once the runtime runs in this process (V8 compiled its module under the first)', async () => {
    await new OrtWasmDevice({ threads: 1 }).init();
    const err = await new OrtWasmDevice({ threads: 1, compiler: 'liftoff' }).init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/already runs in this process with compiler=turbofan \(--no-liftoff\); it cannot restart with compiler=liftoff/);
  });

  it('reads an old LUT without the option as measured on Liftoff (legacyOptions)', () => {
    expect(ortWasmFactory.legacyOptions).toMatchObject({ compiler: 'liftoff' });
    expect(ortWasmFactory.options).toContain('compiler');
  });

  it('computes what the CPU EP computes (through its conformance runner)', async () => {
    const d = new OrtWasmDevice({ threads: 1 });
    await d.init();
    const model = opModel(mbconv);
    const feeds: Record<string, TensorData> = { input: { type: 'float32', dims: [...mbconv.input], data: new Rng(3).fill(8 * 8 * 8) } };
    const [wasm, cpu] = [await d.conformanceRunner()(model.onnx, feeds), await (await ortCpuRunner())(model.onnx, feeds)];
    expect(mismatch(wasm.output, cpu.output, CPU_TOLERANCE)).toBeUndefined();
    // and the comparison does see a difference when there is one
    const off = { ...cpu.output, data: (cpu.output.data as Float32Array).map((v, i) => (i === 5 ? v + 1 : v)) };
    expect(mismatch(wasm.output, off, CPU_TOLERANCE)).toMatch(/^1 of 512 elements differ \(element 5:/);
  });

  it('says which model could not be loaded', async () => {
    const d = new OrtWasmDevice({ threads: 1 });
    await d.init();
    const err = await d.time({ key: 'conv:broken', onnx: new Uint8Array([8, 1, 2, 3]), inputs: [], ops: [] }, FAST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/^wasm: cannot load model 'conv:broken' \(4 bytes\): /);
  });
});
