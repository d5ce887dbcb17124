/**
 * The per-session overhead a LUT subtracts from its entries, timed in the entries' own passes.
 *
 * Both profilers (src/profile/profiler.ts for ops, src/onnx/profile-units.ts for ONNX units) first time the
 * overhead model (a one-element Identity) alone when they create a LUT, so that each entry's `net` can be stored
 * as soon as it is measured, and then time it again as one more item of the entries' shuffled passes.
 *
 * Why in the passes: timed alone at the start of a process, the overhead meets another runtime state than the
 * entries. On wasm it came out 12.9–25 µs against 8.1–9.9 µs for the cheapest units in every quiet run of ONNX
 * units or 32 px cells (in the same passes it is below them), and 0.032–0.035 ms against 0.016 ms on ort-cpu in
 * two of eight quiet runs (docs/benchmarks.md, "Issue 17, fifth pass" and the seventh session's quiet re-runs):
 * subtracted from every entry, it made small entries clamp to 0 and predictions far too fast.
 *
 * Which entries take the figure from the passes (RunOverhead):
 * - the run that creates the LUT, or completes a first run that stopped before it timed the overhead in its passes
 *   (Lut.overheadProvisional; in LUTs from before that field, the rounds file's OVERHEAD_ITEM): the LUT keeps the
 *   passes' figure as its overhead and every entry net of the LUT's overhead is recomputed with it, in one write;
 * - a run that adds entries to a LUT whose overhead is final: the LUT's overhead and every entry already measured
 *   stay as they are, bit for bit; the run times the overhead in its own passes (RUN_OVERHEAD_ITEM) and subtracts
 *   it from its own entries only, each of which records it (LutEntry.overheadMs). Until then its entries are stored
 *   net of the LUT's overhead and marked owed (LutEntry.overheadOwed), so that a run resuming a killed one
 *   settles them with the overhead of the passes it completes. Re-timing the overhead in a few passes of a small
 *   run and recomputing every entry with it moved the mbv2 @64 prediction by −35% (docs/benchmarks.md, issue 17
 *   acceptance audit).
 */
import type { LatencyStats } from '../devices/types.js';
import type { LutEntry } from './format.js';
import type { LutStore } from './store.js';
import { OVERHEAD_ITEM, RUN_OVERHEAD_ITEM } from './entry.js';

// The keys under which the overhead model takes part in the entries' passes live in ./entry.ts (lut/reference.ts
// needs them too, and this file imports the store, which imports lut/reference.ts).
export { OVERHEAD_ITEM, RUN_OVERHEAD_ITEM } from './entry.js';

/** Above this relative difference between the two figures, the run says which one the LUT keeps. */
const SAY_ABOVE = 0.1;

export interface OverheadAdopted {
  /** The figure timed alone before the entries (or the LUT's, when it already had one). */
  aloneMs: number;
  /** The figure timed in the entries' passes, which the LUT now holds. */
  passesMs: number;
  /** What the run says about it, when the two differ by more than 10%. */
  warning?: string;
}

/**
 * Keeps the overhead timed in the entries' passes as the LUT's and recomputes with it every entry net of the LUT's
 * overhead (and the owed entries `owed`): the run that creates the LUT, or completes its first run.
 */
export function adoptOverheadFromPasses(store: LutStore, inPasses: LatencyStats, what: string, owed: Iterable<string> = []): OverheadAdopted {
  const aloneMs = store.overhead!.median;
  store.adoptOverhead(inPasses, owed);
  const passesMs = inPasses.median;
  const warning =
    Math.abs(passesMs - aloneMs) > SAY_ABOVE * aloneMs
      ? `per-session overhead timed in the ${what}' passes: ${passesMs.toFixed(4)} ms, against ${aloneMs.toFixed(4)} ms timed alone before them; the LUT keeps the figure from the passes and every entry's net time is recomputed with it`
      : undefined;
  return { aloneMs, passesMs, warning };
}

/** What the rounds file kept beside the LUT holds (lut/partial-rounds.ts). */
interface KeptRounds {
  get(key: string): unknown;
}

/**
 * The overhead over one profiling run: whether the run owes the LUT's overhead (it creates the LUT or completes
 * its first run) or only its own entries', under which key the overhead model takes part in the passes, which
 * entries are owed, and settling them at the end of the run (see the top of this file).
 */
export class RunOverhead {
  private readonly owed: Set<string>;

  private constructor(
    /** The run's figure becomes the LUT's overhead (true), or only its own entries' (false). */
    readonly ownsLutOverhead: boolean,
    /** The LUT's overhead is still the one timed alone (Lut.overheadProvisional). */
    private readonly provisional: boolean,
    owedAtStart: readonly string[],
    private readonly kept: KeptRounds,
  ) {
    this.owed = new Set(owedAtStart);
  }

  /** After the LUT exists (setOverhead, or an existing LUT opened): `kept` is the rounds file of this LUT. */
  static start(store: LutStore, kept: KeptRounds): RunOverhead {
    // A rounds file with OVERHEAD_ITEM: a first run (of this version or an earlier one) stopped owing the LUT's overhead.
    const lutOwed = store.overheadProvisional || kept.get(OVERHEAD_ITEM) !== undefined;
    return new RunOverhead(lutOwed, store.overheadProvisional, store.owedEntries(), kept);
  }

  /** The key of the overhead model among the run's measurables and in the rounds file. */
  get key(): string {
    return this.ownsLutOverhead ? OVERHEAD_ITEM : RUN_OVERHEAD_ITEM;
  }

  /**
   * Whether this run times the overhead in its passes: it measures entries, or a run before it stopped owing it
   * (its rounds kept, the LUT's overhead still provisional, entries still owed).
   */
  isOwed(measuresEntries: boolean): boolean {
    return measuresEntries || this.kept.get(this.key) !== undefined || this.provisional || this.owed.size > 0;
  }

  /** The entry `key` as this run stores it: owed its run's overhead where the LUT's is final. */
  entry(key: string, entry: LutEntry): LutEntry {
    if (this.ownsLutOverhead) return entry;
    this.owed.add(key);
    const { overheadMs: _, ...rest } = entry;
    return { ...rest, overheadOwed: true };
  }

  /**
   * At the end of a complete run, with the overhead timed in its passes: the LUT's overhead (ownsLutOverhead) with
   * every entry net of it recomputed, or the run's own entries settled with it and nothing else touched.
   */
  settle(store: LutStore, inPasses: LatencyStats, what: string): { lutMs: number; runMs: number; warning?: string } {
    if (this.ownsLutOverhead) {
      const adopted = adoptOverheadFromPasses(store, inPasses, what, this.owed);
      return { lutMs: adopted.passesMs, runMs: adopted.passesMs, ...(adopted.warning ? { warning: adopted.warning } : {}) };
    }
    const lutMs = store.overhead!.median;
    const runMs = inPasses.median;
    const settled = store.settleOwed(this.owed, inPasses);
    this.owed.clear();
    const warning =
      settled && Math.abs(runMs - lutMs) > SAY_ABOVE * lutMs
        ? `per-session overhead timed in this run's passes: ${runMs.toFixed(4)} ms, against the LUT's ${lutMs.toFixed(4)} ms; the ${settled} ${what} this run measured are net of this run's figure, the LUT's overhead and every entry measured before are unchanged`
        : undefined;
    return { lutMs, runMs, ...(warning ? { warning } : {}) };
  }
}
