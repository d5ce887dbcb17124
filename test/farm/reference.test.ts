/**
 * The timing reference on the farm (devices/reference.ts, src/farm/worker.ts): a worker times the reference beside
 * each job's round in the session its device keeps for it and returns the round as timed with the reference's
 * reading; the coordinator scales the rounds to the LUT's R and β and, for a fresh LUT, adopts them at the end, as
 * a local run does. In process on a mock machine whose speed drifts (item and reference alike: the reference
 * cancels it), then with a real `nas worker --device cpu` process (onnxruntime-node).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockDevice } from '../../devices/mock/index.js';
import { referenceModel, scaleStats, type ReferencedResult } from '../../devices/reference.js';
import { timeRound } from '../../devices/rounds.js';
import type { ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { networkModel, opModel } from '../../export/model.js';
import { readLut } from '../../lut/store.js';
import { UserError } from '../../src/core/errors.js';
import { parseOpKey } from '../../src/core/keys.js';
import { FarmDevice } from '../../src/farm/farm-device.js';
import { prefetchLut } from '../../src/farm/prefetch.js';
import { FarmWorker } from '../../src/farm/worker.js';
import { profile } from '../../src/profile/profiler.js';
import { createSpace } from '../../src/spaces/registry.js';
import { nasInProcess } from '../cli/helpers.js';
import { mockFront } from '../verify/fixtures.js';
import { nas, ready, stopAll } from './procs.js';
import { redisMissing, TestRedis } from './redis.js';

const FAST: TimingProtocol = { warmup: 2, minRepeats: 5, maxRepeats: 50, maxTimeMs: 150, targetCI: 0.02 };
const EXACT = { noise: 0, outlierRate: 0, seed: 31 };

/** The mock device without noise on a machine whose speed changes from one round to the next, the item and the reference beside it alike. */
class DriftingMock extends MockDevice {
  private calls = 0;
  constructor(private readonly speeds: readonly number[]) {
    super(EXACT);
  }
  async timeWithReference(model: ModelUnderTest, protocol: TimingProtocol, reference: ModelUnderTest): Promise<ReferencedResult> {
    const s = this.speeds[this.calls++ % this.speeds.length];
    const r = await this.time(model, protocol);
    const ref = await this.time(reference, FAST);
    return { ...r, stats: scaleStats(r.stats, s), referenceMs: ref.stats.median * s };
  }
}

describe.skipIf(redisMissing)('the timing reference on the farm' + (redisMissing ? ` — skipped: ${redisMissing}` : ''), () => {
  let redis: TestRedis;
  let dir: string;
  beforeAll(async () => {
    redis = await TestRedis.start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'nas-farm-reference-'));
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("profile and verify --redis on a drifting worker: the rounds are scaled, R and β adopted at the end; the LUT and the verified nets are a steady machine's", async () => {
    const instances = createSpace('nb201').allInstances();
    const protocol: TimingProtocol = { ...FAST, rounds: 3 };
    const steady = new MockDevice(EXACT);
    const steadyPath = path.join(dir, 'steady.lut.json');
    await profile({ device: steady, instances, protocol, lutPath: steadyPath, ownLayout: false });
    const refMs = (await steady.time(referenceModel('conv'), FAST)).stats.median;
    const worker = await FarmWorker.start({ redis: redis.url, deviceName: 'mock', requested: EXACT, createDevice: () => new DriftingMock([1, 1.4, 1.1, 1.25]) });
    const lutPath = path.join(dir, 'farm.lut.json');
    try {
      const farm = await FarmDevice.open({ redis: redis.url, device: 'mock', options: EXACT, waitMs: 5000 });
      try {
        const withReference = { ...protocol, reference: 'conv' };
        await prefetchLut(farm, { instances, lutPath, protocol: withReference });
        const result = await profile({ device: farm, instances, protocol: withReference, lutPath, ownLayout: false });
        expect(result.summary).toMatchObject({ measured: instances.length, interrupted: false });
        // The item drifts as far as its reference: β fitted 1 from the rounds the worker returned.
        expect(result.referenceAdopted).toMatchObject({ finalMs: expect.closeTo(refMs, 6), slope: expect.closeTo(1, 6) });
        await farm.forget();
      } finally {
        await farm.dispose();
      }
      const lut = readLut(lutPath);
      const plain = readLut(steadyPath);
      expect(lut.protocol).toMatchObject({ reference: 'conv', referenceMs: expect.closeTo(refMs, 6), referenceSlope: expect.closeTo(1, 6) });
      expect(lut.referenceProvisional).toBeUndefined();
      for (const [key, e] of Object.entries(plain.entries)) {
        expect(lut.entries[key].stats.median, key).toBeCloseTo(e.stats.median, 9);
        expect(lut.entries[key].noise?.referenceMs, key).toBeGreaterThan(0);
      }
      expect(lut.overhead.median).toBeCloseTo(plain.overhead.median, 9);

      // nas verify --redis against that LUT: the members scaled to its R on the drifting worker, a steady machine's figures.
      const { file, front } = await mockFront(lutPath, 'front.json', 3, { targetMs: 1e9 });
      const r = await nasInProcess('verify', '--front', file, '--device', 'mock', '--redis', redis.url, '--json');
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.protocol).toMatchObject({ reference: 'conv', referenceMs: lut.protocol.referenceMs });
      expect(doc.summary).toMatchObject({ measured: 3, failed: 0 });
      for (const m of doc.members as { name: string; measured: { median: number } }[]) {
        const arch = front.members.find((f) => f.name === m.name)!.architecture;
        expect(m.measured.median, m.name).toBeCloseTo((await steady.time(networkModel(arch, { seed: 0 }), FAST)).stats.median, 7);
      }
      expect(worker.record.interleavesReference).toBe(true);
    } finally {
      await steady.dispose();
      await worker.close();
    }
  }, 180_000);

  it('workers whose device cannot interleave a reference: one clear refusal naming --reference off, before anything is queued', async () => {
    const worker = await FarmWorker.start({ redis: redis.url, deviceName: 'mock', requested: { seed: 32 }, createDevice: () => new MockDevice({ seed: 32 }) });
    const farm = await FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 32 }, waitMs: 5000 });
    try {
      const model = opModel(parseOpKey('conv:1x3x32x32:c16:k3:s2:g1:d1:relu6:f32'), { seed: 0 });
      const protocol: TimingProtocol = { ...FAST, reference: 'conv', referenceMs: 1 };
      for (const attempt of [farm.prefetch([model], protocol), timeRound(farm, model, protocol)]) {
        const err = await attempt.catch((e) => e);
        expect(err).toBeInstanceOf(UserError);
        expect(err.message).toMatch(/cannot time a timing reference beside the models: device mock cannot interleave one/);
        expect(err.hint).toMatch(/--reference off/);
      }
      expect(worker.record.interleavesReference).toBe(false);
    } finally {
      await farm.dispose();
      await worker.close();
    }
  }, 60_000);

  it('nas profile --redis and nas verify --redis with an ort-cpu worker process: the default reference, R and β adopted, the calibration nets measured', async () => {
    const workers = [nas(['worker', '--redis', redis.url, '--device', 'cpu', '--threads', '1'])];
    try {
      await ready(workers);
      const lut = path.join(dir, 'cpu.lut.json');
      const timing = ['--warmup', '1', '--min-repeats', '3', '--max-repeats', '5', '--max-time-ms', '30', '--rounds', '2'];
      const p = await nasInProcess('profile', '--redis', redis.url, '--device', 'cpu', '--threads', '1', '--space', 'nb201', '--calibrate', '3', '--context-nets', '0', ...timing, '--out', lut);
      expect(p.code, p.stderr).toBe(0);
      const doc = readLut(lut);
      expect(doc.protocol).toMatchObject({ reference: 'mbv2net64', referenceMs: expect.any(Number), referenceSlope: expect.any(Number) });
      expect(doc.protocol.referenceMs).toBeGreaterThan(0);
      expect(doc.referenceProvisional).toBeUndefined();
      for (const [key, e] of Object.entries(doc.entries)) expect(e.noise?.referenceMs, key).toBeGreaterThan(0);
      // The calibration nets were timed in the same passes, with the reference (whether the fit is kept depends on how it
      // predicts held-out nets, which a loaded machine decides): all three were measured.
      expect(p.stderr).toMatch(/calibrating on 3 networks/);
      expect(p.stderr).not.toMatch(/calibration networks could be measured; not calibrated/);
      // The weight cost is profiled where the entries were timed: by the worker, not on the coordinator's CPU.
      expect(p.stderr).toMatch(/calibration: weights inside a network cost [0-9.]+ µs per MiB .*measured on worker /);
      const front = path.join(dir, 'cpu-front.json');
      const s = await nasInProcess('search', '--space', 'nb201', '--lut', lut, '--evaluator', 'table', '--strategy', 'nsga2', '--budget', '40', '--seed', '1', '--out', front);
      expect(s.code, s.stderr).toBe(0);
      const v = await nasInProcess('verify', '--redis', redis.url, '--device', 'cpu', '--threads', '1', '--front', front, '--state', path.join(dir, 'cpu.verify.json'), '--json');
      expect(v.code, v.stderr).toBe(0);
      const result = JSON.parse(v.stdout);
      expect(result.protocol).toMatchObject({ reference: 'mbv2net64', referenceMs: doc.protocol.referenceMs });
      expect(result.summary.failed).toBe(0);
      expect(result.summary.measured).toBeGreaterThan(0);
    } finally {
      await stopAll(workers);
    }
  }, 480_000); // ~10 s at load 5 on 2 cores; 230 s at load 13
});
