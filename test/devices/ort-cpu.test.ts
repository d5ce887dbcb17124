import { describe, expect, it } from 'vitest';
import { OrtCpuDevice, ortCpuFactory, parseOrtCpuOptions } from '../../devices/ort-cpu/index.js';
import { DEFAULT_PROTOCOL } from '../../devices/types.js';
import { UserError } from '../../src/core/errors.js';
import { ANCHOR_INSTANCE } from '../../devices/anchor.js';
import { referenceModel } from '../../devices/reference.js';
import { opModel } from '../../export/model.js';

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

  it.skipIf(available !== true)('times the reference before the model\'s first batch and after its last, not between its batches', async () => {
    const d = new OrtCpuDevice({ threads: 1 });
    await d.init();
    const reference = referenceModel('conv');
    // Samples that cannot converge (a CI target of 0.01%): the model's runs come in several batches.
    const r = await d.timeWithReference(opModel(ANCHOR_INSTANCE), { warmup: 3, minRepeats: 5, maxRepeats: 40, maxTimeMs: 5000, targetCI: 1e-4 }, reference);
    expect(r.stats.n + r.stats.rejected).toBe(40);
    expect(r.batches!.map((b) => b.position)).toEqual(['warmup', 'after']);
    expect(r.referenceMs).toBeGreaterThan(0);
    expect(r.batches!.every((b) => b.ms > 0)).toBe(true);
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
