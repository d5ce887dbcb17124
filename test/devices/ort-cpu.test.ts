import { describe, expect, it } from 'vitest';
import { OrtCpuDevice, ortCpuFactory, parseOrtCpuOptions } from '../../devices/ort-cpu/index.js';
import { DEFAULT_PROTOCOL } from '../../devices/types.js';
import { UserError } from '../../src/core/errors.js';

const available = await ortCpuFactory.available();
if (available !== true) console.warn(`ort-cpu tests that load onnxruntime are skipped: ${available}`);

describe('ort-cpu device', () => {
  it('parses its options with defaults', () => {
    expect(parseOrtCpuOptions({})).toEqual({ threads: 0, graphOptimizationLevel: 'all', outputs: 'sliced' });
    expect(parseOrtCpuOptions({ threads: '2', graphOptimizationLevel: 'basic', outputs: 'full', other: 1 })).toEqual({ threads: 2, graphOptimizationLevel: 'basic', outputs: 'full' });
    expect(() => parseOrtCpuOptions({ threads: 1.5 })).toThrow(/integer/);
    expect(() => parseOrtCpuOptions({ threads: -1 })).toThrow(/≥ 0/);
  });

  it.skipIf(available !== true)('records what decides latency in DeviceInfo', async () => {
    const d = new OrtCpuDevice({ threads: 1, graphOptimizationLevel: 'extended' });
    const info = await d.init();
    expect(info).toMatchObject({
      device: 'ort-cpu',
      runtime: 'onnxruntime-node',
      ep: 'cpu',
      options: { threads: 1, interOpThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'extended', outputs: 'sliced' },
    });
    expect(info.runtimeVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.warnings).toBeUndefined();
    await d.dispose();
  });

  it.skipIf(available !== true)('says which model could not be loaded', async () => {
    const d = new OrtCpuDevice({ threads: 1 });
    await d.init();
    const bad = { key: 'conv:broken', onnx: new Uint8Array([8, 1, 2, 3]), inputs: [], ops: [] };
    const err = await d.time(bad, DEFAULT_PROTOCOL).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/^ort-cpu: cannot load model 'conv:broken' \(4 bytes\): /);
    await d.dispose();
  });
});
