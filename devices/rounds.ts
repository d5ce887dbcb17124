/**
 * Measuring in rounds. On a shared machine the CPU's speed drifts over seconds to minutes (other
 * processes, a hypervisor taking the vCPU away), far more than one measure() call's own confidence
 * interval says. So every model is timed several times (rounds), each round a fresh session, and the
 * rounds of all models are spread over the run in a shuffled order: drift and neighbours then hit every
 * model alike instead of whichever happened to be timed during a bad minute. The round figures combine
 * through a robust estimator, and a model whose rounds disagree is measured again.
 *
 * This file knows nothing of LUTs: the profiler, the calibration and the benchmarks use it for ops and
 * whole networks alike.
 */
import { quantileSorted } from 'simple-statistics';
import { anchorMs, fastestAnchor, noteAnchor } from './anchor.js';
import { Rng } from '../src/core/rng.js';
import { NoiseProbe, worstOf, type NoiseReading } from './noise.js';
import { ensurePinned } from './pin.js';
import { driftFactor, noteReferenceReading, referenceDevice, referenceModel, scaleStats } from './reference.js';
import type { Device, Estimator, LatencyStats, ModelUnderTest, TimingProtocol, TimingResult } from './types.js';

/** One round of one model. */
export interface RoundRecord {
  stats: LatencyStats;
  coldMs: number;
  setupMs: number;
  /** The machine during the round. */
  noise?: NoiseReading;
  /** When the round ended (ms since the epoch); absent in rounds kept by older runs. */
  endedAt?: number;
  /**
   * With protocol.reference: the factor (R / the reference's median in this round)^β that `stats` were
   * multiplied by (devices/reference.ts); the round as timed is stats / scale. Absent without a reference.
   */
  scale?: number;
}

/** What a round is remembered by beside its figure: for benches and reports that ask why rounds differ. */
export interface RoundDetail {
  median: number;
  p10: number;
  min: number;
  n: number;
  endedAt?: number;
  noise?: NoiseReading;
  /** A gate (the anchor gate, protocol.roundGate) left this round out of the figure. */
  setAside?: boolean;
  /** Which gate set it aside, and on what: the anchor, the thread's wait for a CPU, or the reference's reading. */
  asideWhy?: AsideWhy;
  /** With a reference: the factor the round's figures were multiplied by (median / scale is the round as timed). */
  scale?: number;
}

/** A model's rounds combined. */
export interface RoundedResult extends TimingResult {
  /** The rounds' medians in the order they were taken. */
  rounds: number[];
  /** (max − min) of the round medians over the combined figure; 0 for one round. */
  spread: number;
  /** The worst load and steal over the model's rounds, the mean clock. */
  noise?: NoiseReading;
  /** Each round's own figures and machine state, in the order they were taken (those the anchor gate set aside included). */
  details: RoundDetail[];
  /** Rounds a gate set aside (left out of the figure, `rounds` and `spread`); absent when none. */
  setAside?: number;
  /**
   * Why the rounds still call for another one when the model completed (unsteadyWhy): it ran out of extra rounds,
   * its own (protocol.extraRounds) or the run's (RoundsOptions.extras). Absent when its rounds suffice.
   */
  unsteady?: UnsteadyWhy;
}

/**
 * Why a model's rounds are not steady: 'set-aside', fewer rounds than asked for that the gate kept (every round set
 * aside included: the figure then uses them all); 'spread', its kept rounds spread past protocol.maxSpread.
 */
export type UnsteadyWhy = 'set-aside' | 'spread';

/** Why a model's rounds, as taken, are not steady under the protocol; undefined when they are (or it asks for one round). */
export function unsteadyWhy(rounds: readonly Pick<RoundRecord, 'noise' | 'stats'>[], protocol: TimingProtocol, spread?: number): UnsteadyWhy | undefined {
  if (roundCount(protocol) < 2 || !rounds.length) return undefined;
  const kept = rounds.filter((x) => !disturbed(x, protocol)).length;
  // The round gate asks for `rounds` kept rounds; the anchor gate alone for one.
  if (protocol.roundGate !== undefined && kept < roundCount(protocol)) return 'set-aside';
  if (protocol.anchorGate !== undefined && kept === 0) return 'set-aside';
  if (protocol.maxSpread !== undefined && spread !== undefined && spread > protocol.maxSpread) return 'spread';
  return undefined;
}

/** Why a round was set aside: its anchor ran slow (protocol.anchorGate), its thread waited for a CPU or its reference read high (protocol.roundGate). */
export type AsideWhy = 'anchor' | 'wait' | 'reference';

/** A round a gate left out of a model's figure, as a LUT entry keeps it (lut/entry.ts): its figure (ms, scaled like the others) and why. */
export interface SetAsideRound {
  ms: number;
  why: AsideWhy;
}

export const roundCount = (p: TimingProtocol) => Math.max(1, p.rounds ?? 1);

/**
 * The protocol a whole network is measured under: the protocol with `netRounds` rounds (protocol.netRounds) in
 * place of `rounds`; the protocol itself where it sets none. The one place nets get their rounds: profile()'s
 * nets, `nas verify`, a farm's queued nets and the benches all go through it (devices/measurables.ts).
 */
export function netProtocol(p: TimingProtocol): TimingProtocol {
  return p.netRounds === undefined || p.netRounds === p.rounds ? p : { ...p, rounds: p.netRounds };
}

/** The most rounds a model can take: the rounds asked for, and the extra ones when a spread limit or a gate can call for them. */
export const maxRoundCount = (p: TimingProtocol) => roundCount(p) + (p.maxSpread !== undefined || p.anchorGate !== undefined || p.roundGate !== undefined ? (p.extraRounds ?? 0) : 0);

const gated = (p: TimingProtocol) => p.anchorGate !== undefined || p.roundGate !== undefined;

/**
 * Why a gate sets a round aside, undefined where none does:
 * - 'anchor' (protocol.anchorGate): its anchor ran more than anchorGate times slower than the fastest anchor of
 *   this process so far, i.e. the machine gave the runtime's kernels less than usual (devices/anchor.ts);
 * - 'wait' (protocol.roundGate.waitPct): the measuring thread was runnable but not running for more than that
 *   share of the round (noise.waitPct: another process had its CPU). No reference corrects a round that is
 *   partly someone else's: on the development VM under load such rounds ran 1.6–2.2× slow beside an ordinary
 *   reference (docs/benchmarks.md, issue 13, "β kept at 0.3");
 * - 'reference' (protocol.roundGate.referenceRatio): the reference beside it read more than that many times R,
 *   while the model did not slow alike: scaled by it, the round comes out far too fast.
 * A round without the reading a gate needs is never set aside by that gate.
 */
export function asideWhy(round: Pick<RoundRecord, 'noise'>, protocol: TimingProtocol): AsideWhy | undefined {
  const a = round.noise?.anchorMs;
  if (protocol.anchorGate !== undefined && a !== undefined && a > protocol.anchorGate * fastestAnchor()) return 'anchor';
  const g = protocol.roundGate;
  if (!g) return undefined;
  const wait = round.noise?.waitPct;
  if (g.waitPct !== undefined && wait !== undefined && wait > g.waitPct) return 'wait';
  const ref = round.noise?.referenceMs;
  const R = protocol.referenceMs;
  if (g.referenceRatio !== undefined && ref !== undefined && R !== undefined && R > 0 && ref > g.referenceRatio * R) return 'reference';
  return undefined;
}

/** Whether a gate (protocol.anchorGate, protocol.roundGate) sets a round aside (asideWhy). */
export function disturbed(round: Pick<RoundRecord, 'noise'>, protocol: TimingProtocol): boolean {
  return asideWhy(round, protocol) !== undefined;
}

/** The rounds the estimator uses: under a gate those it does not set aside, or all where it sets aside every one. */
export function usableRounds<R extends Pick<RoundRecord, 'noise'>>(rounds: readonly R[], protocol: TimingProtocol): R[] {
  if (!gated(protocol)) return [...rounds];
  const kept = rounds.filter((r) => !disturbed(r, protocol));
  return kept.length ? kept : [...rounds];
}

/**
 * The harness protocol of one round: the count and time limits shared out between the most rounds a
 * model can take (so a model never costs more time than the protocol's maxTimeMs in timed runs, extra
 * rounds included), the minimum count between the rounds asked for, and the CI target widened by
 * √rounds (the combined figure of R rounds is pinned about √R times tighter than one round's).
 */
export function roundProtocol(p: TimingProtocol): TimingProtocol {
  const r = roundCount(p);
  if (r === 1) return { warmup: p.warmup, minRepeats: p.minRepeats, maxRepeats: p.maxRepeats, maxTimeMs: p.maxTimeMs, targetCI: p.targetCI };
  const most = maxRoundCount(p);
  const minRepeats = Math.max(1, Math.ceil(p.minRepeats / r));
  return {
    warmup: p.warmup,
    minRepeats,
    maxRepeats: Math.max(minRepeats, Math.ceil(p.maxRepeats / most)),
    maxTimeMs: p.maxTimeMs / most,
    targetCI: p.targetCI * Math.sqrt(r),
  };
}

const median = (xs: readonly number[]) => quantileSorted([...xs].sort((a, b) => a - b), 0.5);

/** The combined figure of rounds under an estimator. */
export function estimate(rounds: readonly LatencyStats[], estimator: Estimator = 'median'): number {
  switch (estimator) {
    case 'median':
      return median(rounds.map((s) => s.median));
    case 'trimmed-mean': {
      // Each round's mean is already of its samples inside Tukey's fences; across rounds a quarter is cut from each end.
      const means = rounds.map((s) => s.mean).sort((a, b) => a - b);
      const cut = Math.floor(means.length / 4);
      const kept = means.slice(cut, means.length - cut);
      return kept.reduce((s, x) => s + x, 0) / kept.length;
    }
    case 'low-quantile':
      return median(rounds.map((s) => s.p10));
    case 'min':
      return Math.min(...rounds.map((s) => s.median));
    case 'lower-half': {
      // The mean of the fastest ⌈n/2⌉ round medians: a round is only ever slowed (a session that met a slow
      // state the reference beside it did not see), never sped up, so the upper rounds are left out; the
      // lowest alone would take the noise of one round's reference reading (docs/benchmarks.md, issue 13).
      const fast = rounds.map((s) => s.median).sort((a, b) => a - b).slice(0, Math.ceil(rounds.length / 2));
      return fast.reduce((s, x) => s + x, 0) / fast.length;
    }
  }
}

/** Two-sided 95% Student t quantiles for 1..8 degrees of freedom; 1.96 beyond. */
const T95 = [12.71, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306];

/**
 * The rounds as one LatencyStats: median = the estimator's figure; n, rejected summed; min/max over all
 * rounds; mean, p10, p90 the medians of the rounds' ones; std from within- and between-round variance.
 * ci95 combines the rounds' own CIs with the between-round spread (t interval of the round medians'
 * mean), so a model whose rounds disagree gets a wide interval even when each round was tight.
 * Converged when every round converged and the rounds agree within protocol.maxSpread (when set).
 */
export function combineRounds(taken: readonly RoundRecord[], protocol: TimingProtocol): RoundedResult {
  if (!taken.length) throw new Error('combineRounds: no rounds');
  // Under a gate the rounds it sets aside are left out of the figure (every one is still recorded, with why).
  const rounds = usableRounds(taken, protocol);
  const stats = rounds.map((r) => r.stats);
  const medians = stats.map((s) => s.median);
  const value = estimate(stats, protocol.estimator);
  const spread = rounds.length > 1 && value > 0 ? (Math.max(...medians) - Math.min(...medians)) / value : 0;
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const between = rounds.length > 1 ? medians.reduce((s, x) => s + (x - mean(medians)) ** 2, 0) / (rounds.length - 1) : 0;
  const withinHalf = Math.sqrt(stats.reduce((s, x) => s + ((x.ci95[1] - x.ci95[0]) / 2) ** 2, 0)) / rounds.length;
  const betweenHalf = rounds.length > 1 ? ((T95[rounds.length - 2] ?? 1.96) * Math.sqrt(between)) / Math.sqrt(rounds.length) : 0;
  const half = Math.sqrt(withinHalf ** 2 + betweenHalf ** 2);
  const converged = stats.every((s) => s.converged) && (rounds.length === 1 || protocol.maxSpread === undefined || spread <= protocol.maxSpread);
  const combined: LatencyStats =
    rounds.length === 1
      ? { ...stats[0], median: value }
      : {
          n: stats.reduce((s, x) => s + x.n, 0),
          rejected: stats.reduce((s, x) => s + x.rejected, 0),
          median: value,
          mean: median(stats.map((s) => s.mean)),
          std: Math.sqrt(mean(stats.map((s) => s.std ** 2)) + between),
          p10: median(stats.map((s) => s.p10)),
          p90: median(stats.map((s) => s.p90)),
          min: Math.min(...stats.map((s) => s.min)),
          max: Math.max(...stats.map((s) => s.max)),
          ci95: [Math.max(0, value - half), value + half],
          converged,
        };
  if (rounds.length === 1) combined.converged = converged;
  const noise = worstOf(rounds.flatMap((r) => (r.noise ? [r.noise] : [])));
  const aside = taken.length - rounds.length;
  const gateMark = (r: RoundRecord) => {
    const why = asideWhy(r, protocol);
    return why ? { setAside: true, asideWhy: why } : {};
  };
  return {
    stats: combined,
    coldMs: taken[0].coldMs,
    setupMs: median(rounds.map((r) => r.setupMs)),
    rounds: medians,
    spread,
    ...(noise ? { noise } : {}),
    ...(aside ? { setAside: aside } : {}),
    ...withUnsteady(unsteadyWhy(taken, protocol, spread)),
    details: taken.map((r) => ({
      median: r.stats.median,
      p10: r.stats.p10,
      min: r.stats.min,
      n: r.stats.n,
      ...(r.endedAt !== undefined ? { endedAt: r.endedAt } : {}),
      ...(r.noise ? { noise: r.noise } : {}),
      ...(gated(protocol) ? gateMark(r) : {}),
      ...(r.scale !== undefined ? { scale: r.scale } : {}),
    })),
  };
}

const withUnsteady = (why: UnsteadyWhy | undefined) => (why ? { unsteady: why } : {});

/** Times one model once (one round) on a device, with the machine's state over the round. */
export async function timeRound(device: Device, model: ModelUnderTest, protocol: TimingProtocol): Promise<RoundRecord> {
  // Once per process and protocol (a round worker inherits its parent's pin, so `auto` keeps its CPU).
  ensurePinned(protocol.cpu);
  const probe = new NoiseProbe();
  let r: TimingResult;
  let referenceMs: number | undefined;
  if (protocol.reference !== undefined) {
    // The reference interleaved with the model in this round, in its own kept session (devices/reference.ts).
    if (!(protocol.referenceMs! > 0)) throw new Error(`protocol.reference '${protocol.reference}' without its scale (referenceMs): measure it first (measureReferenceScale) or take it from the LUT`);
    const timed = await referenceDevice(device).timeWithReference(model, roundProtocol(protocol), referenceModel(protocol.reference));
    referenceMs = timed.referenceMs;
    r = timed;
  } else r = await device.time(model, roundProtocol(protocol));
  // The CPU's speed right after the round (a few ms): which CPU it ran on and how fast that one was then. A round
  // timed in another process (a farm worker) comes with that process's reading: this one's would say nothing of it.
  const noise = r.noise ? { ...r.noise } : probe.read(true);
  const endedAt = Date.now();
  // And, asked for, what the runtime's own kernels got from the machine then (devices/anchor.ts).
  if (protocol.anchor || protocol.anchorGate !== undefined) noise.anchorMs = Math.round((await anchorMs(device)) * 1e4) / 1e4;
  if (referenceMs === undefined) return { stats: r.stats, coldMs: r.coldMs, setupMs: r.setupMs, noise, endedAt };
  // Unrounded: the LUT's R is taken from these at the end of its run, and must be the unit the rounds were scaled by.
  noise.referenceMs = referenceMs;
  // With protocol.referenceDrift: the slow drift, the median of this process's last readings (devices/reference.ts).
  const drift = protocol.referenceDrift;
  if (drift) noise.referenceDriftMs = noteReferenceReading(protocol.reference!, referenceMs, drift.readings);
  const scale = driftFactor(protocol.referenceMs!, referenceMs, noise.referenceDriftMs, protocol.referenceSlope ?? 1, drift, r.stats.median);
  return { stats: scaleStats(r.stats, scale), coldMs: r.coldMs, setupMs: r.setupMs, noise, endedAt, scale };
}

/**
 * How rounds are taken: in this process (the default), or in fresh worker processes
 * (devices/round-timer.ts, protocol.freshProcess), where `beforePass` starts the pass's process.
 */
export interface RoundTimer {
  /** One round of `model` under `protocol` (a whole net's: netProtocol), else the protocol the timer was made with. */
  time(model: ModelUnderTest, protocol?: TimingProtocol): Promise<RoundRecord>;
  beforePass?(): Promise<void>;
  stop?(): Promise<void>;
}

/** Whether a model's rounds so far call for another one under the protocol. */
export function needsAnotherRound(rounds: readonly RoundRecord[], protocol: TimingProtocol): boolean {
  const r = roundCount(protocol);
  if (rounds.length < r) return true;
  if (rounds.length >= maxRoundCount(protocol)) return false;
  // Every round so far taken while the machine was slow: one more, later.
  if (protocol.anchorGate !== undefined && rounds.every((x) => disturbed(x, protocol))) return true;
  // Under the round gate: fewer rounds than asked for that it kept, one more, later (a round set aside is retaken).
  if (protocol.roundGate !== undefined && rounds.filter((x) => !disturbed(x, protocol)).length < r) return true;
  if (protocol.maxSpread === undefined) return false;
  return combineRounds(rounds, protocol).spread > protocol.maxSpread;
}

/**
 * The rounds a model still owes under the protocol: 0 when its rounds so far suffice (needsAnotherRound), else
 * those asked for and not taken yet, under the round gate those it has not kept yet (a round set aside is
 * retaken, up to the most a model can take), and at least the one extra round its rounds call for. A floor:
 * the rounds still to come may call for more.
 */
export function roundsOwed(rounds: readonly RoundRecord[], protocol: TimingProtocol): number {
  if (!needsAnotherRound(rounds, protocol)) return 0;
  let owed = roundCount(protocol) - rounds.length;
  if (protocol.roundGate !== undefined) {
    const kept = rounds.filter((x) => !disturbed(x, protocol)).length;
    owed = Math.max(owed, Math.min(roundCount(protocol) - kept, maxRoundCount(protocol) - rounds.length));
  }
  return Math.max(1, owed);
}

export interface RoundsOptions<T> {
  /** Runs one round of an item. */
  time(item: T): Promise<RoundRecord>;
  /** Rounds already taken (e.g. by a run that was interrupted), by key. */
  done?: ReadonlyMap<string, readonly RoundRecord[]>;
  /** Seed of the shuffles (the order is reproducible, the timings are not). */
  seed?: number;
  /** After each round of an item (to persist it). */
  onRound?(item: T, rounds: readonly RoundRecord[]): void;
  /** As soon as an item needs no further round. */
  onComplete?(item: T, result: RoundedResult): void;
  /** Before each pass over the items (e.g. to wait for a quiet machine). */
  beforePass?(pass: number, items: readonly T[]): Promise<void> | void;
  signal?: AbortSignal;
  /**
   * A round of an item failed: true drops the item (no further rounds, no result) and the run goes on;
   * false (and without this hook) the error ends the run.
   */
  onError?(item: T, error: unknown): boolean;
  /**
   * The protocol one item's rounds follow (how many it needs, how they combine); default the run's. E.g. the
   * ONNX unit profiler times units only the in-file fit needs without extra rounds (src/onnx/profile-units.ts).
   */
  protocolOf?(item: T): TimingProtocol;
  /** The run's policy for extra rounds (those past the rounds an item's protocol asks for); absent: each item takes all its protocol allows, at once. */
  extras?: ExtraRounds;
}

/**
 * How a run spends extra rounds (a round set aside by a gate retaken, a spread measured again): under a load that
 * lasts, every retake is set aside again and every item takes all its extra rounds (docs/benchmarks.md, issue 13,
 * "heavy load"), so the run bounds them, and may wait for a quieter moment before taking them.
 */
export interface ExtraRounds {
  /** The most extra rounds the whole run takes (items past it complete as they are, marked unsteady); absent: no bound. */
  budget?: number;
  /**
   * Called once in a pass before its extra rounds (which come after the pass's other rounds): true to take them,
   * false to take none (those items complete as they are, unsteady). E.g. wait, bounded, for the machine to quieten.
   */
  beforeExtras?(count: number): Promise<boolean> | boolean;
  /** After the run: extra rounds taken, and items that completed without the extra rounds their rounds called for, by why. */
  onDone?(report: { taken: number; cut: { budget: number; busy: number } }): void;
}

/** The run's extra rounds as a count, from a budget given as a share of the rounds asked for (roundCount × items). */
export function extraRoundBudget(share: number, items: number, protocol: TimingProtocol): number {
  return Math.floor(share * items * roundCount(protocol) + 1e-9);
}

/**
 * Rounds of every item, pass after pass: pass k times, in a fresh shuffle, every item that still needs a
 * round (its k-th, or an extra one while its rounds disagree). With one round (the protocol before rounds
 * existed) this is one pass in the given order. Items that complete are reported at once through
 * onComplete, so a caller can save them before the others are done. Returns the completed items (all of
 * them unless the signal stopped the run).
 */
export async function measureInRounds<T>(items: readonly T[], key: (item: T) => string, protocol: TimingProtocol, o: RoundsOptions<T>): Promise<Map<string, RoundedResult>> {
  const rng = new Rng(o.seed ?? 0);
  const taken = new Map<string, RoundRecord[]>(items.map((it) => [key(it), [...(o.done?.get(key(it)) ?? [])]]));
  const protocolOf = (item: T) => o.protocolOf?.(item) ?? protocol;
  const results = new Map<string, RoundedResult>();
  const dropped = new Set<string>();
  const complete = (item: T) => {
    const result = combineRounds(taken.get(key(item))!, protocolOf(item));
    results.set(key(item), result);
    o.onComplete?.(item, result);
  };
  // The anchors of rounds kept from an earlier run count toward the gate's reference.
  for (const rs of taken.values()) for (const r of rs) noteAnchor(r.noise?.anchorMs);
  // Items whose earlier rounds already suffice complete without timing.
  for (const item of items) if (taken.get(key(item))!.length && !needsAnotherRound(taken.get(key(item))!, protocolOf(item))) complete(item);
  const extras = o.extras;
  let extraTaken = 0;
  const cut = { budget: 0, busy: 0 };
  // One round of an item; false when the item was dropped (its round failed and onError said go on).
  const takeRound = async (item: T) => {
    const rounds = taken.get(key(item))!;
    try {
      const round = await o.time(item);
      noteAnchor(round.noise?.anchorMs);
      rounds.push(round);
    } catch (e) {
      if (!o.onError?.(item, e)) throw e;
      dropped.add(key(item));
      return;
    }
    o.onRound?.(item, rounds);
    if (!needsAnotherRound(rounds, protocolOf(item))) complete(item);
  };
  for (let pass = 0; ; pass++) {
    const todo = items.filter((it) => !results.has(key(it)) && !dropped.has(key(it)) && needsAnotherRound(taken.get(key(it))!, protocolOf(it)));
    if (!todo.length || o.signal?.aborted) break;
    const order = roundCount(protocol) > 1 || todo.some((it) => roundCount(protocolOf(it)) > 1) ? shuffle(todo, rng) : todo;
    await o.beforePass?.(pass, order);
    // Extra rounds come last in their pass, so that the time a wait (extras.beforeExtras) buys falls between them and the rounds before.
    const isExtra = (it: T) => taken.get(key(it))!.length >= roundCount(protocolOf(it));
    const extra = extras ? order.filter(isExtra) : [];
    for (const item of extras ? order.filter((it) => !isExtra(it)) : order) {
      if (o.signal?.aborted) break;
      await takeRound(item);
    }
    if (!extra.length || o.signal?.aborted) continue;
    const room = () => (extras!.budget === undefined ? Infinity : extras!.budget - extraTaken);
    const go = room() > 0 && (extras!.beforeExtras ? await extras!.beforeExtras(Math.min(extra.length, room())) : true);
    for (const item of extra) {
      if (o.signal?.aborted) break;
      if (!go || room() <= 0) {
        cut[room() <= 0 ? 'budget' : 'busy']++;
        complete(item);
        continue;
      }
      extraTaken++;
      await takeRound(item);
    }
  }
  extras?.onDone?.({ taken: extraTaken, cut });
  return results;
}

/** Fisher–Yates with the seeded generator. */
function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Every round of one model, back to back (no interleaving with other models), combined by the protocol's
 * estimator: for callers that handle one model at a time (verify, the overhead, a worker given one entry).
 */
export async function measureModel(device: Device, model: ModelUnderTest, protocol: TimingProtocol, timer?: RoundTimer): Promise<RoundedResult> {
  const results = await measureInRounds([model], (m) => m.key, protocol, {
    time: (m) => (timer ? timer.time(m) : timeRound(device, m, protocol)),
    beforePass: timer?.beforePass && (() => timer.beforePass!()),
  });
  return results.get(model.key)!;
}
