/**
 * A farm worker: serves one device to the pool. It announces its fingerprint (registry.ts), takes jobs
 * from that fingerprint's queue only, rebuilds each model from its recipe and times it with the
 * device's own harness, exactly as a local run would. Started with an accuracy evaluator, it also takes
 * the evaluate jobs of that evaluator's queue (evaluation.ts).
 *
 * With concurrency N it holds N devices and runs one job on each at a time. A killed worker's job is
 * taken by another worker once its lock expires (lockMs; BullMQ's stalled-job check). Results are
 * also kept in memory by job id, so a job queued again (a Redis restarted empty) is answered
 * without measuring twice: a measurement only to the coordinator run that queued it (the run id in its
 * data), never to a later run that queues the same job after the first removed it (--force, a
 * recalibration); an evaluation to any run (docs/scale-out.md). A job with a timing reference is timed
 * with the reference interleaved (devices/reference.ts) in the session the device keeps for it. A worker of
 * onnxruntime-node's CPU provider at 1 thread and level all also profiles the calibration's weight cost
 * (src/predict/weight-cost.ts) for a coordinator, where the LUT's entries are timed.
 */
import os from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { parseOpKey } from '../core/keys.js';
import type { AccuracyEvaluator } from '../core/contracts.js';
import type { Device, DeviceInfo, DeviceOptions, TimingResult } from '../../devices/types.js';
import { canInterleave } from '../../devices/reference.js';
import { NoiseProbe, type NoiseReading } from '../../devices/noise.js';
import { connectRedis, duplicate, parseRedisUrl, within } from './connection.js';
import {
  JOB_SUPPORTS,
  JOB_TIME,
  JOB_WEIGHT_COST,
  modelFromRecipe,
  RecipeError,
  referenceFromSpec,
  type SupportsJobData,
  type SupportsResult,
  type TimeJobData,
  type WeightCostJobData,
} from './jobs.js';
import { evaluationQueueName, evaluatorRecord, JOB_EVALUATE, runEvaluateJob, type EvaluateJobData } from './evaluation.js';
import { announce, deviceQueueName, fingerprint, newWorkerId, type WorkerRecord } from './registry.js';

export interface FarmWorkerOptions {
  redis: string;
  /** Registry name of the device. */
  deviceName: string;
  /** The options the device was created with (announced, matched against a coordinator's). */
  requested: DeviceOptions;
  /** Creates one device (called `concurrency` times). */
  createDevice(): Device | Promise<Device>;
  concurrency?: number;
  /**
   * An accuracy evaluator this worker also serves (evaluate jobs of coordinators whose evaluator has the same
   * fingerprint); the worker disposes it. Evaluations and measurements share the `concurrency` slots, so an
   * evaluation never runs beside a timing on the same worker.
   */
  evaluator?: AccuracyEvaluator;
  /** How long a job stays locked to a worker that stopped answering before another takes it (ms). Default 30 s. */
  lockMs?: number;
  log?(message: string): void;
  /**
   * Reads the machine's state over each timing job (default: a NoiseProbe, devices/noise.ts, as timeRound reads it in a
   * local run); injected for tests.
   */
  probe?: () => { read(speed?: boolean): NoiseReading };
  /** After each job; `reused` when the result was remembered from an earlier try of the same job, queued again by its run (nothing measured). */
  onJob?(event: { name: string; key: string; ms: number; ok: boolean; reused?: boolean; error?: string }): void;
}

const REMEMBERED = 10_000;

export class FarmWorker {
  private constructor(
    readonly record: WorkerRecord,
    private readonly redis: Redis,
    private readonly workers: Worker[],
    private readonly workerConnection: Redis,
    private readonly devices: Device[],
    private readonly stopHeartbeat: () => Promise<void>,
    private readonly evaluator?: AccuracyEvaluator,
  ) {}

  static async start(o: FarmWorkerOptions): Promise<FarmWorker> {
    const target = parseRedisUrl(o.redis);
    const concurrency = o.concurrency ?? 1;
    const devices: Device[] = [];
    const infos: DeviceInfo[] = [];
    let redis: Redis | undefined;
    try {
      for (let i = 0; i < concurrency; i++) {
        const d = await o.createDevice();
        devices.push(d);
        infos.push(await d.init());
      }
      const fp = fingerprint(infos[0]);
      const { weightCostTarget } = await import('../profile/calibration-weight-cost.js');
      redis = await connectRedis(target, { onError: o.log });
      const record: WorkerRecord = {
        id: newWorkerId(),
        fingerprint: fp,
        device: o.deviceName,
        requested: Object.fromEntries(Object.entries(o.requested).filter(([, v]) => v !== undefined)),
        info: infos[0],
        hostname: os.hostname(),
        pid: process.pid,
        concurrency,
        startedAt: new Date().toISOString(),
        // Before any evaluation: what coordinators compare with their own evaluator as created.
        ...(o.evaluator ? { evaluator: evaluatorRecord(o.evaluator) } : {}),
        interleavesReference: canInterleave(devices[0]),
        measuresWeightCost: weightCostTarget(infos[0]) !== undefined,
        ...(devices[0].needsWeights === false ? { needsWeights: false } : {}),
      };
      const free = [...devices];
      const waiting: ((d: Device) => void)[] = [];
      const acquire = () => new Promise<Device>((res) => (free.length ? res(free.pop()!) : waiting.push(res)));
      const release = (d: Device) => (waiting.length ? waiting.shift()!(d) : free.push(d));
      const remembered = new Map<string, { run?: string; result: unknown }>();
      /**
       * What this worker remembers for `job`: a measurement only when the coordinator run that queued it queues it
       * again (a Redis come back empty, a result lost on its way), never another run's job of the same id; an evaluation always.
       */
      const recall = (job: Job): { result: unknown } | undefined => {
        const seen = job.id === undefined ? undefined : remembered.get(job.id);
        if (!seen) return undefined;
        if (job.name === JOB_TIME && (seen.run === undefined || seen.run !== (job.data as TimeJobData).run)) return undefined;
        return seen;
      };
      const conn = redis;
      const newProbe = o.probe ?? (() => new NoiseProbe());
      // The round's machine state is read here, where it ran, and sent with it: the coordinator's timeRound keeps it
      // (the round gate's wait threshold needs this thread's wait for a CPU, not the coordinator's).
      const timeJob = async (device: Device, data: TimeJobData): Promise<TimingResult> => {
        const model = await modelFromRecipe(conn, data.model);
        const withReading = async (time: () => Promise<TimingResult>): Promise<TimingResult> => {
          const probe = newProbe();
          return { ...(await time()), noise: probe.read(true) };
        };
        if (!data.reference) return withReading(() => device.time(model, data.protocol));
        const { warmRuns, name } = data.reference;
        const reference = referenceFromSpec(data.reference);
        if (!canInterleave(device)) throw new RecipeError(`device ${device.name} cannot time the timing reference '${name}' interleaved with the models: measure with --reference off`);
        return withReading(() => device.timeWithReference(model, data.protocol, reference, warmRuns));
      };

      const processor = async (job: Job) => {
        const started = Date.now();
        const label =
          job.name === JOB_TIME ? (job.data as TimeJobData).model.key : job.name === JOB_EVALUATE ? String((job.data as { arch: { name?: unknown } }).arch.name ?? job.id) : job.name;
        const device = await acquire();
        try {
          const reused = recall(job) !== undefined;
          const result = await run(job, device);
          o.onJob?.({ name: job.name, key: label, ms: Date.now() - started, ok: true, reused });
          return result;
        } catch (e) {
          o.onJob?.({ name: job.name, key: label, ms: Date.now() - started, ok: false, error: (e as Error).message });
          // A model this worker cannot rebuild fails the same way everywhere: no retries.
          if (e instanceof RecipeError) throw new UnrecoverableError(e.message);
          throw e;
        } finally {
          release(device);
        }
      };
      const run = async (job: Job, device: Device): Promise<unknown> => {
        if (job.name === JOB_SUPPORTS) {
          const out: SupportsResult = { unsupported: {} };
          for (const key of (job.data as SupportsJobData).keys) {
            const why = device.supports(parseOpKey(key));
            if (why !== true) out.unsupported[key] = why;
          }
          return out;
        }
        if (job.name === JOB_WEIGHT_COST) {
          // Profiled in this process, on the runtime the device's jobs run on, with the device's slot held: nothing is timed beside it here.
          if (!record.measuresWeightCost)
            throw new RecipeError(`device ${o.deviceName} has no weight cost to measure: it is profiled on onnxruntime-node's CPU provider or wasm, at 1 thread and level all only`);
          const { measureWeightCost } = await import('../predict/weight-cost.js');
          const d = job.data as WeightCostJobData;
          return { ...(await measureWeightCost(d.archs, d.n, weightCostTarget(record.info))), where: `on worker ${record.id}` };
        }
        if (job.name === JOB_TIME || (job.name === JOB_EVALUATE && o.evaluator)) {
          const seen = recall(job);
          if (seen) return seen.result;
          const r = job.name === JOB_TIME ? await timeJob(device, job.data as TimeJobData) : await runEvaluateJob(o.evaluator!, job.data as EvaluateJobData);
          if (job.id) {
            remembered.delete(job.id);
            remembered.set(job.id, { run: job.name === JOB_TIME ? (job.data as TimeJobData).run : undefined, result: r });
            if (remembered.size > REMEMBERED) remembered.delete(remembered.keys().next().value!);
          }
          return r;
        }
        throw new UnrecoverableError(`unknown job '${job.name}': the coordinator runs a newer hw-nas than this worker`);
      };

      const lockMs = o.lockMs ?? 30_000;
      const workerConnection = duplicate(redis);
      const queues = [deviceQueueName(fp), ...(record.evaluator ? [evaluationQueueName(record.evaluator.fingerprint)] : [])];
      const workers = queues.map(
        (queue) =>
          new Worker(queue, processor, {
            connection: workerConnection,
            concurrency,
            lockDuration: lockMs,
            stalledInterval: lockMs,
            // A job whose worker died twice is failed, with the reason, rather than handed round forever.
            maxStalledCount: 2,
          }),
      );
      for (const w of workers) w.on('error', (e) => o.log?.(`worker: ${e.message}`));
      await Promise.all(workers.map((w) => w.waitUntilReady()));
      const stop = announce(redis, record, o.log);
      return new FarmWorker(record, redis, workers, workerConnection, devices, stop, o.evaluator);
    } catch (e) {
      redis?.disconnect();
      await Promise.all(devices.map((d) => d.dispose().catch(() => undefined)));
      await o.evaluator?.dispose?.().catch(() => undefined);
      throw e;
    }
  }

  /**
   * Stops taking jobs, lets the running ones finish (at most `graceMs`), leaves the pool. Never hangs
   * on an unreachable Redis: whatever has not finished by then is cut (its job goes to another worker).
   */
  async close(graceMs = 10_000): Promise<void> {
    await within(this.stopHeartbeat(), 1000);
    await within(Promise.all(this.workers.map((w) => w.close())), graceMs);
    await within(Promise.all(this.workers.map((w) => w.close(true))), 1000);
    await within(this.redis.quit(), 1000);
    this.redis.disconnect();
    this.workerConnection.disconnect();
    await Promise.all(this.devices.map((d) => d.dispose().catch(() => undefined)));
    await this.evaluator?.dispose?.().catch(() => undefined);
  }
}
