/**
 * The remote device page joins the pool: a worker serving `--device remote --serve` (here the device opens
 * its page itself in headless Chromium, client=local, playing the phone) takes farm jobs, and the
 * browser measures them.
 */
import { describe, expect, it } from 'vitest';
import { RemoteDevice, remoteFactory } from '../../devices/remote/index.js';
import type { TimingProtocol } from '../../devices/types.js';
import { opModel } from '../../export/model.js';
import { instance } from '../../src/core/ops.js';
import { FarmDevice } from '../../src/farm/farm-device.js';
import { FarmWorker } from '../../src/farm/worker.js';
import { redisMissing, useTestRedis } from './redis.js';
import { expectSampleCount } from '../devices/sample-count.js';

const available = await remoteFactory.available();
const browserMissing = available === true ? undefined : `remote device unavailable: ${available}`;
const skip = redisMissing ?? browserMissing;
// maxTimeMs leaves room for minRepeats on a loaded machine; a time budget that runs out first stops the run with
// fewer samples (CI once got 3 of 5 within 1 s, its browser's first runs slow), which expectSampleCount accepts.
const FAST: TimingProtocol = { warmup: 2, minRepeats: 5, maxRepeats: 50, maxTimeMs: 10_000, targetCI: 0.1 };

describe.skipIf(skip)('farm with the remote device' + (skip ? ` — skipped: ${skip}` : ''), () => {
  const redis = useTestRedis();

  it('a browser that opened the worker’s page measures the farm’s jobs', async () => {
    const options = { serve: true, client: 'local', ep: 'wasm', connectTimeoutMs: 60_000 };
    const worker = await FarmWorker.start({ redis: redis.url, deviceName: 'remote', requested: options, createDevice: () => new RemoteDevice(options, { log: () => undefined }) });
    const farm = await FarmDevice.open({ redis: redis.url, device: 'remote', options: {}, waitMs: 10_000 });
    try {
      const info = await farm.init();
      expect(info).toMatchObject({ device: 'remote', runtime: 'onnxruntime-web', ep: 'wasm' });
      expect(String(info.options.userAgent)).toMatch(/Chrome/);
      const conv = opModel(instance({ kind: 'conv', cout: 8, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, 4, 8, 8]));
      const r = await farm.time(conv, FAST);
      expectSampleCount(r.stats, FAST);
      expect(r.stats.median).toBeGreaterThan(0);
    } finally {
      await farm.dispose();
      await worker.close();
    }
  }, 120_000);
});
