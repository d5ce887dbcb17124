/**
 * The per-session overhead a LUT subtracts from every entry, confirmed at the end of a profiling run.
 *
 * The overhead (a one-element Identity timed like an entry) is measured once, before the entries, so that
 * each entry's `net` can be stored as soon as it is measured. Measured in a slow moment (quiet runs of
 * 06 Dec: 0.032 and 0.035 ms at the start of two runs against 0.016 ms in six others on the same machine,
 * docs/benchmarks.md), it is subtracted from every entry, and small units (most of an ONNX file's, at
 * 0.014–0.02 ms each) clamp to 0: the prediction comes out far too fast. So a run that measured entries
 * times the overhead again at its end and, where the second figure is more than 10% lower, keeps the
 * lower one (like the rounds' `min` estimator: a fixed cost is overstated by a
 * disturbance, never understated) and recomputes every entry's `net` with it.
 */
import type { LatencyStats } from '../devices/types.js';
import type { LutStore } from './store.js';

/** How much lower the end-of-run figure must be before it replaces the first (1 − this ratio). */
const REBASE_BELOW = 0.9;

export interface OverheadCheck {
  firstMs: number;
  againMs: number;
  /** Whether the LUT now holds the second figure (and entries' `net` were recomputed with it). */
  rebased: boolean;
}

/** What a run says when it replaced its overhead (both profilers say it the same way). */
export function rebaseMessage(check: OverheadCheck): string {
  return `per-session overhead measured again at the end: ${check.againMs.toFixed(4)} ms against ${check.firstMs.toFixed(4)} ms at the start; the LUT keeps the lower figure and every entry's net time is recomputed with it`;
}

export async function confirmOverhead(store: LutStore, measureAgain: () => Promise<LatencyStats>): Promise<OverheadCheck | undefined> {
  const first = store.overhead;
  if (!first) return undefined;
  const again = await measureAgain();
  const rebased = again.median < first.median * REBASE_BELOW;
  if (rebased) store.rebaseOverhead(again);
  return { firstMs: first.median, againMs: again.median, rebased };
}
