/**
 * The machine's noise floor for profiling, measured within a budget (nas doctor: 40 s from the command's start,
 * start-up included; when it ends the check stops and judges what it has — src/doctor/deadline.ts): a fixed set of small networks
 * timed in three passes — the first in one fresh worker process, the second and third (reverse order) in
 * another — so the check sees both how well one process agrees with itself and how well two processes
 * agree (a LUT profiled in one process and nets verified in another need the latter; on the development
 * VM the two differed by 0.4% against 15–17%); each CPU's speed by a fixed probe kernel; and the load and
 * CPU steal over the run. This is the floor under any LUT prediction's agreement with
 * measurements on this machine: a prediction cannot agree with a measurement better than the
 * measurement agrees with itself.
 */
import { performance } from 'node:perf_hooks';
import { agreement, type Agreement } from '../core/agreement.js';
import { Rng } from '../core/rng.js';
import { createSpace } from '../spaces/registry.js';
import { busyReason, NoiseProbe, type NoiseReading } from '../../devices/noise.js';
import type { Device, DeviceInfo, ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { networkModel } from '../../export/model.js';
import { affinitySupport } from '../../devices/affinity.js';
import { initialCpus, pinMeasuringThread, probeCpus, type CpuPlacement, type CpuSpeed } from '../../devices/pin.js';
import { FreshProcessTimer, type WorkerDevice } from '../../devices/round-worker.js';
import { hostInfo } from '../../devices/host.js';
import { Deadline, OutOfTime } from './deadline.js';

export interface NoiseFloorOptions {
  device: Device;
  /**
   * Wall-time budget of the whole check (starting the runtime, export, setup, both passes), seconds from
   * `startedAt`: when it ends the check stops measuring (a worker process and its measurement in flight are
   * killed) and judges what it has, saying it ran out of time (`outOfTime`).
   */
  seconds: number;
  /** When the budget began, performance.now() ms by `now` (default: this call); the CLI passes its process's start, so start-up counts. */
  startedAt?: number;
  /** The clock, performance.now() ms (a test injects its own). */
  now?: () => number;
  /** Networks in the fixed set (random mbv2, seed 0). */
  count?: number;
  resolution?: number;
  onProgress?(done: number, total: number): void;
  /** The registry name and options of `device`: the passes then run in fresh worker processes (else all in this one, and only in-process agreement is measured). */
  workerDevice?: WorkerDevice;
  /** Pin as protocol.cpu does ('auto' or a CPU list): the workers on the chosen CPUs, this process apart (without workers: this process on them). */
  cpu?: string;
  /** Where this process cannot be kept apart from its workers (one CPU allowed). */
  onWarning?(message: string): void;
}

export interface NoiseFloor {
  /** The device as it started; where it did not start within the budget, its name and this host only (runtime 'not started'). */
  device: DeviceInfo;
  nets: number;
  resolution: number;
  protocol: TimingProtocol;
  /** Two passes in the same process against each other (over the networks timed in both; absent where none was, out of time). */
  self?: Agreement;
  /** Median of |second − first| / first, %, in the same process (absent with `self`). */
  medianDiffPct?: number;
  /** A pass in one fresh process against a pass in another (absent without workerDevice, or where no network was timed in both). */
  crossProcess?: { agreement: Agreement; medianDiffPct: number };
  /** Each usable CPU's speed by the probe kernel (absent where CPUs cannot be pinned one by one), and how far the slowest is above the fastest, %. */
  cpus?: { speeds: CpuSpeed[]; spreadPct: number };
  /** Why the CPUs' speeds were not read (not Linux, no taskset, out of time). */
  cpusUnreadable?: string;
  /** With `cpu`: where the measuring processes and this one were pinned. */
  placement?: CpuPlacement;
  noise: NoiseReading;
  /** From the budget's start (the command's, in the CLI) to the verdict. */
  seconds: number;
  /** The budget, seconds. */
  budgetSeconds: number;
  /** Where the budget ended before the check did: what it was doing, and how many of the measurements it had taken. */
  outOfTime?: { while: string; measured: number; total: number };
  fit: boolean;
  /** Why it is not fit (empty when fit). */
  reasons: string[];
  advice: string[];
}

/** Pairs of measurements within ±5% that a machine fit for profiling reaches (nn-Meter's dedicated phones: 99% within ±10%). */
export const FIT_WITHIN5_PCT = 90;

export async function measureNoiseFloor(o: NoiseFloorOptions): Promise<NoiseFloor> {
  const now = o.now ?? (() => performance.now());
  const started = o.startedAt ?? now();
  const deadline = new Deadline(started + o.seconds * 1000, now);
  const count = o.count ?? 8;
  const resolution = o.resolution ?? 64;
  const passes = o.workerDevice ? 3 : 2;
  const total = passes * count;
  // The nominal protocol: each measurement gets an equal share of 90% of the budget.
  const protocol: TimingProtocol = { warmup: 5, minRepeats: 10, maxRepeats: 2000, maxTimeMs: (0.9 * o.seconds * 1000) / total, targetCI: 0.01 };
  // Each pass's medians by net; a net the budget left out stays undefined.
  const first: (number | undefined)[] = new Array(count);
  const second: (number | undefined)[] = new Array(count);
  const other: (number | undefined)[] | undefined = o.workerDevice ? new Array(count) : undefined;
  let phase = 'starting the device';
  let done = 0;
  let info: DeviceInfo | undefined;
  let cpus: ReturnType<typeof cpuSpeeds> = { why: 'the budget ended first' };
  let workers: FreshProcessTimer | undefined;
  let here: CpuPlacement | undefined;
  let outOfTime: NoiseFloor['outOfTime'];
  const probe = new NoiseProbe();
  try {
    info = await deadline.race(() => o.device.init());
    if (deadline.leftMs() > 0) cpus = cpuSpeeds();
    const space = createSpace('mbv2', { resolution });
    const rng = new Rng(0);
    const archs = Array.from({ length: count }, () => space.build(space.sample(rng)));
    workers = o.workerDevice ? new FreshProcessTimer(o.workerDevice, { cpu: o.cpu, onWarning: o.onWarning }) : undefined;
    here = workers ? undefined : pinMeasuringThread(o.cpu);
    const models: ModelUnderTest[] = [];
    // On a busy machine exporting, session setup and starting workers take a large share, so each
    // measurement gets what is left of the budget divided by the measurements still to come (and the check
    // keeps to its budget).
    const time = async (i: number) => {
      models[i] ??= networkModel(archs[i]);
      const share = Math.max(5, Math.min(protocol.maxTimeMs, (0.8 * deadline.leftMs()) / (total - done)));
      const p = { ...protocol, maxTimeMs: share };
      const { stats } = await deadline.race(() => (workers ? workers.time(models[i], p) : o.device.time(models[i], p)));
      done++; // outside the optional call: counted whether or not anyone listens
      o.onProgress?.(done, total);
      return stats.median;
    };
    const pass = async (out: (number | undefined)[], reverse: boolean) => {
      phase = 'timing the networks';
      for (let k = 0; k < count; k++) {
        const i = reverse ? count - 1 - k : k;
        out[i] = await time(i);
      }
    };
    const restart = async () => {
      phase = 'starting a worker process';
      await deadline.race(() => workers!.restart());
    };
    if (workers && other) {
      await restart();
      await pass(other, false);
      await restart();
    }
    await pass(first, false);
    await pass(second, true);
  } catch (e) {
    if (!(e instanceof OutOfTime)) throw e;
    outOfTime = { while: phase, measured: done, total };
  } finally {
    // Out of time, the worker and its measurement in flight are ended, not waited for.
    if (outOfTime) workers?.kill();
    else await workers?.stop();
  }
  const device = info ?? notStarted(o.device.name);
  const placement = workers ? workers.placement : here;
  const noise = probe.read();
  const selfPair = paired(second, first);
  const self = selfPair && agreement(selfPair.a, selfPair.b);
  const medianDiffPct = selfPair && medianDiff(selfPair.b, selfPair.a);
  const crossPair = other && paired(first, other);
  const crossProcess = crossPair ? { agreement: agreement(crossPair.a, crossPair.b), medianDiffPct: medianDiff(crossPair.b, crossPair.a) } : undefined;
  // Fit on what a LUT and a later measurement of a net face: two processes where there are two.
  const judged = crossProcess?.agreement ?? self;
  const reasons: string[] = [];
  if (outOfTime)
    reasons.push(
      `out of time: the ${o.seconds} s budget ended while ${outOfTime.while}, after ${outOfTime.measured} of ${outOfTime.total} measurements` +
        ` — a machine that cannot start a runtime and time ${count} small networks in that time is too busy to profile on` +
        ' (judged on what was measured; a slow device on a quiet machine may need more --seconds)',
    );
  if (judged && judged.within5 < FIT_WITHIN5_PCT)
    reasons.push(`only ${judged.within5.toFixed(0)}% of ${judged.n} networks repeat within ±5% ${crossProcess ? 'across processes' : 'in one process'} (fit: ≥ ${FIT_WITHIN5_PCT}%)`);
  const busy = busyReason(noise, device.host.cores || undefined);
  if (busy) reasons.push(`busy during the check: ${busy}`);
  const advice: string[] = [];
  if (reasons.length) {
    if (busy || outOfTime) advice.push('profile when the machine is quieter, or let `nas profile --wait-quiet` pause while it is busy');
    if (noise.stealPct !== undefined && noise.stealPct > 1) advice.push('CPU steal shows a hypervisor sharing the CPUs: a dedicated or larger instance repeats better');
    if (device.options.threads === 0)
      advice.push('with several runtime threads, one descheduled thread stalls a whole run: try --threads 1');
    if (cpus.speeds && cpus.speeds.spreadPct > CPU_SPREAD_PCT)
      advice.push(`the CPUs ran at different speeds (${cpus.speeds.spreadPct.toFixed(0)}% apart): pin profiling and verification to one (--cpu auto, with --threads 1)`);
    if (crossProcess && self && self.within5 >= FIT_WITHIN5_PCT && crossProcess.agreement.within5 < FIT_WITHIN5_PCT)
      advice.push('one process agrees with itself but two processes do not: measure the LUT and the networks it is checked on in the same run, or pin both to one CPU (--cpu)');
    advice.push('measure in more rounds (--rounds 5 --extra-rounds 2) so drift averages out, and check the LUT with bench/fidelity.ts');
  }
  return {
    device,
    nets: count,
    resolution,
    protocol,
    ...(self ? { self, medianDiffPct } : {}),
    ...(crossProcess ? { crossProcess } : {}),
    ...(cpus.speeds ? { cpus: cpus.speeds } : { cpusUnreadable: cpus.why }),
    ...(placement ? { placement } : {}),
    noise,
    seconds: (now() - started) / 1000,
    budgetSeconds: o.seconds,
    ...(outOfTime ? { outOfTime } : {}),
    fit: reasons.length === 0,
    reasons,
    advice,
  };
}

/** The networks measured in both passes, as two arrays in the same order (undefined where none was). */
function paired(a: readonly (number | undefined)[], b: readonly (number | undefined)[]): { a: number[]; b: number[] } | undefined {
  const both = [...a.keys()].filter((i) => a[i] !== undefined && b[i] !== undefined);
  return both.length ? { a: both.map((i) => a[i]!), b: both.map((i) => b[i]!) } : undefined;
}

/** What is known of a device that did not start within the budget: its name and this host. */
function notStarted(name: string): DeviceInfo {
  return { device: name, runtime: 'not started', runtimeVersion: '', ep: '', options: {}, host: hostInfo(), timing: '' };
}

/** CPUs more than this far apart in probe speed are worth pinning away from the slow one. */
export const CPU_SPREAD_PCT = 5;

/** Median of |b − a| / a, %. */
export function medianDiff(a: readonly number[], b: readonly number[]): number {
  const diffs = a.map((x, i) => (100 * Math.abs(b[i] - x)) / x).sort((p, q) => p - q);
  return diffs.length % 2 ? diffs[(diffs.length - 1) / 2] : (diffs[diffs.length / 2 - 1] + diffs[diffs.length / 2]) / 2;
}

/** Each usable CPU's probe speed, or why it cannot be read (not Linux, no taskset). */
function cpuSpeeds(): { speeds?: NonNullable<NoiseFloor['cpus']>; why?: string } {
  const why = affinitySupport();
  if (why !== true) return { why };
  const speeds = probeCpus(initialCpus(), 5);
  const fastest = Math.min(...speeds.map((s) => s.probeMs));
  return { speeds: { speeds, spreadPct: (100 * (Math.max(...speeds.map((s) => s.probeMs)) - fastest)) / fastest } };
}
