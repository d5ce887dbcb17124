/**
 * The per-session overhead a LUT subtracts from every entry, timed in the entries' own passes.
 *
 * Both profilers (src/profile/profiler.ts for ops, src/onnx/profile-units.ts for ONNX units) first time the
 * overhead model (a one-element Identity) alone, so that each entry's `net` can be stored as soon as it is
 * measured, and then time it again as one more item of the entries' shuffled passes. The LUT keeps the
 * second figure and every entry's `net` is recomputed with it, in one write.
 *
 * Why: timed alone at the start of a process, the overhead meets another runtime state than the entries.
 * On wasm it came out 12.9–25 µs against 8.1–9.9 µs for the cheapest units in every quiet run of ONNX units
 * or 32 px cells (in the same passes it is below them), and 0.032–0.035 ms against 0.016 ms on ort-cpu in
 * two of eight quiet runs (docs/benchmarks.md, "Issue 17, fifth pass" and the seventh session's quiet
 * re-runs): subtracted from every entry, it made small entries clamp to 0 and predictions far too fast.
 */
import type { LatencyStats } from '../devices/types.js';
import type { LutStore } from './store.js';

// The key under which the overhead model takes part in the entries' passes lives in ./entry.ts (lut/reference.ts
// needs it too, and this file imports the store, which imports lut/reference.ts).
export { OVERHEAD_ITEM } from './entry.js';

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

/** Keeps the overhead timed in the entries' passes and recomputes every entry's `net` with it. */
export function adoptOverheadFromPasses(store: LutStore, inPasses: LatencyStats, what: string): OverheadAdopted {
  const aloneMs = store.overhead!.median;
  store.rebaseOverhead(inPasses);
  const passesMs = inPasses.median;
  const warning =
    Math.abs(passesMs - aloneMs) > SAY_ABOVE * aloneMs
      ? `per-session overhead timed in the ${what}' passes: ${passesMs.toFixed(4)} ms, against ${aloneMs.toFixed(4)} ms timed alone before them; the LUT keeps the figure from the passes and every entry's net time is recomputed with it`
      : undefined;
  return { aloneMs, passesMs, warning };
}
