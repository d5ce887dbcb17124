/**
 * The round gate on a farm (devices/rounds.ts, src/farm/worker.ts): the worker reads the machine's state over each
 * round it times (its measuring thread's wait for a CPU included) and sends it with the round; the coordinator's
 * timeRound keeps that reading, so a round whose thread waited on the worker is set aside and retaken as in a
 * local run. Before, the coordinator read its own thread, which only waits for Redis: the wait threshold never fired.
 */
import { describe, expect, it } from 'vitest';
import { MockDevice } from '../../devices/mock/index.js';
import type { NoiseReading } from '../../devices/noise.js';
import { measureModel } from '../../devices/rounds.js';
import type { TimingProtocol } from '../../devices/types.js';
import { opModel } from '../../export/model.js';
import { parseOpKey } from '../../src/core/keys.js';
import { FarmDevice } from '../../src/farm/farm-device.js';
import { FarmWorker } from '../../src/farm/worker.js';
import { redisMissing, useTestRedis } from './redis.js';

const OPTIONS = { noise: 0, outlierRate: 0, seed: 41 };
const PROTOCOL: TimingProtocol = { warmup: 1, minRepeats: 3, maxRepeats: 10, maxTimeMs: 50, targetCI: 0.05, rounds: 3, estimator: 'lower-half', maxSpread: 0.5, extraRounds: 2, roundGate: { waitPct: 30 } };

describe.skipIf(redisMissing)('the round gate on a farm' + (redisMissing ? ` — skipped: ${redisMissing}` : ''), () => {
  const redis = useTestRedis();

  it("a round whose worker thread waited for a CPU is set aside and retaken; each round keeps the worker's reading", async () => {
    // The worker's reading of its first timing job says its thread waited 60% of the round; the others 0–2%.
    const waits = [60, 2, 0, 1, 0];
    let jobs = 0;
    const probe = () => {
      const waitPct = waits[jobs++ % waits.length];
      return { read: (): NoiseReading => ({ load1: 3.75, waitPct }) };
    };
    const worker = await FarmWorker.start({ redis: redis.url, deviceName: 'mock', requested: OPTIONS, createDevice: () => new MockDevice(OPTIONS), probe });
    const farm = await FarmDevice.open({ redis: redis.url, device: 'mock', options: OPTIONS, waitMs: 5000 });
    try {
      const model = opModel(parseOpKey('conv:1x3x32x32:c16:k3:s2:g1:d1:relu6:f32'), { seed: 0 });
      const r = await measureModel(farm, model, PROTOCOL);
      expect(r.details.map((d) => d.asideWhy ?? null)).toEqual(['wait', null, null, null]);
      expect(r.setAside).toBe(1);
      expect(r.rounds).toHaveLength(3);
      // The readings are the worker's (load 3.75 is what its probe said), not the coordinator's own.
      expect(r.details.map((d) => d.noise)).toEqual(waits.slice(0, 4).map((waitPct) => ({ load1: 3.75, waitPct })));
      await farm.forget();
    } finally {
      await farm.dispose();
      await worker.close();
    }
  }, 60_000);
});
