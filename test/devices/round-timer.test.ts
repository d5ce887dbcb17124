import { describe, expect, it } from 'vitest';
import { MockDevice } from '../../devices/mock/index.js';
import { roundTimer } from '../../devices/round-timer.js';
import { DEFAULT_PROTOCOL, type TimingProtocol } from '../../devices/types.js';
import { overheadModel } from '../../export/model.js';
import { UserError } from '../../src/core/errors.js';
import { expectSampleCount } from './sample-count.js';

const p: TimingProtocol = { warmup: 1, minRepeats: 3, maxRepeats: 5, maxTimeMs: 50, targetCI: 0.5 };

describe('roundTimer', () => {
  it('times in this process when the protocol does not ask for fresh processes', async () => {
    const device = new MockDevice({ noise: 0 });
    await device.init();
    const timer = roundTimer(device, p);
    expect(timer.beforePass).toBeUndefined();
    const r = await timer.time(overheadModel([1, 1, 1, 1]));
    expectSampleCount(r.stats, p);
    expect(r.noise?.probeMs).toBeGreaterThan(0);
    await timer.stop();
  });
  it('refuses fresh processes without the device to create in them', () => {
    expect(() => roundTimer(new MockDevice(), { ...DEFAULT_PROTOCOL, freshProcess: true })).toThrow(UserError);
  });
  it('under freshProcess times in a worker started by beforePass, the same figures as here for a deterministic device', async () => {
    const device = new MockDevice({ noise: 0 });
    await device.init();
    const model = overheadModel([1, 1, 1, 1]);
    const here = await roundTimer(device, p).time(model);
    const timer = roundTimer(device, { ...p, freshProcess: true }, { name: 'mock', options: { noise: 0 } });
    await expect(timer.time(model)).rejects.toThrow(/before restart/);
    await timer.beforePass!();
    const there = await timer.time(model);
    await timer.stop();
    expect(there.stats.median).toBeCloseTo(here.stats.median, 9);
  }, 120_000);
});
