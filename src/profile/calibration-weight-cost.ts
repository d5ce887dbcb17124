/**
 * Whether a calibration gets the measured weight cost (src/predict/weight-cost.ts), and where it is measured:
 * the one gate `nas profile --calibrate` and bench/fidelity.ts both go through.
 *
 * The weight cost is profiled at kernel level by a runtime whose profiler this process can read, at 1 thread and
 * level `all`: onnxruntime-node's CPU provider (the LUTs whose units' own reorders are recorded, recordsOwnLayout)
 * and onnxruntime-web's wasm build (its profiler prints the same trace; it runs 1 thread, as its LUT must).
 * Elsewhere there is none. On wasm it is 29 µs per MiB on mbv2's calibration nets and 42–60 on RegNet's at 128 px
 * (docs/benchmarks.md, "Issue 13: the weight cost on wasm"). It must be
 * measured where the LUT's entries are timed. A device in this process is on this machine, so it is measured
 * here; a device whose models are timed elsewhere (a farm's, src/farm/farm-device.ts) says so by measuring it
 * itself (MeasuresWeightCost: a job on one of its workers), never on the coordinator's CPU.
 */
import type { DeviceInfo } from '../../devices/types.js';
import type { Architecture } from '../core/arch.js';
import { WEIGHT_COST_NETS, type WeightCost, type WeightCostTarget } from '../predict/weight-cost.js';
import { recordsOwnLayout } from './own-layout.js';

/** A device whose models are timed on another machine: it measures the weight cost there. */
export interface MeasuresWeightCost {
  /** The weight cost measured on the first `n` of `archs` where the device's models are timed; `where` says on what (a worker), for the message. */
  measureWeightCost(archs: readonly Architecture[], n: number): Promise<WeightCost & { where?: string }>;
}

/** Where a LUT measured on `info` gets its weight cost profiled (its runtime and threads), or undefined where it has none. */
export function weightCostTarget(info: DeviceInfo): WeightCostTarget | undefined {
  if (recordsOwnLayout(info)) return { runtime: 'ort-cpu', threads: 1 };
  const o = info.options as Record<string, unknown>;
  if (info.runtime === 'onnxruntime-web' && info.ep === 'wasm' && o.threads === 1 && (o.graphOptimizationLevel ?? 'all') === 'all') return { runtime: 'wasm', threads: 1 };
  return undefined;
}

export const measuresWeightCost = (device: object): device is MeasuresWeightCost => typeof (device as Partial<MeasuresWeightCost>).measureWeightCost === 'function';

export interface CalibrationWeightCost {
  /** The measured fit (also where its slope is 0); absent where none applies or it could not be measured. */
  fit?: WeightCost;
  /** What a calibration takes: the slope, only where it is > 0 (CalibrationOptions.perWeightByteMs). */
  options: { perWeightByteMs?: number };
  /** What to tell the user (measured, or why not); absent where the device has no weight cost to measure. */
  message?: string;
}

/**
 * The weight cost of a LUT measured on `info` (the device's own record, e.g. the LUT's `device`) for its
 * calibration networks `archs`: measured by `device` itself where it times its models elsewhere
 * (measuresWeightCost), else in this process. Nothing for a LUT of another provider or settings, or without
 * networks; a failure is a message, and the calibration is fitted without it.
 */
export async function calibrationWeightCost(device: object, info: DeviceInfo, archs: readonly Architecture[], n = WEIGHT_COST_NETS): Promise<CalibrationWeightCost> {
  const target = weightCostTarget(info);
  if (!target || !archs.length) return { options: {} };
  try {
    const started = Date.now();
    let fit: WeightCost;
    let where = 'here';
    if (measuresWeightCost(device)) {
      const { where: at, ...rest } = await device.measureWeightCost(archs, n);
      fit = rest;
      where = at ?? 'where the device times its models';
    } else {
      const { measureWeightCost } = await import('../predict/weight-cost.js');
      fit = await measureWeightCost(archs, n, target);
    }
    const message =
      `calibration: weights inside a network cost ${(fit.perWeightByteMs * 2 ** 20 * 1000).toFixed(1)} µs per MiB beyond their one-unit models ` +
      `(kernel level, ${fit.blocks} blocks of ${Math.min(n, archs.length)} calibration networks, measured ${where} in ${((Date.now() - started) / 1000).toFixed(1)} s); the fit may use it`;
    return { fit, options: fit.perWeightByteMs > 0 ? { perWeightByteMs: fit.perWeightByteMs } : {}, message };
  } catch (e) {
    return { options: {}, message: `calibration: the weight cost could not be measured (${(e as Error).message}); fitted without it` };
  }
}
