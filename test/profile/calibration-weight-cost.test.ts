/**
 * Where a calibration gets the measured weight cost (src/profile/calibration-weight-cost.ts): LUTs of
 * onnxruntime-node's CPU provider and of onnxruntime-web's wasm build, each at 1 thread and level all, profiled on
 * the LUT's own runtime. On wasm every kernel of a block pairs with its unit's (no layout reorders there).
 */
import { describe, expect, it } from 'vitest';
import type { DeviceInfo } from '../../devices/types.js';
import type { Architecture } from '../../src/core/arch.js';
import { profileBlocks } from '../../src/predict/weight-cost.js';
import { calibrationWeightCost, weightCostTarget } from '../../src/profile/calibration-weight-cost.js';
import { THREE_BLOCKS } from '../predict/fixtures/three-blocks.js';

const info = (runtime: string, ep: string, options: Record<string, unknown>): DeviceInfo => ({ device: ep, runtime, runtimeVersion: '1.30.0', ep, options, host: { cpu: 'x', cores: 2, os: 'linux', node: 'v20' }, timing: 'wall clock' }) as DeviceInfo;
const ORT_CPU = info('onnxruntime-node', 'cpu', { threads: 1, graphOptimizationLevel: 'all' });
const WASM = info('onnxruntime-web', 'wasm', { threads: 1, graphOptimizationLevel: 'all', compiler: 'turbofan' });

describe('weightCostTarget', () => {
  it('names ort-cpu and wasm, each at 1 thread, and level all, nothing else', () => {
    expect(weightCostTarget(ORT_CPU)).toEqual({ runtime: 'ort-cpu', threads: 1 });
    expect(weightCostTarget(WASM)).toEqual({ runtime: 'wasm', threads: 1 });
    expect(weightCostTarget({ ...WASM, options: { ...WASM.options, threads: 2 } })).toBeUndefined();
    expect(weightCostTarget({ ...WASM, options: { ...WASM.options, graphOptimizationLevel: 'basic' } })).toBeUndefined();
    expect(weightCostTarget({ ...ORT_CPU, options: { threads: 0, graphOptimizationLevel: 'all' } })).toBeUndefined();
    expect(weightCostTarget(info('onnxruntime-node', 'webgpu', { threads: 1, graphOptimizationLevel: 'all' }))).toBeUndefined();
    expect(weightCostTarget(info('mock', 'mock', { threads: 1 }))).toBeUndefined();
  });
});

describe('the weight cost on wasm', () => {
  it('a wasm LUT asks a device that times its models elsewhere, as ort-cpu does', async () => {
    const asked: number[] = [];
    const remote = { measureWeightCost: async (archs: readonly Architecture[], n: number) => (asked.push(archs.length, n), { perWeightByteMs: 4e-8, perUnitMs: 0, blocks: 3, residualMs: 0, where: 'on worker w2' }) };
    const r = await calibrationWeightCost(remote, WASM, [THREE_BLOCKS], 3);
    expect(asked).toEqual([1, 3]);
    expect(r.options).toEqual({ perWeightByteMs: 4e-8 });
    expect(r.message).toMatch(/41\.9 µs per MiB .*measured on worker w2/);
  });

  it('is profiled on onnxruntime-web in this process: every kernel of a block pairs with its unit\'s', async () => {
    const blocks = await profileBlocks([THREE_BLOCKS], 3, 1, 'wasm');
    expect(blocks.map((b) => b.layer)).toEqual([0, 1, 2]);
    for (const b of blocks) {
      expect(b.matchedAloneMs).toBeGreaterThan(0);
      expect(b.matchedNetMs).toBeGreaterThan(0);
      // No NCHWc reorders on wasm: nothing is left on either side.
      expect([b.netOnlyMs, b.aloneOnlyMs]).toEqual([0, 0]);
    }
    const r = await calibrationWeightCost({}, WASM, [THREE_BLOCKS], 1);
    expect(r.fit?.blocks).toBe(3);
    expect(r.fit!.perWeightByteMs).toBeGreaterThanOrEqual(0);
    expect(r.message).toMatch(/3 blocks of 1 calibration networks, measured here in/);
  }, 120_000);
});
