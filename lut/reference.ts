/**
 * A LUT's reference scale R (protocol.referenceMs, devices/reference.ts) at the end of the run that made it.
 *
 * Every round of a LUT is scaled to R (item × R / the reference in that round). The profiler needs R before
 * its first round, so it measures a provisional one (the fastest of a few reference medians taken before
 * the entries); at the end of the run that created the LUT, it adopts the low quantile of all the run's
 * round references instead (the machine's fast state, as `min` picks a model's fastest round) and
 * multiplies every figure of the LUT by final / provisional, in one write, as it keeps the overhead timed
 * in the entries' passes (lut/overhead.ts). Scaling is linear, so the entries stay exactly as consistent
 * with each other as before: only their unit changes, to the one later measurements (nas verify, the
 * calibration, in other processes) scale to. A LUT that already had its R (a resumed run) keeps it: its
 * calibration and anything verified against it stay valid.
 */
import { scaleStats, scaleFromRounds } from '../devices/reference.js';
import type { Lut } from './format.js';
import { netOf } from './entry.js';

/** Above this relative difference between the provisional and the final R, the run says so. */
const SAY_ABOVE = 0.05;

/**
 * Every latency the LUT holds multiplied by `factor`, its R set to `referenceMs` (a copy): entries (stats,
 * rounds, net), the overhead, and a calibration's ms terms (its scales are ratios and stay).
 */
export function rescaleLut(lut: Lut, referenceMs: number, factor: number): Lut {
  const entries = Object.fromEntries(
    Object.entries(lut.entries).map(([key, e]) => {
      const stats = scaleStats(e.stats, factor);
      return [key, { ...e, stats, net: netOf(stats.median, lut.overhead.median * factor), ...(e.rounds ? { rounds: e.rounds.map((x) => x * factor) } : {}) }];
    }),
  );
  return {
    ...lut,
    protocol: { ...lut.protocol, referenceMs },
    overhead: scaleStats(lut.overhead, factor),
    entries,
    ...(lut.calibration
      ? { calibration: { ...lut.calibration, baseMs: lut.calibration.baseMs * factor, perOpMs: lut.calibration.perOpMs * factor, perByteMs: lut.calibration.perByteMs * factor } }
      : {}),
  };
}

export interface ReferenceAdopted {
  provisionalMs: number;
  finalMs: number;
  /** final / provisional: what every figure of the LUT was multiplied by. */
  factor: number;
  /** Round references the final R was taken from. */
  rounds: number;
  warning?: string;
}

/**
 * At the end of the run that created the LUT: R from the run's round references, every figure rescaled to
 * it (`store`: the LutStore being filled). Undefined (nothing changed) without round references.
 */
export function adoptReferenceScale(store: { readonly referenceMs: number | undefined; rescaleReference(referenceMs: number, factor: number): void }, roundReferencesMs: readonly number[]): ReferenceAdopted | undefined {
  const provisionalMs = store.referenceMs;
  const finalMs = scaleFromRounds(roundReferencesMs);
  if (provisionalMs === undefined || finalMs === undefined) return undefined;
  const factor = finalMs / provisionalMs;
  store.rescaleReference(finalMs, factor);
  const warning =
    Math.abs(factor - 1) > SAY_ABOVE
      ? `reference scale R: ${finalMs.toFixed(4)} ms from the run's ${roundReferencesMs.length} round references, against ${provisionalMs.toFixed(4)} ms measured before the entries; every figure of the LUT was rescaled by ${factor.toFixed(3)}`
      : undefined;
  return { provisionalMs, finalMs, factor, rounds: roundReferencesMs.length, warning };
}
