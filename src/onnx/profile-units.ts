/**
 * Measuring the units of one or more ONNX files into a LUT (nas profile --onnx, nas predict --onnx
 * --profile-missing): each unit the LUT lacks is extracted as a standalone model and timed with the same
 * harness and device as every op. Resumable like the op profiler: the store writes after every entry, and the
 * rounds of units, nets and the overhead not finished yet are kept beside the LUT (lut/partial-rounds.ts), so
 * that a killed run loses only the round in flight. The overhead is owed from the start of a run that measures
 * units until the end that adopts it, and the rounds file says so (its key, with its rounds so far or none): a run
 * killed after its last unit but before the overhead's last round in the passes is resumed by timing the
 * overhead (and the nets of opts.alsoTime) in passes again and keeping that figure, as a complete run does.
 */
import { measureInRounds, measureModel, needsAnotherRound, roundCount, timeRound, type RoundedResult, type RoundRecord } from '../../devices/rounds.js';
import type { Device, DeviceInfo, ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { overheadModel } from '../../export/model.js';
import { LutStore } from '../../lut/store.js';
import { PartialRounds } from '../../lut/partial-rounds.js';
import { ReferenceRun } from '../../lut/reference-run.js';
import type { ReferenceAdopted } from '../../lut/reference.js';
import { UnrunnableModelError, UserError } from '../core/errors.js';
import { entryFromRounds } from '../../lut/entry.js';
import { RunOverhead } from '../../lut/overhead.js';
import { chainedModel, unitModel } from './extract.js';
import { feedModels } from './feeds.js';
import type { LutUnit } from '../../lut/format.js';
import { layoutModel, layoutRecord, nchwcBlockSize, ownLayout, staleLayoutEntry, type LayoutUnit } from './layout.js';
import { isReorder, ortOptimizedModelNodes, ortVersion } from './partition.js';
import type { OnnxPlan } from './plan.js';

/** One model to time: a unit's one-unit model or a layout kernel's one-node model, and what its LUT entry records. */
interface Item {
  key: string;
  record: LutUnit;
  build: () => Promise<ModelUnderTest>;
  unsupported?: string;
  /** A whole model timed in the same passes (opts.alsoTime), not stored in the LUT. */
  whole?: boolean;
  /** Only opts.fitPlans need it: timed in the protocol's rounds without extra rounds for a spread. */
  fitOnly?: boolean;
}

export interface UnitProfileSummary {
  measured: number;
  reused: number;
  skipped: { key: string; reason: string }[];
  device: DeviceInfo;
  lutId: string;
  /** The overhead the LUT holds: timed in the same passes as the units when this run created the LUT. */
  overheadMs: number;
  /** The overhead as first timed alone, before the units (or the LUT's, when it had one). */
  overheadAloneMs: number;
  /**
   * The overhead timed in this run's passes, which the units it measured are net of: the LUT's overhead in the run
   * that creates the LUT, else their own (lut/overhead.ts). Absent when the run timed none.
   */
  runOverheadMs?: number;
  /** opts.alsoTime's models as timed in the units' passes (in the LUT's unit: rescaled with it), by key. */
  timed: Map<string, RoundedResult>;
  /** With a timing reference: R and β adopted at the end of this run (it created the LUT), every figure rescaled to them. */
  referenceAdopted?: ReferenceAdopted;
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
  /**
   * Files profiled only for the in-file fit (the built-in nets, src/onnx/wall-fit.ts), after `plans`: their units
   * that no file of `plans` has are timed in the protocol's rounds without the extra rounds a spread calls for
   * (replayed on eight runs, the fit and its predictions did not change: docs/benchmarks.md, "Issue 17, eighth pass").
   */
  fitPlans?: OnnxPlan[];
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
  const nchwc = [...opts.plans, ...(opts.fitPlans ?? [])].some((p) => p.nchwc);
  const version = nchwc ? await ortVersion() : '';
  const block = nchwc ? await nchwcBlockSize() : 0;
  let fitOnly = false;
  const addLayout = (l: LayoutUnit) => {
    if (todo.has(l.key)) return;
    const known = store.get(l.key);
    // An entry that holds an output copy its units do not pay (staleLayoutEntry) is measured again.
    if (known && !staleLayoutEntry({ device: info }, l.key, known)) reused++;
    else todo.set(l.key, { key: l.key, record: layoutRecord(l, block), build: async () => ({ key: l.key, ops: [], ...(await layoutModel(l)) }), fitOnly });
  };
  const fitPlans = new Set(opts.fitPlans ?? []);
  // A chainable unit's in-chain model (src/onnx/extract.ts, chainedModel), unless the LUT has it or knows it cannot
  // be: onnxruntime must run both copies, and no NCHWc reorder, or the figure would not be the unit's.
  const addChain = async (plan: OnnxPlan, u: OnnxPlan['units'][number]) => {
    const key = u.chainKey;
    if (!key || u.unsupported || todo.has(key) || store.get(key) || store.unsupportedReason(key) !== undefined) return;
    const m = unitModel(plan.graph, u.unit, { seed: opts.seed });
    const chained = chainedModel(m);
    const kernels = async (bytes: Uint8Array) => (await ortOptimizedModelNodes(bytes, plan.level, { nchwc: plan.nchwc, label: 'a unit model' })).nodes;
    let why: string | undefined;
    try {
      const [once, twice] = [await kernels(m.onnx), await kernels(chained.onnx)];
      if ([...once, ...twice].some((k) => isReorder(k.op))) why = 'its models run NCHWc reorders';
      else if (twice.length !== 2 * once.length) why = `onnxruntime runs ${twice.length} kernels for its two copies, not ${2 * once.length}`;
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      why = e.message;
    }
    if (why) store.markUnsupported(key, `no in-chain figure: ${why}`);
    else todo.set(key, { key, fitOnly, record: { ops: chained.ops, inputs: u.inputs, outputs: u.outputs, layout: [] }, build: async () => ({ key, onnx: chained.onnx, inputs: chained.inputs.map((i) => ({ name: i.name, shape: i.shape })), ops: [], graph: chained.graph, noGraph: chained.noGraph }) });
  };
  for (const plan of [...opts.plans, ...fitPlans]) {
    fitOnly = fitPlans.has(plan);
    store.addSpace(`onnx:${plan.graph.file.split('/').pop()}@${plan.graph.inputs.map((i) => i.shape.join('x')).join(',')}`);
    for (const u of plan.units) {
      await addChain(plan, u);
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
        fitOnly,
        unsupported: u.unsupported,
        record: { ops: u.ops, inputs: u.inputs, outputs: u.outputs, layout: layout.map((l) => l.key) },
        build: async () => ({ key: u.key, onnx: m.onnx, inputs: m.inputs.map((i) => ({ name: i.name, shape: i.shape })), ops: [], graph: m.graph, noGraph: m.noGraph }),
      });
    }
    if (plan.nchwc) plan.layout.forEach(addLayout);
  }
  // The feed models (src/onnx/feeds.ts): what one more run-time input, and one more byte of input, costs a unit
  // alone, which the prediction takes off; timed in the same passes, on the devices that run ONNX models as they are
  // (onnxruntime's; a tfjs device builds a unit from its primitives and feeds it otherwise).
  if (/^onnxruntime/.test(info.runtime) && [...opts.plans, ...fitPlans].some((p) => p.units.length > 0))
    for (const m of feedModels()) {
      if (!store.get(m.key) && !todo.has(m.key)) todo.set(m.key, { key: m.key, record: { ops: [m.op], inputs: m.inputs.map((i) => i.shape), outputs: m.outputs, layout: [] }, build: async () => m });
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
  // Rounds of units, nets and the overhead that an interrupted run of the same LUT did not finish: kept beside it and reused.
  const partial = PartialRounds.open(opts.lutPath, store.id!);
  // The overhead model is timed in the same shuffled passes as the units (lut/overhead.ts says why, and whose
  // overhead that figure becomes: the LUT's in the run that creates it, else this run's units' only). It is owed
  // from the start of a run that measures units until the end that settles it, and the rounds file says so (its
  // rounds so far, or none).
  const runOverhead = RunOverhead.start(store, partial);
  const OVERHEAD = runOverhead.key;
  const overheadOwed = runOverhead.isOwed(items.length > 0);
  if (overheadOwed) {
    items.push({ key: OVERHEAD, record: { ops: [], inputs: [], outputs: [] }, build: async () => overheadUnderTest });
    if (partial.get(OVERHEAD) === undefined) partial.set(OVERHEAD, []);
    for (const m of opts.alsoTime ?? []) items.push({ key: m.key, record: { ops: [], inputs: [], outputs: [] }, build: async () => m.build(), whole: true });
  }
  const wholeKeys = new Set((opts.alsoTime ?? []).map((m) => m.key));
  let overheadInRounds: RoundedResult | undefined;
  const fitProtocol: TimingProtocol = { ...protocol, extraRounds: 0 };
  const protocolOf = (it: Item) => (it.fitOnly ? fitProtocol : protocol);
  // Units are timed in rounds like ops (devices/rounds.ts: shuffled passes, the protocol's estimator). A unit
  // the device cannot load or run (UnrunnableModelError: an op its provider lacks, a tfjs device, which cannot
  // rebuild ONNX) is recorded as unsupported (the prediction then names it) and the others go on
  // with the rounds they already have; anything else stops the run.
  const models = new Map<string, ModelUnderTest>();
  const taken = new Map<string, readonly RoundRecord[]>(partial.all());
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
        protocolOf,
        time: async (it) => {
          current = it.key;
          let model = models.get(it.key);
          if (!model) models.set(it.key, (model = await it.build()));
          const round = await timeRound(opts.device, model, protocol);
          reference.note(round);
          return round;
        },
        onRound: (it, rounds) => {
          const { key, whole } = it;
          taken.set(key, [...rounds]);
          // With one round a unit is complete when its round is: nothing to keep aside. The overhead's and the
          // nets' rounds stay until the run ends (the overhead is owed until then, the fit needs every net).
          if (roundCount(protocol) > 1 && (whole || key === OVERHEAD || needsAnotherRound(rounds, protocolOf(it)))) partial.set(key, rounds);
        },
        onComplete: ({ key, record }, result) => {
          completed.add(key);
          if (key === OVERHEAD) {
            overheadInRounds = result;
            reference.complete(OVERHEAD, result);
            return;
          }
          if (wholeKeys.has(key)) {
            summary.timed.set(key, result);
            models.delete(key);
            return;
          }
          // Its rounds count toward β and are scored again with the R and β the end of the run adopts (lut/reference-run.ts).
          reference.complete(key, result);
          store.put(key, runOverhead.entry(key, { ...entryFromRounds(result, overhead.median), unit: record }));
          partial.delete(key);
          models.delete(key);
          summary.measured++;
          opts.onProgress?.(++done, todo.size, key, result.stats.median);
        },
      });
    } catch (e) {
      if (e instanceof UnrunnableModelError || (e instanceof UserError && /cannot load model/.test(e.message))) {
        summary.skipped.push({ key: current, reason: e.message });
        store.markUnsupported(current, e.message.slice(0, 500));
        cannotLoad.add(current);
        partial.delete(current);
        done++;
        continue;
      }
      partial.close();
      throw new UserError(`profiling stopped while measuring unit ${current} (${done + 1}/${todo.size}): ${(e as Error).message}`, {
        cause: e,
        hint: `units measured so far are saved in ${opts.lutPath}; run the same command again to measure only the missing ones`,
        exitCode: e instanceof UserError ? e.exitCode : 2,
      });
    }
  }
  if (overheadInRounds) {
    const adopted = runOverhead.settle(store, overheadInRounds.stats, 'units');
    summary.overheadMs = adopted.lutMs;
    summary.runOverheadMs = adopted.runMs;
    if (adopted.warning) opts.onWarning?.(adopted.warning);
  }
  // After the overhead: R and β from this run's rounds (the units', the overhead's, the nets'), when it created the LUT (lut/reference.ts).
  const rescaled = summary.measured > 0 ? reference.finish(store, summary.timed.values()) : undefined;
  if (rescaled) {
    summary.overheadMs = store.overhead!.median;
    if (runOverhead.ownsLutOverhead && summary.runOverheadMs !== undefined) summary.runOverheadMs = summary.overheadMs;
    summary.referenceAdopted = rescaled;
  }
  if (rescaled?.warning) opts.onWarning?.(rescaled.warning);
  partial.remove();
  store.close(); // the LUT file alone holds every unit now (after a failure the journal beside it does)
  return summary;
}
