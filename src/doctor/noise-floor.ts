/**
 * The machine's noise floor for profiling, measured in about a minute: a fixed set of small networks
 * timed twice (the second pass in reverse order) on the device, how well the two passes agree, and the
 * load and CPU steal over the run. This is the floor under any LUT prediction's agreement with
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

export interface NoiseFloorOptions {
  device: Device;
  /** Wall-time budget of the whole check (export, setup, both passes), seconds; kept unless a single run takes longer. */
  seconds: number;
  /** Networks in the fixed set (random mbv2, seed 0). */
  count?: number;
  resolution?: number;
  onProgress?(done: number, total: number): void;
}

export interface NoiseFloor {
  device: DeviceInfo;
  nets: number;
  resolution: number;
  protocol: TimingProtocol;
  /** Second pass against the first. */
  self: Agreement;
  /** Median of |second − first| / first, %. */
  medianDiffPct: number;
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
  const space = createSpace('mbv2', { resolution });
  const rng = new Rng(0);
  const archs = Array.from({ length: count }, () => space.build(space.sample(rng)));
  const probe = new NoiseProbe();
  const deadline = started + o.seconds * 1000;
  // The nominal protocol: each of the 2 × count measurements gets an equal share of 90% of the budget.
  const protocol: TimingProtocol = { warmup: 5, minRepeats: 10, maxRepeats: 2000, maxTimeMs: (0.9 * o.seconds * 1000) / (2 * count), targetCI: 0.01 };
  const first: number[] = new Array(count);
  const second: number[] = new Array(count);
  const models: ModelUnderTest[] = [];
  let done = 0;
  // On a busy machine exporting and session setup take a large share, so each measurement gets what is
  // left of the budget divided by the measurements still to come (and the check keeps to its budget).
  const time = async (i: number) => {
    models[i] ??= networkModel(archs[i]);
    const left = Math.max(0, deadline - performance.now());
    const share = Math.max(5, Math.min(protocol.maxTimeMs, (0.8 * left) / (2 * count - done)));
    const { stats } = await o.device.time(models[i], { ...protocol, maxTimeMs: share });
    o.onProgress?.(++done, 2 * count);
    return stats.median;
  };
  for (let i = 0; i < count; i++) first[i] = await time(i);
  for (let i = count - 1; i >= 0; i--) second[i] = await time(i);
  const noise = probe.read();
  const self = agreement(second, first);
  const diffs = first.map((f, i) => (100 * Math.abs(second[i] - f)) / f).sort((a, b) => a - b);
  const medianDiffPct = diffs.length % 2 ? diffs[(diffs.length - 1) / 2] : (diffs[diffs.length / 2 - 1] + diffs[diffs.length / 2]) / 2;
  const reasons: string[] = [];
  if (self.within5 < FIT_WITHIN5_PCT) reasons.push(`only ${self.within5.toFixed(0)}% of ${count} networks repeat within ±5% (fit: ≥ ${FIT_WITHIN5_PCT}%)`);
  const busy = busyReason(noise, info.host.cores || undefined);
  if (busy) reasons.push(`busy during the check: ${busy}`);
  const advice: string[] = [];
  if (reasons.length) {
    if (busy) advice.push('profile when the machine is quieter, or let `nas profile --wait-quiet` pause while it is busy');
    if (noise.stealPct !== undefined && noise.stealPct > 1) advice.push('CPU steal shows a hypervisor sharing the CPUs: a dedicated or larger instance repeats better');
    if (info.options.threads === 0)
      advice.push('with several runtime threads, one descheduled thread stalls a whole run: try --threads 1');
    advice.push('measure in more rounds (--rounds 5 --extra-rounds 2) so drift averages out, and check the LUT with bench/fidelity.ts');
  }
  return { device: info, nets: count, resolution, protocol, self, medianDiffPct, noise, seconds: (performance.now() - started) / 1000, fit: reasons.length === 0, reasons, advice };
}
