/**
 * The profiling loop: measure every op instance that a LUT does not hold yet on one device.
 *
 * Resumable by construction: the LUT is opened through LutStore, which refuses a file measured under
 * other settings and persists every entry as it is stored (to the LUT's journal, folded into the file
 * at the end), so a run that dies (or is killed) loses at most the round it was measuring, and running
 * the same command again measures only what is missing.
 *
 * Entries are measured in rounds spread over the run (devices/rounds.ts); an entry is written as soon as
 * its last round is taken, and the rounds of unfinished entries are kept beside the LUT
 * (partial-rounds.ts) so that a resumed run takes only the rounds still missing. Whole networks to compare
 * with the LUT (`nets`: the calibration's, a bench's) are timed in the same shuffled passes as the entries
 * (devices/measurables.ts), their rounds kept beside the LUT the same way until the run finishes.
 */
import { performance } from 'node:perf_hooks';
import { busyReason, waitQuiet, type WaitQuietOptions } from '../../devices/noise.js';
import { measureAll, protocolOfItem, type Measurable } from '../../devices/measurables.js';
import type { WorkerDevice } from '../../devices/round-worker.js';
import { roundTimer, type PlacedRoundTimer } from '../../devices/round-timer.js';
import { measureModel, needsAnotherRound, roundCount, roundsOwed, type RoundedResult, type UnsteadyWhy } from '../../devices/rounds.js';
import { extraRoundsOf, type ExtraRoundsReport } from './extra-rounds.js';
import type { Device, DeviceInfo, ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { overheadModel } from '../../export/model.js';
import type { LutEntry, LutOwnLayout } from '../../lut/format.js';
import { entryFromRounds } from '../../lut/entry.js';
import { RunOverhead } from '../../lut/overhead.js';
import { LutStore } from '../../lut/store.js';
import { UserError } from '../core/errors.js';
import { opKey } from '../core/keys.js';
import type { OpInstance, Shape } from '../core/ops.js';
import { entryModel } from './entry-model.js';
import { measureOwnLayout, recordsOwnLayout } from './own-layout.js';
import { PartialRounds } from '../../lut/partial-rounds.js';
import { ReferenceRun } from '../../lut/reference-run.js';
import type { ReferenceAdopted } from '../../lut/reference.js';

export interface ProfileProgress {
  /** Instances and networks handled so far, including instances already in the LUT and unsupported ones. */
  done: number;
  total: number;
  /** The instance (or `net:<id>`) just handled; absent in the first report, before any. */
  key?: string;
  elapsedMs: number;
  /** Estimated time to finish: the rounds still owed × the average time per round so far (absent before the first round). */
  etaMs?: number;
  /** Rounds still owed (devices/rounds.ts roundsOwed: extra rounds already called for, by a spread or a gate, included); absent before they are counted. */
  roundsLeft?: number;
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
  /** Stops after the round being measured; every entry completed so far is kept, and the rounds of the others are kept beside the LUT. */
  signal?: AbortSignal;
  /** Warnings about a busy machine (load, steal), at most one a minute. */
  onNoise?: (message: string) => void;
  /** Before the overhead and before each pass of rounds, wait (at most maxWaitMs) for the machine to quieten. */
  waitQuiet?: Pick<WaitQuietOptions, 'maxWaitMs' | 'pollMs'>;
  /** The registry name and options of `device`, for protocols that run rounds in fresh worker processes. */
  workerDevice?: WorkerDevice;
  /**
   * Record each entry's own NCHWc reorders (src/profile/own-layout.ts); default: where the device is
   * ort-cpu at level all with 1 thread. One profiled session per unit, before its first round, in this
   * process: pass false for a device that measures on another machine (a farm's).
   */
  ownLayout?: boolean;
  /**
   * Whole networks timed in the same shuffled passes as the entries (the calibration's, a bench's test
   * nets), so both sides of a prediction meet the same machine state. A network with an op the device
   * cannot run is skipped; the results are in ProfileResult.nets.
   */
  nets?: readonly ProfileNet[];
  /** Warnings about where the processes could be pinned (protocol.cpu with one CPU); default: onNoise. */
  onWarning?: (message: string) => void;
  /** Each entry's combined rounds as it is stored (a bench that studies the rounds keeps their details). */
  onEntry?: (key: string, result: RoundedResult) => void;
  /**
   * The run's extra rounds (a set-aside round retaken, a spread measured again) at most this share of the rounds
   * asked for (items × protocol.rounds); absent: DEFAULT_EXTRA_ROUND_SHARE (the same for `nas profile`, the benches and
   * --profile-missing); Infinity: only each item's extraRounds (the behaviour before the bound).
   * Items past it are kept as measured, marked unsteady (LutEntry.unsteady).
   */
  extraRoundShare?: number;
  /**
   * Before the extra rounds of a pass, wait at most this long (ms) for a moment when a thread gets its CPU as the
   * round gate wants (devices/noise.ts waitForCpu); still busy then, take none (the items are kept, unsteady).
   * Absent: DEFAULT_RETAKE_WAIT_MS; 0: take them at once (the behaviour before the wait). Only with several rounds.
   */
  retakeWaitMs?: number;
  /** Injected for tests: what a thread waits for a CPU now, % (default devices/noise.ts cpuWaitNow). */
  cpuWait?: () => number | undefined;
  /** Keys to measure again though the LUT holds them (nas profile --retake: its unsteady entries); each is replaced when measured. */
  retake?: ReadonlySet<string>;
}

/** An entry kept while its rounds still called for another one (LutEntry.unsteady). */
export interface UnsteadyEntry {
  key: string;
  why: UnsteadyWhy;
  spread: number;
  /** Its rounds a gate set aside. */
  setAside: number;
  rounds: number;
}

export interface ProfileNet {
  /** Unique among the nets (e.g. calibrationNetId). */
  id: string;
  instances: readonly OpInstance[];
  build(): ModelUnderTest;
}

export interface ProfileSummary {
  measured: number;
  /** Already in the LUT: not measured again. */
  reused: number;
  skipped: { key: string; reason: string }[];
  /** True when `signal` stopped the run before every instance was handled, or before the overhead owed in the passes was timed. */
  interrupted: boolean;
  /** Entries this run kept with rounds that still called for another one (LutEntry.unsteady). */
  unsteady: UnsteadyEntry[];
  /** Extra rounds: the run's bound, those taken, the items completed without theirs (the bound reached, or still busy after the wait). */
  extraRounds?: ExtraRoundsReport;
}

export interface ProfileResult {
  device: DeviceInfo;
  lutPath: string;
  lutId: string;
  overheadMs: number;
  summary: ProfileSummary;
  /** The `nets` completed, by id (all of them unless interrupted or skipped). */
  nets: Map<string, RoundedResult>;
  /** The `nets` left out: an op the device cannot run. */
  netsSkipped: { id: string; reason: string }[];
  /** With a timing reference: the LUT's R after the run (protocol.referenceMs). */
  referenceMs?: number;
  /** With a timing reference: the LUT's β after the run (protocol.referenceSlope; absent = 1). */
  referenceSlope?: number;
  /** R adopted at the end of this run (it created the LUT), every figure rescaled to it. */
  referenceAdopted?: ReferenceAdopted;
}

export async function profile(options: ProfileOptions): Promise<ProfileResult> {
  const { device, protocol, lutPath, signal } = options;
  const instances = uniqueByKey(options.instances);
  if (instances.length === 0) throw new UserError('nothing to profile: the list of op instances is empty');
  const started = performance.now();

  const info = await device.init();
  const store = LutStore.open(lutPath, info, protocol, { force: options.force });
  // With a timing reference, every round scales to the LUT's R (or one measured now): lut/reference-run.ts.
  const reference = await ReferenceRun.start(device, protocol, store);
  const timer = roundTimer(device, reference.protocol, options.workerDevice, { onWarning: options.onWarning ?? options.onNoise });
  const waitBeforePass = async () => {
    if (options.waitQuiet) await waitQuiet({ ...options.waitQuiet, signal, log: options.onNoise });
  };
  let failed = true;
  try {
    const result = await profileWith({ ...options, protocol: reference.protocol }, { info, store, timer, waitBeforePass, started, instances, reference });
    failed = false;
    return result;
  } finally {
    await timer.stop();
    // The LUT file alone holds every entry from here on. After a failure (a full disk) the fold may fail
    // too: the journal keeps the entries, and the first error is the one to report.
    try {
      store.close();
    } catch (e) {
      if (!failed) throw e;
    }
  }
}

async function profileWith(
  options: ProfileOptions,
  run: { info: DeviceInfo; store: LutStore; started: number; instances: { key: string; inst: OpInstance }[]; timer: PlacedRoundTimer; waitBeforePass(): Promise<void>; reference: ReferenceRun },
): Promise<ProfileResult> {
  const { device, protocol, lutPath, seed = 0, onProgress, signal } = options;
  const { info, store, started, instances, timer, waitBeforePass, reference } = run;
  // Where this run's rounds ran (protocol.cpu), recorded in the LUT's protocol once known.
  let placed = false;
  const notePlacement = () => {
    const where = placed || !store.overhead ? undefined : timer.placement();
    if (!where) return;
    store.setPlacement(where);
    placed = true;
  };
  // A one-element Identity: the fixed cost of one run, without the cost of moving a large tensor,
  // which a network pays once (its own input and output), not once per op.
  const overheadShape: Shape = [1, 1, 1, 1];
  const overheadUnderTest = overheadModel(overheadShape);
  // A first figure, so that every entry can be stored with its net as soon as it is measured; the overhead is
  // timed again in the entries' own passes below, and that figure is the one the LUT keeps (lut/overhead.ts).
  if (!store.overhead) {
    const result = await attempt(`measuring the per-session overhead (an Identity model on ${overheadShape.join('x')})`, lutPath, () =>
      measureAll([{ key: overheadUnderTest.key, kind: 'entry', build: () => overheadUnderTest }], protocol, { timer, beforePass: waitBeforePass, afterRound: (_, round) => reference.note(round) }),
    );
    store.setOverhead(result.get(overheadUnderTest.key)!.stats);
  }
  notePlacement();
  if (options.space) store.addSpace(options.space);
  const overhead = store.overhead!;

  const todo = instances.filter(({ key }) => !store.has(key) || options.retake?.has(key));
  const summary: ProfileSummary = { measured: 0, reused: instances.length - todo.length, skipped: [], interrupted: false, unsteady: [] };
  const { nets, netsSkipped } = netsToMeasure(options.nets ?? [], device);
  const total = instances.length + nets.length;
  let done = summary.reused;
  const report = (key?: string, lastMs?: number) => {
    const perRound = roundsTaken ? measuringMs / roundsTaken : undefined;
    onProgress?.({
      done,
      total,
      key,
      elapsedMs: performance.now() - started,
      etaMs: perRound === undefined || roundsLeft === undefined ? undefined : perRound * roundsLeft,
      ...(roundsLeft !== undefined ? { roundsLeft } : {}),
      lastMs,
    });
  };
  let measuringMs = 0;
  let roundsTaken = 0;
  // The rounds still owed, over every item: counted once the items are known, updated after each round.
  let roundsLeft: number | undefined;
  report();

  const supported: { key: string; inst: OpInstance }[] = [];
  for (const item of todo) {
    const why = device.supports(item.inst);
    if (why === true) {
      supported.push(item);
      continue;
    }
    summary.skipped.push({ key: item.key, reason: why });
    store.markUnsupported(item.key, why);
    done++;
    report(item.key);
  }

  // Rounds of entries (and nets) not finished by an interrupted run of the same LUT are kept beside it and reused.
  const partial = PartialRounds.open(lutPath, store.id!);
  type Item = Measurable & ({ kind: 'entry'; inst: OpInstance } | { kind: 'net'; id: string } | { kind: 'overhead' });
  const items: Item[] = [
    ...supported.map(({ key, inst }) => ({ key, kind: 'entry' as const, inst, build: () => entryModel(device, inst, seed) })),
    ...nets.map((n) => ({ key: netRoundsKey(n.id), kind: 'net' as const, id: n.id, build: n.build })),
  ];
  // The overhead model, timed in the same shuffled passes as the entries (lut/overhead.ts says why and whose
  // overhead it becomes: the LUT's in the run that creates it, else this run's entries' only). It is owed from
  // the start of a run that measures entries until the end that settles it, and the rounds file says so (its
  // rounds so far, or none): a run stopped between its last entry and the overhead's last round leaves no entry
  // to measure, and the run that resumes it still times the overhead in its passes and settles with that.
  const runOverhead = RunOverhead.start(store, partial);
  const overheadOwed = runOverhead.isOwed(supported.length > 0);
  if (overheadOwed) {
    items.push({ key: runOverhead.key, kind: 'overhead', build: () => overheadUnderTest });
    if (partial.get(runOverhead.key) === undefined) partial.set(runOverhead.key, []);
  }
  let overheadInPasses: RoundedResult | undefined;
  // Each item's rounds still owed, the extra ones its rounds call for (a spread, a gate) included as soon as they do.
  // A whole net owes its netRounds, as measureAll times it.
  const protocolOf = (it: Item) => protocolOfItem(it, protocol);
  const owed = new Map(items.map((it) => [it.key, roundsOwed(partial.get(it.key) ?? [], protocolOf(it))]));
  roundsLeft = [...owed.values()].reduce((s, n) => s + n, 0);
  let lastNoiseWarning = -Infinity;
  let current = '';
  const withLayout = options.ownLayout ?? recordsOwnLayout(info);
  const layouts = new Map<string, LutOwnLayout>();
  const netResults = new Map<string, RoundedResult>();
  let t0 = 0;
  const extras = extraRoundsOf({ ...options, roundMs: () => (roundsTaken ? measuringMs / roundsTaken : undefined) }, items.length, (r) => (summary.extraRounds = r));
  await attempt(
    () => `measuring ${current} (${done + 1}/${total}); ${summary.measured} entr${summary.measured === 1 ? 'y' : 'ies'} measured in this run`,
    lutPath,
    () =>
      measureAll(items, protocol, {
        timer,
        seed,
        done: partial.all(),
        signal,
        extras,
        beforePass: waitBeforePass,
        beforeRound: async (it, model) => {
          current = it.key;
          t0 = performance.now();
          // Outside the timed round: the profiled session is a separate one.
          if (it.kind === 'entry' && withLayout && !layouts.has(it.key)) layouts.set(it.key, await measureOwnLayout(model));
        },
        afterRound: (it, round) => {
          measuringMs += performance.now() - t0;
          roundsTaken++;
          reference.note(round);
          notePlacement();
          const busy = round.noise && busyReason(round.noise);
          // One warning a minute at most: a busy machine stays busy for a while.
          if (busy && options.onNoise && performance.now() - lastNoiseWarning > 60_000) {
            lastNoiseWarning = performance.now();
            options.onNoise(`machine busy while measuring (${busy}): timings may be disturbed${options.waitQuiet ? '' : '; --wait-quiet pauses until it quietens'}`);
          }
        },
        // With one round an entry is complete when its round is: nothing to keep aside. A net's rounds
        // stay until the run ends (its caller, e.g. the calibration, needs them all at once).
        onRound: (it, rounds) => {
          const owes = roundsOwed(rounds, protocolOf(it));
          roundsLeft = (roundsLeft ?? 0) + owes - (owed.get(it.key) ?? 0);
          owed.set(it.key, owes);
          // Entries complete only in their last pass: report every round, so the ETA moves and a long run never looks hung.
          report(it.key, rounds.at(-1)!.stats.median);
          if (roundCount(protocol) > 1 && (it.kind !== 'entry' || needsAnotherRound(rounds, protocol))) partial.set(it.key, rounds);
        },
        onComplete: (it, result) => {
          if (it.kind === 'overhead') {
            overheadInPasses = result;
            reference.complete(runOverhead.key, result);
            return report('per-session overhead', result.stats.median);
          }
          done++;
          if (it.kind === 'net') {
            netResults.set(it.id, result);
            return report(it.key, result.stats.median);
          }
          options.onEntry?.(it.key, result);
          reference.complete(it.key, result);
          const entry = entryFromRounds(result, overhead.median);
          const own = layouts.get(it.key);
          if (own) entry.ownLayout = own;
          if (entry.unsteady) summary.unsteady.push({ key: it.key, why: entry.unsteady.why, spread: result.spread, setAside: entry.unsteady.setAside, rounds: result.details.length });
          store.put(it.key, runOverhead.entry(it.key, entry));
          layouts.delete(it.key);
          partial.delete(it.key);
          summary.measured++;
          report(it.key, result.stats.median);
        },
      }),
  );
  summary.interrupted = done < total || (overheadOwed && !overheadInPasses);
  if (!summary.interrupted) partial.remove();
  else partial.close();
  if (!summary.interrupted && overheadInPasses) {
    const adopted = runOverhead.settle(store, overheadInPasses.stats, 'entries');
    if (adopted.warning) (options.onWarning ?? options.onNoise)?.(adopted.warning);
  }
  // After the overhead: R and β from this run's rounds, when it created the LUT (lut/reference.ts), the entries and nets scored again with them.
  const adoptedReference = !summary.interrupted && summary.measured > 0 ? reference.finish(store, netResults.values()) : undefined;
  if (adoptedReference?.warning) (options.onWarning ?? options.onNoise)?.(adoptedReference.warning);
  return {
    device: info,
    lutPath,
    lutId: store.id!,
    overheadMs: store.overhead!.median,
    summary,
    nets: netResults,
    netsSkipped,
    ...(store.referenceMs !== undefined ? { referenceMs: store.referenceMs } : {}),
    ...(store.referenceSlope !== undefined ? { referenceSlope: store.referenceSlope } : {}),
    ...(adoptedReference ? { referenceAdopted: adoptedReference } : {}),
  };
}

/** The key of a net among the measurables and in the rounds file (never an op key): a farm coordinator reads its kept rounds by it. */
export const netRoundsKey = (id: string) => `net:${id}`;

/** The nets the device can run (every op supported), and the others with why. */
function netsToMeasure(nets: readonly ProfileNet[], device: Device): { nets: ProfileNet[]; netsSkipped: { id: string; reason: string }[] } {
  const ids = new Set<string>();
  const netsSkipped: { id: string; reason: string }[] = [];
  const ok: ProfileNet[] = [];
  for (const n of nets) {
    if (ids.has(n.id)) throw new Error(`profile: two nets with the id ${n.id}`);
    ids.add(n.id);
    let why: string | undefined;
    for (const inst of n.instances) {
      const r = device.supports(inst);
      if (r !== true) {
        why = `${opKey(inst)}: ${r}`;
        break;
      }
    }
    if (why) netsSkipped.push({ id: n.id, reason: why });
    else ok.push(n);
  }
  return { nets: ok, netsSkipped };
}

/**
 * One LUT entry measured on its own: every round of `inst` back to back, net of `overheadMs` (the LUT's
 * overhead median). For callers that measure entries one at a time (e.g. a worker handed one key); the
 * profiler itself interleaves the rounds of all its entries. Throws what device.time throws.
 */
export async function measureEntry(device: Device, inst: OpInstance, protocol: TimingProtocol, opts: { overheadMs: number; seed?: number }): Promise<LutEntry> {
  return entryFromRounds(await measureModel(device, entryModel(device, inst, opts.seed ?? 0), protocol), opts.overheadMs);
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
async function attempt<T>(where: string | (() => string), lutPath: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    const message = `profiling stopped while ${typeof where === 'string' ? where : where()}: ${(e as Error).message}`;
    const hint = `entries measured so far are saved in ${lutPath}; fix the problem and run the same command again to measure only the missing ones`;
    if (e instanceof UserError) throw new UserError(message, { cause: e, hint: e.hint ? `${e.hint}; ${hint}` : hint, exitCode: e.exitCode });
    throw new Error(`${message} (${hint})`, { cause: e });
  }
}
