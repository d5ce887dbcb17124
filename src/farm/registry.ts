/**
 * Which workers are in the pool. Each worker announces itself under its own key with a short TTL and
 * refreshes it (a heartbeat), so a killed worker disappears within seconds without anyone cleaning
 * up. Workers serve one device fingerprint each: the hash of the device identity a LUT checks
 * (device, runtime and version, EP, options such as threads, host CPU and cores, adapter), so every
 * worker on one queue gives measurements that one LUT can hold.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import type { Redis } from 'ioredis';
import { deviceIdentityText } from '../../lut/compare.js';
import type { DeviceInfo, DeviceOptions } from '../../devices/types.js';

export const KEY_PREFIX = 'nas:farm';
const WORKER_PREFIX = `${KEY_PREFIX}:worker:`;
export const HEARTBEAT_MS = 2000;
const TTL_MS = 3 * HEARTBEAT_MS;

/** 16 hex digits of the device identity: the name of the queue its workers share. */
export function fingerprint(info: DeviceInfo): string {
  return createHash('sha256').update(deviceIdentityText(info)).digest('hex').slice(0, 16);
}

/** The BullMQ queue of one fingerprint (BullMQ forbids ':' in queue names). */
export function deviceQueueName(fp: string): string {
  return `nas-device-${fp}`;
}

/** What a worker announces about the accuracy evaluator it serves (src/farm/evaluation.ts). */
export interface EvaluatorRecord {
  id: string;
  fingerprint: string;
  provenance: Record<string, unknown>;
}

export interface WorkerRecord {
  id: string;
  fingerprint: string;
  /** Registry name of the device, e.g. "ort-cpu". */
  device: string;
  /** The device options the worker was started with (before the device resolved its defaults). */
  requested: DeviceOptions;
  info: DeviceInfo;
  hostname: string;
  pid: number;
  concurrency: number;
  startedAt: string;
  /** The accuracy evaluator it serves, if it was started with one. */
  evaluator?: EvaluatorRecord;
  /** Whether its device can time a timing reference interleaved with the models (devices/reference.ts); absent from older workers. */
  interleavesReference?: boolean;
  /**
   * Whether it measures the calibration's weight cost on its own runtime (a weight-cost job, src/farm/jobs.ts):
   * onnxruntime-node's CPU provider at 1 thread and level all (recordsOwnLayout); absent from older workers.
   */
  measuresWeightCost?: boolean;
  /** False where its device never runs a model (Device.needsWeights: the mock): models built only to be timed get zero weights. */
  needsWeights?: boolean;
}

export function newWorkerId(): string {
  return `${os.hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Writes the record now and every HEARTBEAT_MS until the returned stop() is called (which removes it). */
export function announce(redis: Redis, record: WorkerRecord, onError?: (message: string) => void): () => Promise<void> {
  const key = WORKER_PREFIX + record.id;
  const text = JSON.stringify(record);
  const beat = () => redis.set(key, text, 'PX', TTL_MS).catch((e: Error) => onError?.(`heartbeat: ${e.message}`));
  void beat();
  const timer = setInterval(beat, HEARTBEAT_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await redis.del(key).catch(() => undefined);
  };
}

/** Every worker whose heartbeat is current. */
export async function listWorkers(redis: Redis): Promise<WorkerRecord[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${WORKER_PREFIX}*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  if (!keys.length) return [];
  const values = await redis.mget(...keys);
  return values.flatMap((v) => {
    if (!v) return [];
    try {
      return [JSON.parse(v) as WorkerRecord];
    } catch {
      return [];
    }
  });
}

/** Options that only say how to reach a device (a page server, a browser), not what it measures. */
const TRANSPORT_OPTIONS = new Set(['serve', 'host', 'port', 'browser', 'browserEndpoint']);

/**
 * Whether a worker serves what a coordinator asked for: the same registry device, and every option the
 * coordinator gave equal to the one the worker was started with or the one its device reports.
 */
export function matches(record: WorkerRecord, device: string, options: DeviceOptions): boolean {
  if (record.device !== device) return false;
  return Object.entries(options).every(
    ([k, v]) => v === undefined || TRANSPORT_OPTIONS.has(k) || record.requested[k] === v || record.info.options[k] === v,
  );
}

/** One line describing a worker's device, for messages. */
export function describeWorker(r: WorkerRecord): string {
  const opts = Object.entries(r.info.options)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `${r.fingerprint}: ${r.device} (${r.info.runtime} ${r.info.runtimeVersion}, ${r.info.ep}${opts ? `, ${opts}` : ''}) on ${r.hostname} [${r.info.host.cpu}, ${r.info.host.cores} cores]${r.evaluator ? `; evaluator ${r.evaluator.fingerprint}: ${r.evaluator.id}` : ''}`;
}
