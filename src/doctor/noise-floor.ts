/**
 * The machine's noise floor for profiling, measured in about a minute: a fixed set of small networks
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

export interface NoiseFloorOptions {
  device: Device;
  /** Wall-time budget of the whole check (export, setup, both passes), seconds; kept unless a single run takes longer. */
  seconds: number;
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
  device: DeviceInfo;
  nets: number;
  resolution: number;
  protocol: TimingProtocol;
  /** Two passes in the same process against each other. */
  self: Agreement;
  /** Median of |second − first| / first, %, in the same process. */
  medianDiffPct: number;
  /** A pass in one fresh process against a pass in another (absent without workerDevice). */
  crossProcess?: { agreement: Agreement; medianDiffPct: number };
  /** Each usable CPU's speed by the probe kernel (absent where CPUs cannot be pinned one by one), and how far the slowest is above the fastest, %. */
  cpus?: { speeds: CpuSpeed[]; spreadPct: number };
  /** Why the CPUs' speeds were not read (not Linux, no taskset). */
  cpusUnreadable?: string;
  /** With `cpu`: where the measuring processes and this one were pinned. */
  placement?: CpuPlacement;
  noise: NoiseReading;
  seconds: number;
  fit: boolean;
  /** Why it is not fit (empty when fit). */
  reasons: string[];
  advice: string[];
}

/** Pairs of measurements within ±5% that a machine fit for profiling reaches (nn-Meter's dedicated phones: 99% within ±10%). */
export const FIT_WITHIN5_PCT = 90;

export async function measureNoiseFloor(o: NoiseFloorOptions): Promise<NoiseFloor> {
  const started = performance.now();
  const count = o.count ?? 8;
  const resolution = o.resolution ?? 64;
  const info = await o.device.init();
  const cpus = cpuSpeeds();
  const space = createSpace('mbv2', { resolution });
  const rng = new Rng(0);
  const archs = Array.from({ length: count }, () => space.build(space.sample(rng)));
  const probe = new NoiseProbe();
  const deadline = started + o.seconds * 1000;
  const workers = o.workerDevice ? new FreshProcessTimer(o.workerDevice, { cpu: o.cpu, onWarning: o.onWarning }) : undefined;
  const here = workers ? undefined : pinMeasuringThread(o.cpu);
  const passes = workers ? 3 : 2;
  const total = passes * count;
  // The nominal protocol: each measurement gets an equal share of 90% of the budget.
  const protocol: TimingProtocol = { warmup: 5, minRepeats: 10, maxRepeats: 2000, maxTimeMs: (0.9 * o.seconds * 1000) / total, targetCI: 0.01 };
  const models: ModelUnderTest[] = [];
  let done = 0;
  // On a busy machine exporting, session setup and starting workers take a large share, so each
  // measurement gets what is left of the budget divided by the measurements still to come (and the check
  // keeps to its budget).
  const time = async (i: number) => {
    models[i] ??= networkModel(archs[i]);
    const left = Math.max(0, deadline - performance.now());
    const share = Math.max(5, Math.min(protocol.maxTimeMs, (0.8 * left) / (total - done)));
    const p = { ...protocol, maxTimeMs: share };
    const { stats } = workers ? await workers.time(models[i], p) : await o.device.time(models[i], p);
    o.onProgress?.(++done, total);
    return stats.median;
  };
  const pass = async (reverse: boolean) => {
    const out: number[] = new Array(count);
    for (let k = 0; k < count; k++) {
      const i = reverse ? count - 1 - k : k;
      out[i] = await time(i);
    }
    return out;
  };
  let first: number[], second: number[], other: number[] | undefined;
  try {
    if (workers) {
      await workers.restart();
      other = await pass(false);
      await workers.restart();
    }
    first = await pass(false);
    second = await pass(true);
  } finally {
    await workers?.stop();
  }
  const placement = workers ? workers.placement : here;
  const noise = probe.read();
  const self = agreement(second, first);
  const medianDiffPct = medianDiff(first, second);
  const crossProcess = other ? { agreement: agreement(first, other), medianDiffPct: medianDiff(other, first) } : undefined;
  // Fit on what a LUT and a later measurement of a net face: two processes where there are two.
  const judged = crossProcess?.agreement ?? self;
  const reasons: string[] = [];
  if (judged.within5 < FIT_WITHIN5_PCT)
    reasons.push(`only ${judged.within5.toFixed(0)}% of ${count} networks repeat within ±5% ${crossProcess ? 'across processes' : 'in one process'} (fit: ≥ ${FIT_WITHIN5_PCT}%)`);
  const busy = busyReason(noise, info.host.cores || undefined);
  if (busy) reasons.push(`busy during the check: ${busy}`);
  const advice: string[] = [];
  if (reasons.length) {
    if (busy) advice.push('profile when the machine is quieter, or let `nas profile --wait-quiet` pause while it is busy');
    if (noise.stealPct !== undefined && noise.stealPct > 1) advice.push('CPU steal shows a hypervisor sharing the CPUs: a dedicated or larger instance repeats better');
    if (info.options.threads === 0)
      advice.push('with several runtime threads, one descheduled thread stalls a whole run: try --threads 1');
    if (cpus.speeds && cpus.speeds.spreadPct > CPU_SPREAD_PCT)
      advice.push(`the CPUs ran at different speeds (${cpus.speeds.spreadPct.toFixed(0)}% apart): pin profiling and verification to one (--cpu auto, with --threads 1)`);
    if (crossProcess && self.within5 >= FIT_WITHIN5_PCT && crossProcess.agreement.within5 < FIT_WITHIN5_PCT)
      advice.push('one process agrees with itself but two processes do not: measure the LUT and the networks it is checked on in the same run, or pin both to one CPU (--cpu)');
    advice.push('measure in more rounds (--rounds 5 --extra-rounds 2) so drift averages out, and check the LUT with bench/fidelity.ts');
  }
  return {
    device: info,
    nets: count,
    resolution,
    protocol,
    self,
    medianDiffPct,
    ...(crossProcess ? { crossProcess } : {}),
    ...(cpus.speeds ? { cpus: cpus.speeds } : { cpusUnreadable: cpus.why }),
    ...(placement ? { placement } : {}),
    noise,
    seconds: (performance.now() - started) / 1000,
    fit: reasons.length === 0,
    reasons,
    advice,
  };
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
