/**
 * A LUT's reference scale R and slope β (protocol.referenceMs, protocol.referenceSlope, devices/reference.ts)
 * at the end of the run that made it.
 *
 * Every round of a LUT is scaled to R: item × (R / the reference in that round)^β. The profiler needs R and
 * β before its first round, so it measures a provisional R (the fastest of a few reference medians taken
 * before the entries) and starts from a provisional β (PROVISIONAL_SLOPE); at the end of the run that
 * created the LUT, it adopts the low quantile of all the run's round references as R (the machine's fast
 * state, as `min` picks a model's fastest round) and β fitted from the run's own rounds (slopeFromRounds),
 * and brings every figure of the LUT to them in one write, as it keeps the overhead timed in the entries'
 * passes (lut/overhead.ts): entries whose rounds the run holds are scored again from their rounds as timed;
 * the others (and the overhead, a calibration's ms terms) are multiplied by (final R / provisional R)^β,
 * exact when β did not change. Later measurements (nas verify, the calibration, in other processes) scale
 * to the LUT's R and β. A LUT that already had its final R (a resumed run) keeps R and β: its calibration and
 * anything verified against it stay valid; one whose first run stopped before its end is still marked
 * provisional (Lut.referenceProvisional), and the run that completes it adopts them.
 */
import { driftFactor, scaleStats, scaleFromRounds, slopeFromRounds } from '../devices/reference.js';
import { estimate, type RoundDetail, type RoundedResult } from '../devices/rounds.js';
import type { LatencyStats, TimingProtocol } from '../devices/types.js';
import type { Lut } from './format.js';
import { netOf, OVERHEAD_ITEM, RUN_OVERHEAD_ITEM, setAsideRounds, unsteadyOf } from './entry.js';

/** Above this relative difference between the provisional and the final R, the run says so. */
const SAY_ABOVE = 0.05;

/**
 * Every latency the LUT holds multiplied by `factor`, its R set to `referenceMs` (a copy): entries (stats,
 * rounds, net), the overhead, and a calibration's ms terms (its scales are ratios and stay). With `o.slope`
 * its β is set too, and the entries of `o.rescored` take those figures instead of the factor.
 */
export function rescaleLut(lut: Lut, referenceMs: number, factor: number, o: { slope?: number; rescored?: ReadonlyMap<string, RoundedResult> } = {}): Lut {
  // The overhead timed in the entries' passes, scored again like them (lut/overhead.ts), or multiplied.
  const overhead = o.rescored?.get(OVERHEAD_ITEM)?.stats ?? scaleStats(lut.overhead, factor);
  // An entry net of its own run's overhead (LutEntry.overheadMs, lut/overhead.ts) keeps it: scored again with the
  // entry where this run timed both (RUN_OVERHEAD_ITEM), else multiplied like it.
  const runOverheadMs = o.rescored?.get(RUN_OVERHEAD_ITEM)?.stats.median;
  const own = (e: Lut['entries'][string], rescored: boolean) =>
    e.overheadMs === undefined ? undefined : rescored && runOverheadMs !== undefined ? runOverheadMs : e.overheadMs * factor;
  const entries = Object.fromEntries(
    Object.entries(lut.entries).map(([key, e]) => {
      const r = o.rescored?.get(key);
      const ownMs = own(e, r !== undefined);
      const basis = ownMs === undefined ? {} : { overheadMs: ownMs };
      const overheadMs = ownMs ?? overhead.median;
      if (r) {
        const { roundsSetAside: _, unsteady: __, ...rest } = e;
        const aside = setAsideRounds(r);
        const unsteady = unsteadyOf(r);
        return [key, { ...rest, stats: r.stats, net: netOf(r.stats.median, overheadMs), ...basis, ...(e.rounds ? { rounds: r.rounds, spread: r.spread } : {}), ...(aside.length ? { roundsSetAside: aside } : {}), ...(unsteady ? { unsteady } : {}) }];
      }
      const stats = scaleStats(e.stats, factor);
      const aside = e.roundsSetAside?.map((x) => ({ ...x, ms: x.ms * factor }));
      return [key, { ...e, stats, net: netOf(stats.median, overheadMs), ...basis, ...(e.rounds ? { rounds: e.rounds.map((x) => x * factor) } : {}), ...(aside ? { roundsSetAside: aside } : {}) }];
    }),
  );
  return {
    ...lut,
    protocol: { ...lut.protocol, referenceMs, ...(o.slope !== undefined ? { referenceSlope: o.slope } : {}) },
    overhead,
    entries,
    ...(lut.calibration
      ? {
          calibration: {
            ...lut.calibration,
            baseMs: lut.calibration.baseMs * factor,
            perOpMs: lut.calibration.perOpMs * factor,
            perByteMs: lut.calibration.perByteMs * factor,
            ...(lut.calibration.perWeightByteMs !== undefined ? { perWeightByteMs: lut.calibration.perWeightByteMs * factor } : {}),
          },
        }
      : {}),
  };
}

/**
 * A model's rounds scored again with another R and β (a copy): each round as timed (its figures over the
 * scale it was given) times (R / its reference)^β, combined by the protocol's estimator over the rounds it
 * used; the other combined figures move with the estimate. Rounds without a reference keep their figures.
 */
export function rescoreResult(r: RoundedResult, referenceMs: number, slope: number, protocol: TimingProtocol): RoundedResult {
  const details: RoundDetail[] = r.details.map((d) => {
    if (d.scale === undefined || !(d.noise?.referenceMs! > 0)) return d;
    // With protocol.referenceDrift the round's slow drift too (its time as timed picks its βs), as devices/rounds.ts timeRound.
    const f = driftFactor(referenceMs, d.noise!.referenceMs!, d.noise!.referenceDriftMs, slope, protocol.referenceDrift, d.median / d.scale) / d.scale;
    return { ...d, median: d.median * f, p10: d.p10 * f, min: d.min * f, scale: d.scale * f };
  });
  const used = details.filter((d) => !d.setAside);
  const kept = used.length ? used : details;
  const value = estimate(
    kept.map((d) => ({ median: d.median, p10: d.p10, mean: d.median }) as LatencyStats),
    protocol.estimator,
  );
  const ratio = r.stats.median > 0 ? value / r.stats.median : 1;
  const medians = kept.map((d) => d.median);
  const spread = medians.length > 1 && value > 0 ? (Math.max(...medians) - Math.min(...medians)) / value : 0;
  return { ...r, stats: { ...scaleStats(r.stats, ratio), median: value }, rounds: medians, spread, details };
}

export interface ReferenceAdopted {
  provisionalMs: number;
  finalMs: number;
  /** (final / provisional)^β of the run: what every figure not scored again from its rounds was multiplied by. */
  factor: number;
  /** Round references the final R was taken from. */
  rounds: number;
  /** β the run's rounds were scaled with, and β adopted (fitted from the rounds; the provisional one where they were too few). */
  provisionalSlope: number;
  slope: number;
  /** The fit β came from: its correlation, rounds and models; absent where β stayed provisional. */
  slopeFit?: { r: number; rounds: number; models: number };
  warning?: string;
}

/**
 * At the end of the run that created the LUT: R from the run's round references and β from its models'
 * rounds (`results`, by entry key, the overhead's under OVERHEAD_ITEM; nets too, by any other key), every figure brought to them (`store`: the LutStore
 * being filled); `results` come back scored again. Undefined (nothing changed) without round references.
 */
export function adoptReferenceScale(
  store: {
    readonly referenceMs: number | undefined;
    readonly referenceSlope?: number;
    rescaleReference(referenceMs: number, factor: number, o?: { slope?: number; rescored?: ReadonlyMap<string, RoundedResult> }): void;
  },
  roundReferencesMs: readonly number[],
  results: ReadonlyMap<string, RoundedResult> = new Map(),
  protocol: TimingProtocol = { warmup: 0, minRepeats: 1, maxRepeats: 1, maxTimeMs: 1, targetCI: 1 },
): { adopted: ReferenceAdopted; rescored: Map<string, RoundedResult> } | undefined {
  const provisionalMs = store.referenceMs;
  const finalMs = scaleFromRounds(roundReferencesMs);
  if (provisionalMs === undefined || finalMs === undefined) return undefined;
  const provisionalSlope = store.referenceSlope ?? 1;
  // The overhead (an Identity: the runtime's fixed cost per run, not its kernels) is scored again but not fitted on.
  const fit = slopeFromRounds(
    [...results].filter(([k]) => k !== OVERHEAD_ITEM && k !== RUN_OVERHEAD_ITEM).map(([, r]) =>
      r.details.filter((d) => !d.setAside && d.scale !== undefined && d.noise?.referenceMs! > 0).map((d) => ({ ms: d.median / d.scale!, referenceMs: d.noise!.referenceMs! })),
    ),
  );
  const slope = fit?.slope ?? provisionalSlope;
  const factor = (finalMs / provisionalMs) ** provisionalSlope;
  const rescored = new Map([...results].map(([k, r]) => [k, rescoreResult(r, finalMs, slope, protocol)]));
  store.rescaleReference(finalMs, factor, { slope, rescored });
  const warning =
    Math.abs(finalMs / provisionalMs - 1) > SAY_ABOVE || Math.abs(slope - provisionalSlope) > 0.1
      ? `reference scale R: ${finalMs.toFixed(4)} ms from the run's ${roundReferencesMs.length} round references, against ${provisionalMs.toFixed(4)} ms measured before the entries; slope β ${slope.toFixed(3)}${fit ? ` fitted on ${fit.rounds} rounds of ${fit.models} models (r ${fit.r.toFixed(2)})` : ' (the rounds fit none tightly enough, devices/reference.ts: the provisional one)'} against ${provisionalSlope.toFixed(3)}; every figure of the LUT was brought to them`
      : undefined;
  return {
    adopted: { provisionalMs, finalMs, factor, rounds: roundReferencesMs.length, provisionalSlope, slope, ...(fit ? { slopeFit: { r: fit.r, rounds: fit.rounds, models: fit.models } } : {}), ...(warning ? { warning } : {}) },
    rescored,
  };
}

/**
 * `protocol` for models timed after a LUT's run (nas profile --onnx's built-in nets timed whole when none of
 * their units was new, src/onnx/wall-fit.ts), in the LUT's unit: its reference with its R and β (β absent = 1,
 * a LUT from before β), whatever `protocol` said of them; without a reference where the LUT has none.
 */
export function inLutUnit(protocol: TimingProtocol, lutProtocol: Pick<TimingProtocol, 'reference' | 'referenceMs' | 'referenceSlope' | 'referenceDrift'>): TimingProtocol {
  const { reference: _r, referenceMs: _m, referenceSlope: _b, referenceDrift: _d, ...rest } = protocol;
  const { reference, referenceMs, referenceSlope, referenceDrift } = lutProtocol;
  if (reference === undefined || referenceMs === undefined) return rest;
  return { ...rest, reference, referenceMs, ...(referenceSlope !== undefined ? { referenceSlope } : {}), ...(referenceDrift !== undefined ? { referenceDrift } : {}) };
}
