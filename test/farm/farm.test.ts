/**
 * The farm in one process: FarmWorker instances and a FarmDevice on a Redis of the test's own.
 * What the CLI adds (processes, SIGKILL, restarts) is in farm.e2e.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, type Job } from 'bullmq';
import { networkModel, opModel, overheadModel } from '../../export/model.js';
import { MockDevice } from '../../devices/mock/index.js';
import type { Device, ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { parseOpKey } from '../../src/core/keys.js';
import { DeviceUnavailableError, UserError } from '../../src/core/errors.js';
import { lutInstances } from '../../src/core/decompose.js';
import { Rng } from '../../src/core/rng.js';
import { FarmDevice } from '../../src/farm/farm-device.js';
import { FarmWorker, type FarmWorkerOptions } from '../../src/farm/worker.js';
import { deviceQueueName } from '../../src/farm/registry.js';
import { JOB_TIME } from '../../src/farm/jobs.js';
import { prefetchLut, prefetchVerify } from '../../src/farm/prefetch.js';
import { PartialRounds } from '../../lut/partial-rounds.js';
import { profile, type ProfileNet } from '../../src/profile/profiler.js';
import { createSpace } from '../../src/spaces/registry.js';
import { verifyFront } from '../../src/verify/verify.js';
import { roundProtocol } from '../../devices/rounds.js';
import { readLut } from '../../lut/store.js';
import { redisMissing, TestRedis } from './redis.js';
import { nasInProcess } from '../cli/helpers.js';
import { mockFront, mockLut } from '../verify/fixtures.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PROTOCOL: TimingProtocol = { warmup: 1, minRepeats: 5, maxRepeats: 20, maxTimeMs: 200, targetCI: 0.05 };
const KEYS = ['conv:1x3x32x32:c16:k3:s2:g1:d1:relu6:f32', 'conv:1x16x16x16:c32:k3:s1:g1:d1:relu6:f32'];

function models(): ModelUnderTest[] {
  return KEYS.map((k) => opModel(parseOpKey(k), { seed: 0 }));
}

/** `n` distinct random nb201 nets at 32 px, as profile() takes the calibration's. */
function nets(n: number): ProfileNet[] {
  const space = createSpace('nb201');
  const rng = new Rng(9);
  const byName = new Map<string, ReturnType<typeof space.build>>();
  while (byName.size < n) {
    const arch = space.build(space.sample(rng));
    byName.set(arch.name, arch);
  }
  return [...byName.values()].map((arch, i) => ({ id: `n${i}`, instances: lutInstances(arch).map((p) => p.inst), build: () => networkModel(arch) }));
}

/**
 * A worker of the mock device with `seed`, and how many times its device has timed a model so far. `distinct`:
 * each timing's figures are shifted by its number × 1 ns, so the same result collected twice shows as a repeat.
 */
async function countingWorker(url: string, seed: number, distinct = false, onJob?: FarmWorkerOptions['onJob']): Promise<{ worker: FarmWorker; timed(): number }> {
  let timed = 0;
  const counting = (): Device => {
    const d = new MockDevice({ seed });
    const time = d.time.bind(d);
    d.time = async (m, p) => {
      const r = await time(m, p);
      const by = ++timed * 1e-6;
      if (!distinct) return r;
      const s = r.stats;
      return { ...r, stats: { ...s, median: s.median + by, mean: s.mean + by, p10: s.p10 + by, p90: s.p90 + by, min: s.min + by, max: s.max + by, ci95: [s.ci95[0] + by, s.ci95[1] + by] } };
    };
    return d;
  };
  const worker = await FarmWorker.start({ redis: url, deviceName: 'mock', requested: { seed }, createDevice: counting, onJob });
  return { worker, timed: () => timed };
}

describe.skipIf(redisMissing)('farm (in process)' + (redisMissing ? ` — skipped: ${redisMissing}` : ''), () => {
  let redis: TestRedis;
  let secured: TestRedis;
  beforeAll(async () => {
    redis = await TestRedis.start();
    secured = await TestRedis.start(['--requirepass', 's3cret']);
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
    await secured?.stop();
  });

  it('measures on a worker exactly what the device measures locally, through a password-protected Redis', async () => {
    const url = `redis://:s3cret@127.0.0.1:${secured.port}`;
    const worker = await FarmWorker.start({ redis: url, deviceName: 'mock', requested: {}, createDevice: () => new MockDevice() });
    const farm = await FarmDevice.open({ redis: url, device: 'mock', options: {}, waitMs: 5000 });
    try {
      const local = new MockDevice();
      await local.init();
      expect((await farm.init()).device).toBe('mock');
      await farm.prefetch(models(), PROTOCOL);
      for (const m of models()) expect((await farm.time(m, PROTOCOL)).stats).toEqual((await local.time(m, PROTOCOL)).stats);
    } finally {
      await farm.dispose();
      await worker.close();
    }
  }, 60_000);

  it('a wrong password is a user error naming Redis, without hanging', async () => {
    const err = await FarmDevice.open({ redis: `redis://:wrong@127.0.0.1:${secured.port}`, device: 'mock', options: {}, waitMs: 1000 }).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1/);
    expect(err.message).not.toContain('wrong');
  }, 30_000);

  it('with no matching worker says so within seconds, listing the workers it saw', async () => {
    const worker = await FarmWorker.start({ redis: redis.url, deviceName: 'mock', requested: { seed: 1 }, createDevice: () => new MockDevice({ seed: 1 }) });
    try {
      const t0 = Date.now();
      const err = await FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 2 }, waitMs: 1500 }).catch((e) => e);
      expect(Date.now() - t0).toBeLessThan(8000);
      expect(err).toBeInstanceOf(UserError);
      expect(err.exitCode).toBe(3);
      expect(err.message).toMatch(/no worker serves it .*seed=1/s);
    } finally {
      await worker.close();
    }
  }, 30_000);

  it('workers of two devices match: the coordinator stops and lists them; --fingerprint picks one', async () => {
    const a = await FarmWorker.start({ redis: redis.url, deviceName: 'mock', requested: { seed: 11 }, createDevice: () => new MockDevice({ seed: 11 }) });
    const b = await FarmWorker.start({ redis: redis.url, deviceName: 'mock', requested: { seed: 12 }, createDevice: () => new MockDevice({ seed: 12 }) });
    try {
      const err = await FarmDevice.open({ redis: redis.url, device: 'mock', options: {}, waitMs: 1000 }).catch((e) => e);
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toMatch(/workers of 2 different devices serve 'mock'/);
      expect(err.message).toContain(a.record.fingerprint);
      expect(err.message).toContain(b.record.fingerprint);
      const farm = await FarmDevice.open({ redis: redis.url, device: 'mock', options: {}, fingerprint: b.record.fingerprint.slice(0, 6), waitMs: 1000 });
      expect(farm.worker.fingerprint).toBe(b.record.fingerprint);
      await farm.dispose();
    } finally {
      await a.close();
      await b.close();
    }
  }, 30_000);

  it('every worker gone mid-run: pending jobs give up after --farm-wait with exit 3, instead of waiting forever', async () => {
    const worker = await FarmWorker.start({ redis: redis.url, deviceName: 'mock', requested: { seed: 21 }, createDevice: () => new MockDevice({ seed: 21 }) });
    const farm = await FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 21 }, waitMs: 1000 });
    try {
      await worker.close();
      const t0 = Date.now();
      const err = await farm.time(models()[0], { ...PROTOCOL, minRepeats: 6 }).catch((e) => e);
      expect(err).toBeInstanceOf(UserError);
      expect(err.exitCode).toBe(3);
      expect(err.message).toMatch(/no worker serving fingerprint [0-9a-f]{16} is left in the pool/);
      expect(Date.now() - t0).toBeLessThan(20_000);
    } finally {
      await farm.dispose();
    }
  }, 40_000);

  it('a job failing the same way every time is failed after --farm-attempts tries, with its reason', async () => {
    let calls = 0;
    const broken = (): Device => {
      const d = new MockDevice({ seed: 7 });
      d.time = async () => {
        calls++;
        throw new Error('the accelerator said no');
      };
      return d;
    };
    const worker = await FarmWorker.start({ redis: redis.url, deviceName: 'mock', requested: { seed: 7 }, createDevice: broken });
    const farm = await FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 7 }, waitMs: 5000, attempts: 2 });
    try {
      const err = await farm.time(models()[0], PROTOCOL).catch((e) => e);
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toMatch(/failed 2 time\(s\) on the farm: the accelerator said no/);
      expect(calls).toBe(2);
    } finally {
      await farm.dispose();
      await worker.close();
    }
  }, 60_000);

  it('the same model submitted twice is one job, measured once; a second coordinator gets the kept result', async () => {
    const { worker, timed } = await countingWorker(redis.url, 3);
    try {
      const a = await FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 3 }, waitMs: 5000 });
      const m = models()[1];
      // Two calls are two rounds of the model: two measurements (rounds must not collapse into one).
      const [r1, r2] = await Promise.all([a.time(m, PROTOCOL), a.time(m, PROTOCOL)]);
      expect(timed()).toBe(2);
      await a.dispose(); // without forget(): the results stay in Redis, as when a coordinator dies
      const b = await FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 3 }, waitMs: 5000 });
      const r3 = await b.time(m, PROTOCOL); // round 0 again: collected, not measured again
      await b.forget();
      await b.dispose();
      // The mock device's timings are deterministic; the worker's reading of the machine over each round (noise) is not.
      const timing = ({ noise: _noise, ...r }: typeof r1) => r;
      expect(timing(r2)).toEqual(timing(r1));
      expect(r2.noise).toBeDefined();
      // The kept result of round 0, the machine reading included: not measured again.
      expect([r1, r2]).toContainEqual(r3);
      expect(timed()).toBe(2);
    } finally {
      await worker.close();
    }
  }, 60_000);

  it("a completed run's jobs, once removed, are measured anew by the next run (--force, a recalibration), not answered from a worker's memory", async () => {
    const { worker, timed } = await countingWorker(redis.url, 13, true);
    const m = models()[0];
    const open = () => FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 13 }, waitMs: 5000 });
    try {
      const a = await open();
      const first = await a.time(m, PROTOCOL);
      await a.forget(); // the run completed and saved its results: its jobs are removed from Redis
      await a.dispose();
      const b = await open();
      const second = await b.time(m, PROTOCOL); // round 0 of the same model: the same job id, queued by another run
      await b.forget();
      await b.dispose();
      expect(timed()).toBe(2);
      expect(second.stats.median).not.toBe(first.stats.median);
    } finally {
      await worker.close();
    }
  }, 60_000);

  it('a job its own run queues again (Redis came back without it) is answered from memory; the same job queued by another run is measured', async () => {
    const reused: boolean[] = [];
    const { worker, timed } = await countingWorker(redis.url, 14, true, (e) => void (e.name === 'time' && reused.push(e.reused === true)));
    const farm = await FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 14 }, waitMs: 5000 });
    const queue = new Queue(deviceQueueName(worker.record.fingerprint), { connection: { host: '127.0.0.1', port: redis.port } });
    // The job gone from Redis and queued again with `data`, as the coordinator's reconciliation does after an empty restart.
    const requeue = async (job: Job, data: unknown): Promise<Job> => {
      await queue.remove(job.id!);
      await queue.add(job.name, data, { jobId: job.id });
      for (let i = 0; i < 200; i++) {
        // Read again once completed: a job fetched while still waiting or active carries no return value yet.
        if ((await queue.getJobState(job.id!)) === 'completed') return (await queue.getJob(job.id!))!;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the job queued again did not complete');
    };
    try {
      const first = await farm.time(models()[1], PROTOCOL);
      // The one time job (the queue may also hold the device's other jobs, in no set order).
      const timeJobs = (await queue.getJobs(['completed'])).filter((j) => j.name === JOB_TIME);
      expect(timeJobs).toHaveLength(1);
      const [job] = timeJobs;
      expect(job.data.run).toEqual(expect.any(String));
      const same = await requeue(job, job.data);
      expect(same.returnvalue).toEqual(first);
      expect(timed()).toBe(1);
      const other = await requeue(same, { ...job.data, run: 'another coordinator run' });
      expect(timed()).toBe(2);
      expect(other.returnvalue.stats.median).not.toBe(first.stats.median);
      expect(reused).toEqual([false, true, false]);
    } finally {
      await queue.close();
      await farm.dispose();
      await worker.close();
    }
  }, 60_000);

  it("the overhead model is measured anew by every coordinator run, where an entry's finished round is collected", async () => {
    const { worker, timed } = await countingWorker(redis.url, 4);
    const overhead = overheadModel([1, 1, 1, 1]);
    const entry = models()[0];
    try {
      const a = await FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 4 }, waitMs: 5000 });
      await a.time(overhead, PROTOCOL);
      await a.time(entry, PROTOCOL);
      expect(timed()).toBe(2);
      await a.dispose(); // killed: its jobs stay in Redis
      const b = await FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 4 }, waitMs: 5000 });
      await b.time(entry, PROTOCOL); // the entry's round 0: collected from the killed run
      expect(timed()).toBe(2);
      // The overhead's round 0 of this run (the profiler times it in the entries' passes of a resumed run, and
      // the LUT keeps that figure): measured here, not the killed run's figure timed alone before its entries.
      await b.time(overhead, PROTOCOL);
      expect(timed()).toBe(3);
      await b.forget();
      await b.dispose();
    } finally {
      await worker.close();
    }
  }, 60_000);

  it('a fresh run (nas profile --force) measures every model anew: a killed run\'s finished jobs are not collected', async () => {
    const { worker, timed } = await countingWorker(redis.url, 15, true);
    const entry = models()[0];
    const open = (fresh?: boolean) => FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 15 }, waitMs: 5000, fresh });
    try {
      const a = await open();
      const killed = await a.time(entry, PROTOCOL);
      await a.dispose(); // killed: its job stays in Redis, finished
      const b = await open(true);
      const fresh = await b.time(entry, PROTOCOL);
      expect(timed()).toBe(2);
      expect(fresh.stats.median).not.toBe(killed.stats.median);
      await b.forget();
      await b.dispose();
      // Without it, a resumed run collects the killed run's round (the earlier test); here that job is still there.
      const c = await open();
      expect((await c.time(entry, PROTOCOL)).stats.median).toBe(killed.stats.median);
      expect(timed()).toBe(2);
      await c.forget();
      await c.dispose();
    } finally {
      await worker.close();
    }
  }, 60_000);

  it('refuses the anchor: it would be timed in a job of its own, later, perhaps on another worker than the round', async () => {
    const { worker, timed } = await countingWorker(redis.url, 16);
    const farm = await FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 16 }, waitMs: 5000 });
    try {
      for (const anchored of [{ ...PROTOCOL, anchor: true }, { ...PROTOCOL, rounds: 2, anchorGate: 1.15 }])
        await expect(farm.prefetch(models(), anchored)).rejects.toThrow(/a farm cannot time the anchor \(protocol anchor(Gate)?\): it must run right after each round on the machine that timed it/);
      // A round timed by timeRound under the anchor: the round is a job, the anchor after it refused.
      const { timeRound } = await import('../../devices/rounds.js');
      await expect(timeRound(farm, models()[0], { ...PROTOCOL, anchor: true })).rejects.toThrow(UserError);
      expect(timed()).toBe(1);
    } finally {
      await farm.dispose();
      await worker.close();
    }
  }, 60_000);

  it("times the model profile() asks for: a worker device that runs no model gets zero weights, in prefetch and profile alike", async () => {
    const { worker, timed } = await countingWorker(redis.url, 17);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-farm-weights-'));
    const lutPath = path.join(dir, 'mock.lut.json');
    const instances = KEYS.map(parseOpKey);
    const farm = await FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 17 }, waitMs: 5000 });
    const queue = new Queue(deviceQueueName(worker.record.fingerprint), { connection: { host: '127.0.0.1', port: redis.port } });
    try {
      expect(worker.record.needsWeights).toBe(false);
      expect(farm.needsWeights).toBe(false);
      await prefetchLut(farm, { instances, lutPath, protocol: PROTOCOL });
      const r = await profile({ device: farm, instances, protocol: PROTOCOL, lutPath, ownLayout: false });
      expect(r.summary.measured).toBe(instances.length);
      // Anything queued that profile() did not ask for would still be waiting or running: let it finish first.
      for (let i = 0; i < 200; i++) {
        const c = await queue.getJobCounts('waiting', 'active');
        if (c.waiting + c.active === 0) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      // Every job prefetch queued is one profile() collected: the overhead alone and in the entries' pass, each entry once.
      expect(timed()).toBe(2 + instances.length);
      const entryJobs = (await queue.getJobs(['completed'])).filter((j) => j.name === JOB_TIME && j.data.model.build.kind === 'op');
      expect(entryJobs).toHaveLength(instances.length);
      for (const j of entryJobs) expect(j.data.model.build).toEqual({ kind: 'op', seed: 0, zeroWeights: true });
      // The same figures as the mock profiled locally (it reads the models' byte length, which zero weights keep).
      const local = path.join(dir, 'local.lut.json');
      await profile({ device: new MockDevice({ seed: 17 }), instances, protocol: PROTOCOL, lutPath: local, ownLayout: false });
      for (const k of KEYS) expect(readLut(lutPath).entries[k].stats.median).toBe(readLut(local).entries[k].stats.median);
      await farm.forget();
    } finally {
      await queue.close();
      await farm.dispose();
      await worker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a resumed profile takes the rounds a killed run did not keep, each once, calibration nets included, and times the overhead in its own passes', async () => {
    const { worker, timed } = await countingWorker(redis.url, 5, true);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-farm-resume-'));
    const lutPath = path.join(dir, 'mock.lut.json');
    const instances = [...KEYS, 'conv:1x8x16x16:c8:k1:s1:g1:d1:relu:f32'].map(parseOpKey);
    const calibration = nets(2);
    const protocol: TimingProtocol = { ...PROTOCOL, rounds: 3 };
    const open = () => FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 5 }, waitMs: 5000 });
    try {
      // The first run stops after its first pass: the overhead alone (3 rounds), then each entry, each net and the overhead once.
      const a = await open();
      const stop = new AbortController();
      const time = a.time.bind(a);
      let calls = 0;
      a.time = async (m, p) => {
        const r = await time(m, p);
        if (++calls === 3 + instances.length + calibration.length + 1) stop.abort();
        return r;
      };
      await prefetchLut(a, { instances, lutPath, protocol, nets: calibration });
      const first = await profile({ device: a, instances, protocol, lutPath, nets: calibration, signal: stop.signal, ownLayout: false });
      expect(first.summary).toMatchObject({ measured: 0, interrupted: true });
      await a.dispose(); // without forget(): killed, its jobs (every round prefetched) stay in Redis

      const b = await open();
      await prefetchLut(b, { instances, lutPath, protocol, nets: calibration });
      const rounds = new Map<string, number[]>();
      const second = await profile({ device: b, instances, protocol, lutPath, nets: calibration, ownLayout: false, onEntry: (key, r) => rounds.set(key, r.rounds) });
      expect(second.summary).toMatchObject({ measured: instances.length, interrupted: false });
      // Each entry and each net: the round kept beside the LUT and rounds 1 and 2 of the killed run's jobs, never round 0 again.
      for (const n of calibration) rounds.set(n.id, second.nets.get(n.id)!.rounds);
      expect(rounds.size).toBe(instances.length + calibration.length);
      for (const [key, r] of rounds) expect(new Set(r).size, key).toBe(3);
      // Every job measured once: the entries' and nets' 3 rounds; the overhead alone (3), in the first run's pass (1)
      // and in the rerun's passes (2, this run's own: the LUT keeps the overhead of the passes).
      expect(timed()).toBe(3 * (instances.length + calibration.length) + 3 + 1 + 2);
      await b.forget();
      await b.dispose();
    } finally {
      await worker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a LUT file deleted beside the rounds its killed run kept: the new LUT (same id) takes those rounds and the missing ones, each once', async () => {
    const { worker } = await countingWorker(redis.url, 10, true);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-farm-deleted-'));
    const lutPath = path.join(dir, 'mock.lut.json');
    const instances = KEYS.map(parseOpKey);
    const protocol: TimingProtocol = { ...PROTOCOL, rounds: 3 };
    const open = () => FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 10 }, waitMs: 5000 });
    try {
      const a = await open();
      const stop = new AbortController();
      const time = a.time.bind(a);
      let calls = 0;
      a.time = async (m, p) => {
        const r = await time(m, p);
        if (++calls === 3 + instances.length + 1) stop.abort(); // the overhead alone, then the first pass
        return r;
      };
      await prefetchLut(a, { instances, lutPath, protocol });
      expect((await profile({ device: a, instances, protocol, lutPath, signal: stop.signal, ownLayout: false })).summary.interrupted).toBe(true);
      await a.dispose();
      rmSync(lutPath);
      rmSync(`${lutPath}.journal`, { force: true });
      expect(existsSync(PartialRounds.pathFor(lutPath))).toBe(true);

      const b = await open();
      await prefetchLut(b, { instances, lutPath, protocol });
      const rounds = new Map<string, number[]>();
      await profile({ device: b, instances, protocol, lutPath, ownLayout: false, onEntry: (key, r) => rounds.set(key, r.rounds) });
      expect(rounds.size).toBe(instances.length);
      for (const [key, r] of rounds) expect(new Set(r).size, key).toBe(3);
      await b.forget();
      await b.dispose();
    } finally {
      await worker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a profile stopped after its last entry, before the overhead in its passes: the resumed run times the overhead in its passes and keeps that figure', async () => {
    const { worker, timed } = await countingWorker(redis.url, 6, true);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-farm-overhead-'));
    const lutPath = path.join(dir, 'mock.lut.json');
    const instances = KEYS.map(parseOpKey);
    // One round: one pass in the given order, the overhead after every entry.
    const protocol = PROTOCOL;
    const overheadKey = overheadModel([1, 1, 1, 1]).key;
    const open = () => FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 6 }, waitMs: 5000 });
    try {
      const a = await open();
      const stop = new AbortController();
      let stored = 0;
      await prefetchLut(a, { instances, lutPath, protocol });
      const first = await profile({ device: a, instances, protocol, lutPath, signal: stop.signal, ownLayout: false, onEntry: () => void (++stored === instances.length && stop.abort()) });
      // Every entry is in the LUT, the overhead in the passes is not: the run did not finish.
      expect(first.summary).toMatchObject({ measured: instances.length, interrupted: true });
      expect(timed()).toBe(1 + instances.length);
      const alone = readLut(lutPath).overhead.median;
      await a.dispose();

      const b = await open();
      const inPasses: number[] = [];
      const time = b.time.bind(b);
      b.time = async (m, p) => {
        const r = await time(m, p);
        if (m.key === overheadKey) inPasses.push(r.stats.median);
        return r;
      };
      await prefetchLut(b, { instances, lutPath, protocol });
      const second = await profile({ device: b, instances, protocol, lutPath, ownLayout: false });
      expect(second.summary).toMatchObject({ measured: 0, interrupted: false });
      // The overhead timed once more, by this run, in its pass; the LUT keeps that figure, as a complete run does.
      expect(timed()).toBe(1 + instances.length + 1);
      expect(inPasses).toHaveLength(1);
      const lut = readLut(lutPath);
      expect(lut.overhead.median).not.toBe(alone);
      expect(lut.overhead.median).toBeCloseTo(inPasses[0], 12);
      for (const e of Object.values(lut.entries)) expect(e.net).toBeCloseTo(Math.max(0, e.stats.median - lut.overhead.median), 12);
      expect(existsSync(PartialRounds.pathFor(lutPath))).toBe(false);
      await b.forget();
      await b.dispose();
    } finally {
      await worker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a model kept with more rounds than the protocol asks (extra rounds of rounds that disagreed) resumes after all of them', async () => {
    const { worker, timed } = await countingWorker(redis.url, 8, true);
    const protocol: TimingProtocol = { ...PROTOCOL, rounds: 3, maxSpread: 0.01, extraRounds: 2 };
    const perRound = roundProtocol(protocol);
    const m = models()[0];
    const open = () => FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 8 }, waitMs: 5000 });
    try {
      const a = await open();
      const kept: number[] = [];
      for (let k = 0; k < 4; k++) kept.push((await a.time(m, perRound)).stats.median);
      await a.dispose(); // killed with 4 rounds kept: the 3 asked for and one extra
      const b = await open();
      await b.prefetch([m], protocol, () => 4);
      const next = (await b.time(m, perRound)).stats.median;
      expect(timed()).toBe(5); // round 4, measured now: not the kept round 3 collected again
      expect(kept).not.toContain(next);
      await b.forget();
      await b.dispose();
    } finally {
      await worker.close();
    }
  }, 60_000);

  it('nas verify --redis resumed with rounds > 1: each member starts at its first round not kept beside the state', async () => {
    const { worker, timed } = await countingWorker(redis.url, 9, true);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-farm-verify-rounds-'));
    const statePath = path.join(dir, 'front.state.json');
    const protocol = { rounds: 3 };
    const open = () => FarmDevice.open({ redis: redis.url, device: 'mock', options: { seed: 9 }, waitMs: 5000 });
    // What each member's rounds were, over both runs: the figures the farm handed to verify.
    const used = new Map<string, number[]>();
    const watch = (d: FarmDevice, goneAfter = Infinity) => {
      const time = d.time.bind(d);
      let calls = 0;
      d.time = async (m, p) => {
        if (++calls > goneAfter) throw new DeviceUnavailableError('mock on the farm', 'the coordinator was killed');
        const r = await time(m, p);
        used.set(m.key, [...(used.get(m.key) ?? []), r.stats.median]);
        return r;
      };
    };
    try {
      const { file } = await mockFront(await mockLut(path.join(dir, 'mock.lut.json')), 'front.json', 3);
      const a = await open();
      watch(a, 3); // the first pass, one round of each member, then it stops
      await prefetchVerify(a, { frontPath: file, statePath, protocol });
      const first = await verifyFront({ frontPath: file, device: a, protocol, statePath });
      expect(first.summary).toMatchObject({ measured: 0, failed: 3 });
      await a.dispose(); // without forget(): every prefetched round stays in Redis

      const b = await open();
      watch(b);
      await prefetchVerify(b, { frontPath: file, statePath, protocol });
      const second = await verifyFront({ frontPath: file, device: b, protocol, statePath });
      expect(second.summary).toMatchObject({ measured: 3, resumed: 0, failed: 0 });
      // Each member: its kept round 0, then rounds 1 and 2 (never round 0's job collected again); each job measured once.
      expect(used.size).toBe(3);
      for (const [key, medians] of used) expect(new Set(medians).size, key).toBe(3);
      expect(timed()).toBe(9);
      await b.forget();
      await b.dispose();
    } finally {
      await worker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('nas verify --redis measures the members on the workers: the same figures as a local verify', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-farm-verify-'));
    const fast = ['--warmup', '2', '--min-repeats', '5', '--max-repeats', '50', '--max-time-ms', '150'];
    const lut = path.join(dir, 'mock.lut.json');
    const front = path.join(dir, 'front.json');
    const workers = await Promise.all([1, 2].map(() => FarmWorker.start({ redis: redis.url, deviceName: 'mock', requested: {}, createDevice: () => new MockDevice() })));
    try {
      const ok = async (...args: string[]) => {
        const r = await nasInProcess(...args);
        expect(r.code, r.stderr).toBe(0);
        return r;
      };
      await ok('profile', '--device', 'mock', '--space', 'nb201', '--calibrate', '0', '--out', lut, ...fast);
      await ok('search', '--space', 'nb201', '--lut', lut, '--evaluator', 'table', '--strategy', 'nsga2', '--budget', '40', '--seed', '1', '--out', front);
      const local = JSON.parse((await ok('verify', '--front', front, '--device', 'mock', '--state', path.join(dir, 'local.json'), '--json')).stdout);
      const farm = JSON.parse((await ok('verify', '--front', front, '--device', 'mock', '--redis', redis.url, '--state', path.join(dir, 'farm.json'), '--json')).stdout);
      expect(farm.summary).toMatchObject({ measured: local.summary.measured, failed: 0 });
      const medians = (doc: { members: { measured: { median: number } }[] }) => doc.members.map((m) => m.measured.median);
      expect(medians(farm)).toEqual(medians(local));
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
