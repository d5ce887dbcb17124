/**
 * A LUT entry from a timing result. It lives beside the LUT format (not in the profiler) so that every
 * profiler (the space's op profiler, the ONNX unit profiler) builds entries the same way without importing
 * each other.
 */
import type { RoundedResult, SetAsideRound } from '../devices/rounds.js';
import type { LutEntry } from './format.js';

/** The key under which the overhead model takes part in the entries' passes (never stored as an entry). */
export const OVERHEAD_ITEM = '\u0000overhead';

/**
 * The key under which the overhead model takes part in the passes of a run that adds entries to a LUT whose
 * overhead is final (lut/overhead.ts): its figure is subtracted from that run's entries only. A key of its own, so
 * that a rounds file left by a killed run says which of the two the run owed.
 */
export const RUN_OVERHEAD_ITEM = '\u0000run-overhead';

/** The overhead an entry's `net` subtracts: its own run's (entry.overheadMs), else the LUT's. */
export function overheadOfEntry(entry: Pick<LutEntry, 'overheadMs'>, lutOverheadMs: number): number {
  return entry.overheadMs ?? lutOverheadMs;
}

/** An entry's net time: its median less the LUT's per-session overhead, clamped at 0 (lut/format.ts). */
export function netOf(medianMs: number, overheadMs: number): number {
  return Math.max(0, medianMs - overheadMs);
}

/**
 * The rounds a gate left out of a result's figure (protocol.roundGate, anchorGate; devices/rounds.ts), as a LUT
 * entry keeps them: none where it would have left out every one (then all were used: usableRounds).
 */
export function setAsideRounds(r: Pick<RoundedResult, 'details'>): SetAsideRound[] {
  const out = r.details.flatMap((d) => (d.setAside ? [{ ms: d.median, why: d.asideWhy ?? ('anchor' as const) }] : []));
  return out.length < r.details.length ? out : [];
}

/** LutEntry.unsteady of a result: why its rounds still called for another one, and how many of them a gate set aside. */
export function unsteadyOf(r: Pick<RoundedResult, 'unsteady' | 'details'>): LutEntry['unsteady'] {
  return r.unsteady ? { why: r.unsteady, setAside: r.details.filter((d) => d.setAside).length } : undefined;
}

/** A LUT entry from a model's combined rounds (the round details only when there were several). */
export function entryFromRounds(result: RoundedResult, overheadMs: number): LutEntry {
  const entry: LutEntry = {
    stats: result.stats,
    net: netOf(result.stats.median, overheadMs),
    coldMs: result.coldMs,
    setupMs: result.setupMs,
    measuredAt: new Date().toISOString(),
  };
  if (result.rounds.length > 1) {
    entry.rounds = result.rounds;
    entry.spread = result.spread;
  }
  const aside = setAsideRounds(result);
  if (aside.length) entry.roundsSetAside = aside;
  const unsteady = unsteadyOf(result);
  if (unsteady) entry.unsteady = unsteady;
  if (result.noise) entry.noise = result.noise;
  return entry;
}
