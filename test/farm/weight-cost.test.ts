/**
 * The calibration's weight cost on a farm (src/profile/calibration-weight-cost.ts, src/farm/worker.ts): profiled by
 * a worker of onnxruntime-node's CPU provider at 1 thread and level all, as a job on its device's queue, never on
 * the coordinator; where the workers cannot (another device, an older hw-nas) the calibration is told why and
 * fitted without it.
 */
import { describe, expect, it } from 'vitest';
import { MockDevice } from '../../devices/mock/index.js';
import { resolveDevice } from '../../devices/registry.js';
import type { Architecture } from '../../src/core/arch.js';
import { FarmDevice } from '../../src/farm/farm-device.js';
import { FarmWorker } from '../../src/farm/worker.js';
import { calibrationWeightCost } from '../../src/profile/calibration-weight-cost.js';
import { THREE_BLOCKS } from '../predict/fixtures/three-blocks.js';
import { redisMissing, useTestRedis } from './redis.js';

describe('calibrationWeightCost', () => {
  it('asks a device that times its models elsewhere to measure it there, and tells a failure apart', async () => {
    const info = await new MockDevice().init();
    const ortInfo = { ...info, runtime: 'onnxruntime-node', ep: 'cpu', options: { threads: 1, graphOptimizationLevel: 'all' } };
    const asked: number[] = [];
    const remote = {
      measureWeightCost: async (archs: readonly Architecture[], n: number) => {
        asked.push(archs.length, n);
        return { perWeightByteMs: 3e-8, perUnitMs: 0.001, blocks: 3, residualMs: 0, where: 'on worker w1' };
      },
    };
    const r = await calibrationWeightCost(remote, ortInfo, [THREE_BLOCKS], 2);
    expect(asked).toEqual([1, 2]);
    expect(r.options).toEqual({ perWeightByteMs: 3e-8 });
    expect(r.fit).toEqual({ perWeightByteMs: 3e-8, perUnitMs: 0.001, blocks: 3, residualMs: 0 });
    expect(r.message).toMatch(/31\.5 µs per MiB .*3 blocks of 1 calibration networks, measured on worker w1 in/);
    // A slope of 0 is measured, but gives the fit nothing.
    const flat = await calibrationWeightCost({ measureWeightCost: async () => ({ perWeightByteMs: 0, perUnitMs: 0, blocks: 3, residualMs: 0 }) }, ortInfo, [THREE_BLOCKS]);
    expect([flat.fit?.blocks, flat.options]).toEqual([3, {}]);
    const failed = await calibrationWeightCost({ measureWeightCost: () => Promise.reject(new Error('the workers run an older hw-nas')) }, ortInfo, [THREE_BLOCKS]);
    expect(failed).toEqual({ options: {}, message: 'calibration: the weight cost could not be measured (the workers run an older hw-nas); fitted without it' });
    // Another device or settings, or no networks: nothing, and nothing asked.
    expect(await calibrationWeightCost(remote, info, [THREE_BLOCKS])).toEqual({ options: {} });
    expect(await calibrationWeightCost(remote, { ...ortInfo, options: { threads: 2, graphOptimizationLevel: 'all' } }, [THREE_BLOCKS])).toEqual({ options: {} });
    expect(await calibrationWeightCost(remote, ortInfo, [])).toEqual({ options: {} });
    expect(asked).toEqual([1, 2]);
  });
});

describe.skipIf(redisMissing)('the weight cost on the farm' + (redisMissing ? ` — skipped: ${redisMissing}` : ''), () => {
  const redis = useTestRedis();

  it('is a job on a worker of ort-cpu (1 thread, level all); the coordinator profiles nothing itself', async () => {
    const jobs: string[] = [];
    const worker = await FarmWorker.start({
      redis: redis.url,
      deviceName: 'ort-cpu',
      requested: { threads: 1 },
      createDevice: () => resolveDevice('ort-cpu', { threads: 1 }),
      onJob: (e) => void jobs.push(`${e.name} ${e.ok}${e.error ? ` ${e.error}` : ''}`),
    });
    const farm = await FarmDevice.open({ redis: redis.url, device: 'ort-cpu', options: { threads: 1 }, waitMs: 5000 });
    try {
      expect(worker.record.measuresWeightCost).toBe(true);
      const info = await farm.init();
      // A coordinator that measured it here would not go through the queue: the worker's job is the proof.
      const r = await calibrationWeightCost(farm, info, [THREE_BLOCKS], 1);
      expect(jobs).toEqual(['weight-cost true']);
      expect(r.message).toMatch(new RegExp(`measured on worker ${worker.record.id} in`));
      expect(r.fit?.blocks).toBe(3);
      expect(r.fit!.perWeightByteMs).toBeGreaterThanOrEqual(0);
      // Workers of an older hw-nas do not announce it: the calibration is told so, and nothing is queued.
      const older = { ...farm.worker, measuresWeightCost: undefined };
      Object.defineProperty(farm, 'worker', { value: older });
      const refused = await calibrationWeightCost(farm, info, [THREE_BLOCKS], 1);
      expect(refused.message).toMatch(/could not be measured \(the farm's workers of fingerprint \w+ run an older hw-nas, which does not measure the weight cost on the worker\); fitted without it/);
      expect(jobs).toHaveLength(1);
      await farm.forget();
    } finally {
      await farm.dispose();
      await worker.close();
    }
  }, 120_000);

  it('a worker of another device has none to measure: the calibration does not ask, and FarmDevice refuses with the reason', async () => {
    const worker = await FarmWorker.start({ redis: redis.url, deviceName: 'mock', requested: { seed: 77 }, createDevice: () => new MockDevice({ seed: 77 }) });
    const farm = await FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 77 }, waitMs: 5000 });
    try {
      expect(worker.record.measuresWeightCost).toBe(false);
      await expect(farm.measureWeightCost([THREE_BLOCKS], 1)).rejects.toThrow(/have no weight cost to measure: only onnxruntime-node's CPU provider and wasm, at 1 thread and level all/);
      // The mock's record is not ort-cpu's: the calibration does not even ask.
      expect(await calibrationWeightCost(farm, await farm.init(), [THREE_BLOCKS], 1)).toEqual({ options: {} });
    } finally {
      await farm.dispose();
      await worker.close();
    }
  }, 60_000);
});
