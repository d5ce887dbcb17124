/**
 * Measuring the units of one or more ONNX files into a LUT (nas profile --onnx, nas predict --onnx
 * --profile-missing): each unit the LUT lacks is extracted as a standalone model and timed with the same
 * harness and device as every op. Resumable like the op profiler: the store writes after every entry.
 */
import { measureInRounds, measureModel, timeRound, type RoundRecord } from '../../devices/rounds.js';
import type { Device, DeviceInfo, ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { overheadModel } from '../../export/model.js';
import { LutStore } from '../../lut/store.js';
import { UserError } from '../core/errors.js';
import { entryFromRounds } from '../profile/profiler.js';
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
  if (!store.overhead) store.setOverhead((await measureModel(opts.device, overheadModel([1, 1, 1, 1]), opts.protocol)).stats);
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
  const items: { key: string; plan: OnnxPlan; unit: OnnxPlan['units'][number] }[] = [];
  for (const [key, { plan, unit }] of todo) {
    if (!unit.unsupported) items.push({ key, plan, unit });
    else {
      done++;
      summary.skipped.push({ key, reason: unit.unsupported });
      store.markUnsupported(key, unit.unsupported);
    }
  }
  // Units are timed in rounds like ops (devices/rounds.ts: shuffled passes, the protocol's estimator). A unit
  // the device cannot load is recorded as unsupported (the prediction then names it) and the others go on
  // with the rounds they already have; anything else stops the run.
  const models = new Map<string, ModelUnderTest>();
  const taken = new Map<string, readonly RoundRecord[]>();
  const cannotLoad = new Set<string>();
  for (;;) {
    const left = items.filter((it) => !store.has(it.key) && !cannotLoad.has(it.key));
    if (!left.length) break;
    let current = '';
    try {
      await measureInRounds(left, (it) => it.key, opts.protocol, {
        seed: opts.seed,
        done: taken,
        time: ({ key, plan, unit }) => {
          current = key;
          let model = models.get(key);
          if (!model) {
            const m = unitModel(plan.graph, unit.unit, { seed: opts.seed });
            models.set(key, (model = { key, onnx: m.onnx, inputs: m.inputs.map((i) => ({ name: i.name, shape: i.shape })), ops: [] }));
          }
          return timeRound(opts.device, model, opts.protocol);
        },
        onRound: ({ key }, rounds) => taken.set(key, [...rounds]),
        onComplete: ({ key, unit }, result) => {
          store.put(key, { ...entryFromRounds(result, overhead.median), unit: { ops: unit.ops, inputs: unit.inputs, outputs: unit.outputs } });
          models.delete(key);
          summary.measured++;
          opts.onProgress?.(++done, todo.size, key, result.stats.median);
        },
      });
    } catch (e) {
      if (e instanceof UserError && /cannot load model/.test(e.message)) {
        summary.skipped.push({ key: current, reason: e.message });
        store.markUnsupported(current, e.message.slice(0, 500));
        cannotLoad.add(current);
        done++;
        continue;
      }
      throw new UserError(`profiling stopped while measuring unit ${current} (${done + 1}/${todo.size}): ${(e as Error).message}`, {
        cause: e,
        hint: `units measured so far are saved in ${opts.lutPath}; run the same command again to measure only the missing ones`,
        exitCode: e instanceof UserError ? e.exitCode : 2,
      });
    }
  }
  store.close(); // the LUT file alone holds every unit now (after a failure the journal beside it does)
  return summary;
}
