/**
 * One list of things to time in rounds: a LUT's entries (one-op models) and whole networks together, so
 * every pass over the list (shuffled anew) times both kinds in the same minutes. On a quiet machine the
 * same net on the same CPU drifted 1.26–1.44× over 100 s (docs/benchmarks.md, "Quiet re-runs at the end
 * of the sixth session"): nets timed in passes of their own, after the entries, meet another machine
 * state than the entries their prediction sums, and the drift reads as prediction error.
 */
import { ModelCache } from './model-cache.js';
import { measureInRounds, netProtocol, timeRound, type ExtraRounds, type RoundedResult, type RoundRecord, type RoundTimer } from './rounds.js';
import type { Device, ModelUnderTest, TimingProtocol } from './types.js';

export interface Measurable {
  /** Unique in the list (the scheduler's and the resume file's key). */
  key: string;
  kind: 'entry' | 'net' | 'overhead';
  /** Built on demand, kept between rounds while the cache has room (devices/model-cache.ts). */
  build(): ModelUnderTest;
}

export interface MeasureAllOptions<M extends Measurable> {
  /** Where the rounds run (devices/round-timer.ts); its beforePass runs before every pass. */
  timer: RoundTimer;
  seed?: number;
  /** Rounds already taken, by key (a resumed run): kept, and only the missing ones taken. */
  done?: ReadonlyMap<string, readonly RoundRecord[]>;
  signal?: AbortSignal;
  /** Before each pass (e.g. waiting for a quiet machine), before the timer's own. */
  beforePass?(pass: number, order: readonly M[]): Promise<void> | void;
  /** Before a round, with the built model (outside the timed round). */
  beforeRound?(item: M, model: ModelUnderTest): Promise<void> | void;
  afterRound?(item: M, round: RoundRecord): void;
  onRound?(item: M, rounds: readonly RoundRecord[]): void;
  onComplete?(item: M, result: RoundedResult): void;
  /** A round failed: true drops the item and goes on, false ends the run (devices/rounds.ts). */
  onError?(item: M, error: unknown): boolean;
  cache?: ModelCache;
  /** The run's bound on extra rounds, and what comes before them (devices/rounds.ts ExtraRounds); absent: none. */
  extras?: ExtraRounds;
}

/** The protocol one measurable's rounds follow: a whole net's (netProtocol: protocol.netRounds rounds), else the protocol. */
export function protocolOfItem(item: Pick<Measurable, 'kind'>, protocol: TimingProtocol): TimingProtocol {
  return item.kind === 'net' ? netProtocol(protocol) : protocol;
}

/**
 * Every measurable in rounds, all kinds in the same shuffled passes, one estimator (the protocol's); whole nets
 * take protocol.netRounds rounds where it sets them (protocolOfItem), the entries protocol.rounds.
 */
export function measureAll<M extends Measurable>(items: readonly M[], protocol: TimingProtocol, o: MeasureAllOptions<M>): Promise<Map<string, RoundedResult>> {
  const cache = o.cache ?? new ModelCache();
  const net = netProtocol(protocol);
  const protocolOf = (m: M) => (m.kind === 'net' ? net : protocol);
  return measureInRounds(items, (m) => m.key, protocol, {
    protocolOf,
    seed: o.seed,
    done: o.done,
    signal: o.signal,
    beforePass: async (pass, order) => {
      await o.beforePass?.(pass, order);
      await o.timer.beforePass?.();
    },
    time: async (m) => {
      const model = cache.get(m.key, () => m.build());
      await o.beforeRound?.(m, model);
      const round = await o.timer.time(model, protocolOf(m));
      o.afterRound?.(m, round);
      return round;
    },
    onRound: o.onRound,
    onError: o.onError,
    extras: o.extras,
    onComplete: (m, result) => {
      cache.delete(m.key);
      o.onComplete?.(m, result);
    },
  });
}

/** A model to time in rounds, built on demand so that hundreds of networks need not sit in memory at once. */
export interface LazyModel {
  id: string;
  build(): ModelUnderTest;
}

/**
 * Whole networks alone timed in rounds on one device (benchmarks; a caller with LUT entries to compare
 * them with passes both to measureAll instead), results in the given order.
 */
export async function timeModelsInRounds(
  device: Device,
  models: readonly LazyModel[],
  protocol: TimingProtocol,
  opts: {
    seed?: number;
    onComplete?: (done: number, total: number) => void;
    /** Rounds already taken by id (a resumed run), and a hook after each round (to persist it). */
    done?: ReadonlyMap<string, readonly RoundRecord[]>;
    onRound?: (id: string, rounds: readonly RoundRecord[]) => void;
    /** Before each round (a caller that survives a crash of the device learns which model was in flight). */
    onRoundStart?: (id: string) => void;
    /** Where rounds run (devices/round-timer.ts: fresh worker processes under protocol.freshProcess); default this process. */
    timer?: RoundTimer;
  } = {},
): Promise<RoundedResult[]> {
  let done = 0;
  const items = models.map((m) => ({ key: m.id, kind: 'net' as const, build: m.build }));
  const results = await measureAll(items, protocol, {
    timer: opts.timer ?? { time: (model, p = protocol) => timeRound(device, model, p) },
    seed: opts.seed,
    done: opts.done,
    beforeRound: opts.onRoundStart && ((m) => opts.onRoundStart!(m.key)),
    onRound: opts.onRound && ((m, rounds) => opts.onRound!(m.key, rounds)),
    onComplete: () => opts.onComplete?.(++done, models.length),
  });
  return models.map((m) => results.get(m.id)!);
}
