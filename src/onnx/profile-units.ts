/**
 * Measuring the units of one or more ONNX files into a LUT (nas profile --onnx, nas predict --onnx
 * --profile-missing): each unit the LUT lacks is extracted as a standalone model and timed with the same
 * harness and device as every op. Resumable like the op profiler: the store writes after every entry.
 */
import type { Device, DeviceInfo, TimingProtocol } from '../../devices/types.js';
import { overheadModel } from '../../export/model.js';
import { LutStore } from '../../lut/store.js';
import { UserError } from '../core/errors.js';
import { unitModel } from './extract.js';
import type { OnnxPlan } from './plan.js';

export interface UnitProfileSummary {
  measured: number;
  reused: number;
  skipped: { key: string; reason: string }[];
  device: DeviceInfo;
  lutId: string;
  overheadMs: number;
}

export async function profileUnits(opts: {
  device: Device;
  plans: OnnxPlan[];
  protocol: TimingProtocol;
  lutPath: string;
  force?: boolean;
  seed?: number;
  onProgress?: (done: number, total: number, key: string, ms?: number) => void;
}): Promise<UnitProfileSummary> {
  const info = await opts.device.init();
  const store = LutStore.open(opts.lutPath, info, opts.protocol, { force: opts.force });
  if (!store.overhead) {
    const r = await opts.device.time(overheadModel([1, 1, 1, 1]), opts.protocol);
    store.setOverhead(r.stats);
  }
  const overhead = store.overhead!;
  const todo = new Map<string, { plan: OnnxPlan; unit: OnnxPlan['units'][number] }>();
  let reused = 0;
  for (const plan of opts.plans) {
    store.addSpace(`onnx:${plan.graph.file.split('/').pop()}@${plan.graph.inputs.map((i) => i.shape.join('x')).join(',')}`);
    for (const u of plan.units) {
      if (todo.has(u.key)) continue;
      if (store.has(u.key)) reused++;
      else todo.set(u.key, { plan, unit: u });
    }
  }
  const summary: UnitProfileSummary = { measured: 0, reused, skipped: [], device: info, lutId: store.id!, overheadMs: overhead.median };
  let done = 0;
  for (const [key, { plan, unit }] of todo) {
    done++;
    if (unit.unsupported) {
      summary.skipped.push({ key, reason: unit.unsupported });
      store.markUnsupported(key, unit.unsupported);
      continue;
    }
    const model = unitModel(plan.graph, unit.unit, { seed: opts.seed });
    let r;
    try {
      r = await opts.device.time({ key, onnx: model.onnx, inputs: model.inputs.map((i) => ({ name: i.name, shape: i.shape })), ops: [] }, opts.protocol);
    } catch (e) {
      // A unit the device cannot load is recorded (the prediction then names it); anything else stops the run.
      if (e instanceof UserError && /cannot load model/.test(e.message)) {
        summary.skipped.push({ key, reason: e.message });
        store.markUnsupported(key, e.message.slice(0, 500));
        continue;
      }
      throw new UserError(`profiling stopped while measuring unit ${key} (${done}/${todo.size}): ${(e as Error).message}`, {
        cause: e,
        hint: `units measured so far are saved in ${opts.lutPath}; run the same command again to measure only the missing ones`,
        exitCode: e instanceof UserError ? e.exitCode : 2,
      });
    }
    store.put(key, {
      stats: r.stats,
      net: Math.max(0, r.stats.median - overhead.median),
      coldMs: r.coldMs,
      setupMs: r.setupMs,
      measuredAt: new Date().toISOString(),
      unit: { ops: unit.ops, inputs: unit.inputs, outputs: unit.outputs },
    });
    summary.measured++;
    opts.onProgress?.(done, todo.size, key, r.stats.median);
  }
  store.close(); // the LUT file alone holds every unit now (after a failure the journal beside it does)
  return summary;
}
