/**
 * Measuring the units of one or more ONNX files into a LUT (nas profile --onnx, nas predict --onnx
 * --profile-missing): each unit the LUT lacks is extracted as a standalone model and timed with the same
 * harness and device as every op. Resumable like the op profiler: the store writes after every entry.
 */
import { measureInRounds, measureModel, timeRound, type RoundedResult, type RoundRecord } from '../../devices/rounds.js';
import type { Device, DeviceInfo, LatencyStats, ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { overheadModel } from '../../export/model.js';
import { LutStore } from '../../lut/store.js';
import { ReferenceRun } from '../../lut/reference-run.js';
import { UserError } from '../core/errors.js';
import { entryFromRounds } from '../../lut/entry.js';
import { adoptOverheadFromPasses, OVERHEAD_ITEM } from '../../lut/overhead.js';
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
  /** A whole model timed in the same passes (opts.alsoTime), not stored in the LUT. */
  whole?: boolean;
}

export interface UnitProfileSummary {
  measured: number;
  reused: number;
  skipped: { key: string; reason: string }[];
  device: DeviceInfo;
  lutId: string;
  /** The overhead the LUT holds: timed in the same passes as the units when this run measured any. */
  overheadMs: number;
  /** The overhead as first timed alone, before the units (or the LUT's, when it had one). */
  overheadAloneMs: number;
  /** opts.alsoTime's models as timed in the units' passes (in the LUT's unit: rescaled with it), by key. */
  timed: Map<string, RoundedResult>;
}

export async function profileUnits(opts: {
  device: Device;
  plans: OnnxPlan[];
  protocol: TimingProtocol;
  lutPath: string;
  force?: boolean;
  seed?: number;
  onProgress?: (done: number, total: number, key: string, ms?: number) => void;
  /** Said when the overhead timed in the units' passes differs by more than 10% from the one timed alone at the start. */
  onWarning?: (message: string) => void;
  /**
   * Whole models (e.g. the built-in nets of the wall-clock in-file fit, src/onnx/wall-fit.ts) timed in the same
   * shuffled passes as the units, so that both see the same minutes of the machine; their results are returned
   * in `timed`, not stored. Timed only when some unit is measured.
   */
  alsoTime?: { key: string; build: () => ModelUnderTest }[];
}): Promise<UnitProfileSummary> {
  const info = await opts.device.init();
  const store = LutStore.open(opts.lutPath, info, opts.protocol, { force: opts.force });
  // With a timing reference, every round scales to the LUT's R (or one measured now): lut/reference-run.ts.
  const reference = await ReferenceRun.start(opts.device, opts.protocol, store);
  const protocol = reference.protocol;
  const overheadUnderTest = overheadModel([1, 1, 1, 1]);
  // A first figure, so that every entry can be stored with its net as soon as it is measured; the overhead
  // is timed again in the units' own passes below, and that figure is the one the LUT keeps.
  if (!store.overhead) store.setOverhead((await measureModel(opts.device, overheadUnderTest, protocol)).stats);
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
  const summary: UnitProfileSummary = { measured: 0, reused, skipped: [], device: info, lutId: store.id!, overheadMs: overhead.median, overheadAloneMs: overhead.median, timed: new Map() };
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
  // The overhead model is timed in the same shuffled passes as the units, and that figure is the one the
  // LUT keeps (lut/overhead.ts says why).
  if (items.length) items.push({ key: OVERHEAD_ITEM, record: { ops: [], inputs: [], outputs: [] }, build: async () => overheadUnderTest });
  if (items.length) for (const m of opts.alsoTime ?? []) items.push({ key: m.key, record: { ops: [], inputs: [], outputs: [] }, build: async () => m.build(), whole: true });
  const wholeKeys = new Set((opts.alsoTime ?? []).map((m) => m.key));
  let overheadInRounds: LatencyStats | undefined;
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
      await measureInRounds(left, (it) => it.key, protocol, {
        seed: opts.seed,
        done: taken,
        time: async (it) => {
          current = it.key;
          let model = models.get(it.key);
          if (!model) models.set(it.key, (model = await it.build()));
          const round = await timeRound(opts.device, model, protocol);
          reference.note(round);
          return round;
        },
        onRound: ({ key }, rounds) => taken.set(key, [...rounds]),
        onComplete: ({ key, record }, result) => {
          completed.add(key);
          if (key === OVERHEAD_ITEM) {
            overheadInRounds = result.stats;
            return;
          }
          if (wholeKeys.has(key)) {
            summary.timed.set(key, result);
            models.delete(key);
            return;
          }
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
  if (summary.measured > 0 && overheadInRounds) {
    const adopted = adoptOverheadFromPasses(store, overheadInRounds, 'units');
    summary.overheadMs = adopted.passesMs;
    if (adopted.warning) opts.onWarning?.(adopted.warning);
    // After the overhead: R from this run's rounds, when it created the LUT (lut/reference.ts).
    const rescaled = reference.finish(store, summary.timed.values());
    if (rescaled) summary.overheadMs = store.overhead!.median;
    if (rescaled?.warning) opts.onWarning?.(rescaled.warning);
  }
  store.close(); // the LUT file alone holds every unit now (after a failure the journal beside it does)
  return summary;
}
