/**
 * The profiling loop: measure every op instance that a LUT does not hold yet on one device.
 *
 * Resumable by construction: the LUT is opened through LutStore, which refuses a file measured under
 * other settings and writes after every entry, so a run that dies (or is killed) loses at most the
 * entry it was measuring, and running the same command again measures only what is missing.
 */
import { performance } from 'node:perf_hooks';
import type { Device, DeviceInfo, TimingProtocol } from '../../devices/types.js';
import { opModel, overheadModel } from '../../export/model.js';
import { LutStore } from '../../lut/store.js';
import { UserError } from '../core/errors.js';
import { opKey } from '../core/keys.js';
import type { OpInstance, Shape } from '../core/ops.js';

export interface ProfileProgress {
  /** Instances handled so far, including ones already in the LUT and unsupported ones. */
  done: number;
  total: number;
  /** The instance just handled; absent in the first report, before any. */
  key?: string;
  elapsedMs: number;
  /** Estimated time to finish, from the average time per measured entry so far. */
  etaMs?: number;
  /** Median latency of the entry just measured, ms. */
  lastMs?: number;
}

export interface ProfileOptions {
  device: Device;
  instances: readonly OpInstance[];
  protocol: TimingProtocol;
  /** The LUT file to create or complete. */
  lutPath: string;
  /** Start a new LUT even if lutPath holds one measured under other settings. */
  force?: boolean;
  /** Label of what is being profiled, recorded in the LUT's `spaces`, e.g. "mbv2@96". */
  space?: string;
  /** Seed of the models' weights. */
  seed?: number;
  onProgress?: (p: ProfileProgress) => void;
  /** Stops after the entry being measured; everything measured so far is kept. */
  signal?: AbortSignal;
}

export interface ProfileSummary {
  measured: number;
  /** Already in the LUT: not measured again. */
  reused: number;
  skipped: { key: string; reason: string }[];
  /** True when `signal` stopped the run before every instance was handled. */
  interrupted: boolean;
}

export interface ProfileResult {
  device: DeviceInfo;
  lutPath: string;
  lutId: string;
  overheadMs: number;
  summary: ProfileSummary;
}

export async function profile(options: ProfileOptions): Promise<ProfileResult> {
  const { device, protocol, lutPath, seed = 0, onProgress, signal } = options;
  const instances = uniqueByKey(options.instances);
  if (instances.length === 0) throw new UserError('nothing to profile: the list of op instances is empty');
  const started = performance.now();

  const info = await device.init();
  const store = LutStore.open(lutPath, info, protocol, { force: options.force });
  if (!store.overhead) {
    // A one-element Identity: the fixed cost of one run, without the cost of moving a large tensor,
    // which a network pays once (its own input and output), not once per op.
    const shape: Shape = [1, 1, 1, 1];
    const result = await attempt(`measuring the per-session overhead (an Identity model on ${shape.join('x')})`, lutPath, () =>
      device.time(overheadModel(shape), protocol),
    );
    store.setOverhead(result.stats);
  }
  if (options.space) store.addSpace(options.space);
  const overhead = store.overhead!;

  const todo = instances.filter(({ key }) => !store.has(key));
  const summary: ProfileSummary = { measured: 0, reused: instances.length - todo.length, skipped: [], interrupted: false };
  let done = summary.reused;
  let measuringMs = 0;
  const report = (key?: string, lastMs?: number) => {
    const perEntry = summary.measured ? measuringMs / summary.measured : undefined;
    onProgress?.({
      done,
      total: instances.length,
      key,
      elapsedMs: performance.now() - started,
      etaMs: perEntry === undefined ? undefined : perEntry * (instances.length - done),
      lastMs,
    });
  };
  report();

  for (const { key, inst } of todo) {
    if (signal?.aborted) {
      summary.interrupted = true;
      break;
    }
    const why = device.supports(inst);
    if (why !== true) {
      summary.skipped.push({ key, reason: why });
      store.markUnsupported(key, why);
      done++;
      report(key);
      continue;
    }
    const t0 = performance.now();
    const where = `measuring ${key} (${done + 1}/${instances.length}); ${summary.measured} entr${summary.measured === 1 ? 'y' : 'ies'} measured in this run`;
    const r = await attempt(where, lutPath, () => device.time(opModel(inst, { seed }), protocol));
    store.put(key, {
      stats: r.stats,
      net: Math.max(0, r.stats.median - overhead.median),
      coldMs: r.coldMs,
      setupMs: r.setupMs,
      measuredAt: new Date().toISOString(),
    });
    measuringMs += performance.now() - t0;
    summary.measured++;
    done++;
    report(key, r.stats.median);
  }
  return { device: info, lutPath, lutId: store.id!, overheadMs: overhead.median, summary };
}

function uniqueByKey(instances: readonly OpInstance[]): { key: string; inst: OpInstance }[] {
  const byKey = new Map<string, OpInstance>();
  for (const inst of instances) byKey.set(opKey(inst), inst);
  return [...byKey].map(([key, inst]) => ({ key, inst }));
}

/**
 * Runs one measurement; a failure aborts the run with a message that says where it stopped and that
 * the entries measured so far are saved (they are: LutStore wrote each one before the next began).
 * User errors stay user errors (same exit code); anything else keeps its stack through `cause`.
 */
async function attempt<T>(where: string, lutPath: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    const message = `profiling stopped while ${where}: ${(e as Error).message}`;
    const hint = `entries measured so far are saved in ${lutPath}; fix the problem and run the same command again to measure only the missing ones`;
    if (e instanceof UserError) throw new UserError(message, { cause: e, hint: e.hint ? `${e.hint}; ${hint}` : hint, exitCode: e.exitCode });
    throw new Error(`${message} (${hint})`, { cause: e });
  }
}
