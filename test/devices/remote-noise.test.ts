/**
 * A round timed in another process (a farm worker) comes with that process's machine reading (TimingResult.noise):
 * timeRound keeps it instead of its own, so the round gate's wait threshold sees the thread that timed the round.
 */
import { describe, expect, it } from 'vitest';
import { MockDevice } from '../../devices/mock/index.js';
import type { NoiseReading } from '../../devices/noise.js';
import { measureModel, timeRound } from '../../devices/rounds.js';
import type { ModelUnderTest, TimingProtocol, TimingResult } from '../../devices/types.js';
import { opModel } from '../../export/model.js';
import { parseOpKey } from '../../src/core/keys.js';

const FAST: TimingProtocol = { warmup: 1, minRepeats: 3, maxRepeats: 10, maxTimeMs: 50, targetCI: 0.05 };
const MODEL = opModel(parseOpKey('conv:1x3x32x32:c16:k3:s2:g1:d1:relu6:f32'), { seed: 0 });

/** The mock device, as a worker's results reach the coordinator: each round with the reading `readings` gives in turn. */
class RemoteMock extends MockDevice {
  private calls = 0;
  constructor(private readonly readings: readonly NoiseReading[]) {
    super({ noise: 0, outlierRate: 0, seed: 5 });
  }
  override async time(model: ModelUnderTest, protocol: TimingProtocol): Promise<TimingResult> {
    return { ...(await super.time(model, protocol)), noise: this.readings[this.calls++ % this.readings.length] };
  }
}

describe("a round's machine reading from where it was timed", () => {
  it('timeRound keeps the reading the result carries; without one it reads its own', async () => {
    const remote = new RemoteMock([{ load1: 7.25, waitPct: 55, cpu: 1 }]);
    await remote.init();
    const r = await timeRound(remote, MODEL, FAST);
    expect(r.noise).toEqual({ load1: 7.25, waitPct: 55, cpu: 1 });
    const plain = new MockDevice({ noise: 0, seed: 5 });
    await plain.init();
    const local = await timeRound(plain, MODEL, FAST);
    expect(local.noise?.load1).toEqual(expect.any(Number));
    expect(local.noise?.load1).not.toBe(7.25);
  });

  it("the round gate sets aside the round whose worker's thread waited, and retakes it", async () => {
    const protocol: TimingProtocol = { ...FAST, rounds: 3, estimator: 'lower-half', maxSpread: 0.5, extraRounds: 2, roundGate: { waitPct: 30 } };
    const remote = new RemoteMock([{ load1: 1, waitPct: 55 }, { load1: 1, waitPct: 2 }, { load1: 1, waitPct: 0 }, { load1: 1, waitPct: 1 }]);
    await remote.init();
    const r = await measureModel(remote, MODEL, protocol);
    expect(r.setAside).toBe(1);
    expect(r.details.map((d) => d.asideWhy ?? null)).toEqual(['wait', null, null, null]);
    expect(r.rounds).toHaveLength(3);
  });
});
