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
import { entryFromRounds } from '../../lut/entry.js';
import { confirmOverhead, rebaseMessage } from '../../lut/overhead.js';
import { unitModel } from './extract.js';
import type { LutUnit } from '../../lut/format.js';
import { layoutModel, layoutRecord, nchwcBlockSize, ownLayout, staleLayoutEntry, type LayoutUnit } from './layout.js';
import { ortVersion } from './partition.js';
import type { OnnxPlan } from './plan.js';

/** One model to time: a unit's one-unit model or a layout kernel's one-node model, and what its LUT entry records. */
interface Item {
  key: string;
  record: LutUnit;
  build: () => Promise<ModelUnderTest>;
  unsupported?: string;
}

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
  /** Said when the run replaced its overhead with a lower end-of-run figure (lut/overhead.ts). */
  onWarning?: (message: string) => void;
}): Promise<UnitProfileSummary> {
  const info = await opts.device.init();
  const store = LutStore.open(opts.lutPath, info, opts.protocol, { force: opts.force });
  const measureOverhead = async () => (await measureModel(opts.device, overheadModel([1, 1, 1, 1]), opts.protocol)).stats;
  if (!store.overhead) store.setOverhead(await measureOverhead());
  const overhead = store.overhead!;
  // What to measure: every unit the LUT lacks, and on an NCHWc partition every reorder (the file's, and those
  // a unit's one-unit model runs alone, which its figure includes and the prediction takes out again).
  const todo = new Map<string, Item>();
  let reused = 0;
  const nchwc = opts.plans.some((p) => p.nchwc);
  const version = nchwc ? await ortVersion() : '';
  const block = nchwc ? await nchwcBlockSize() : 0;
  const addLayout = (l: LayoutUnit) => {
    if (todo.has(l.key)) return;
    const known = store.get(l.key);
    // An entry that holds an output copy its units do not pay (staleLayoutEntry) is measured again.
    if (known && !staleLayoutEntry({ device: info }, l.key, known)) reused++;
    else todo.set(l.key, { key: l.key, record: layoutRecord(l, block), build: async () => ({ key: l.key, ops: [], ...(await layoutModel(l)) }) });
  };
  for (const plan of opts.plans) {
    store.addSpace(`onnx:${plan.graph.file.split('/').pop()}@${plan.graph.inputs.map((i) => i.shape.join('x')).join(',')}`);
    for (const u of plan.units) {
      if (todo.has(u.key)) continue;
      const had = store.get(u.key);
      const stale = (had?.unit?.layout ?? []).some((k) => {
        const e = store.get(k);
        return e !== undefined && staleLayoutEntry({ device: info }, k, e);
      });
      if (had && !stale) {
        reused++;
        continue;
      }
      const m = unitModel(plan.graph, u.unit, { seed: opts.seed });
      let layout: LayoutUnit[] = [];
      if (plan.nchwc && !u.unsupported) {
        try {
          layout = await ownLayout(m.onnx, plan.level, (t) => plan.graph.tensors.get(t)?.shape, version);
        } catch (e) {
          if (!(e instanceof UserError)) throw e;
          // onnxruntime cannot load the unit's model: timing it fails the same way and records why
        }
      }
      layout.forEach(addLayout);
      if (had) {
        // The unit's own figure stands; only the reorders it names are measured again.
        reused++;
        continue;
      }
      todo.set(u.key, {
        key: u.key,
        unsupported: u.unsupported,
        record: { ops: u.ops, inputs: u.inputs, outputs: u.outputs, layout: layout.map((l) => l.key) },
        build: async () => ({ key: u.key, onnx: m.onnx, inputs: m.inputs.map((i) => ({ name: i.name, shape: i.shape })), ops: [] }),
      });
    }
    if (plan.nchwc) plan.layout.forEach(addLayout);
  }
  const summary: UnitProfileSummary = { measured: 0, reused, skipped: [], device: info, lutId: store.id!, overheadMs: overhead.median };
  let done = 0;
  const items: Item[] = [];
  for (const it of todo.values()) {
    if (!it.unsupported) items.push(it);
    else {
      done++;
      summary.skipped.push({ key: it.key, reason: it.unsupported });
      store.markUnsupported(it.key, it.unsupported);
    }
  }
  // Units are timed in rounds like ops (devices/rounds.ts: shuffled passes, the protocol's estimator). A unit
  // the device cannot load is recorded as unsupported (the prediction then names it) and the others go on
  // with the rounds they already have; anything else stops the run.
  const models = new Map<string, ModelUnderTest>();
  const taken = new Map<string, readonly RoundRecord[]>();
  const cannotLoad = new Set<string>();
  // Keys measured by this run (a stale entry being measured again is in the store already).
  const completed = new Set<string>();
  for (;;) {
    const left = items.filter((it) => !completed.has(it.key) && !cannotLoad.has(it.key));
    if (!left.length) break;
    let current = '';
    try {
      await measureInRounds(left, (it) => it.key, opts.protocol, {
        seed: opts.seed,
        done: taken,
        time: async (it) => {
          current = it.key;
          let model = models.get(it.key);
          if (!model) models.set(it.key, (model = await it.build()));
          return timeRound(opts.device, model, opts.protocol);
        },
        onRound: ({ key }, rounds) => taken.set(key, [...rounds]),
        onComplete: ({ key, record }, result) => {
          completed.add(key);
          store.put(key, { ...entryFromRounds(result, overhead.median), unit: record });
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
  if (summary.measured > 0) {
    const check = await confirmOverhead(store, measureOverhead);
    if (check?.rebased) opts.onWarning?.(rebaseMessage(check));
    summary.overheadMs = store.overhead!.median;
  }
  store.close(); // the LUT file alone holds every unit now (after a failure the journal beside it does)
  return summary;
}
