/**
 * The timing reference (protocol.reference): a fixed model timed in short batches before and after the
 * model being timed, inside each of its rounds, in ONE session the device keeps for the whole process.
 * Each round's figure is then scaled to the LUT's reference scale R (protocol.referenceMs) with its slope β
 * (protocol.referenceSlope):
 *
 *   round figure = item × (R / the reference's median in that round)^β
 *
 * β because the small reference net moves further than the models beside it when the machine's speed
 * changes (tenth session: 2.3× as far, β 0.43 on a quiet run); 0.3 (PROVISIONAL_SLOPE), or fitted per LUT
 * where its rounds follow the reference closely (slopeFromRounds, r ≥ SLOPE_MIN_R).
 *
 * Why: on a shared VM onnxruntime's vector kernels run 1.16–1.42× slower for spells of seconds to tens of
 * seconds, with nothing visible in load, steal, CPU wait or migrations (docs/benchmarks.md, issue 13); two
 * sessions timed side by side agree within 1–5%. A reference timed within milliseconds of the item meets
 * the same spell, so the ratio holds where the raw figure does not. The anchor of devices/anchor.ts (a
 * fresh session after the round, a conv whose data stays in a core's caches) followed the drift with a
 * log–log slope of only 0.78; which reference follows it best was measured with bench/reference-tracking.ts
 * (docs/benchmarks.md, "A timing reference interleaved in every round").
 *
 * R and β are fixed for a whole LUT, so that entries measured minutes apart, and networks measured later in
 * other processes (nas verify, the calibration), are all in the same unit: the profiler measures a provisional
 * R before its first round and, at the end of the run that created the LUT, adopts the low quantile of the
 * run's round references and β fitted on its rounds, and scores every entry again with them (lut/reference.ts),
 * as it does with the overhead.
 */
import { ANCHOR_INSTANCE } from './anchor.js';
import { networkModel, opModel } from '../export/model.js';
import { createMbv2Space } from '../src/spaces/mbv2.js';
import { median } from 'simple-statistics';
import { instance } from '../src/core/ops.js';
import { UserError } from '../src/core/errors.js';
import { checkReferenceName, type ReferenceName } from './reference-choice.js';
import type { Device, LatencyStats, ModelUnderTest, ReferenceDrift, TimingProtocol } from './types.js';
import type { BetweenPosition } from './harness.js';

/** The reference models a protocol can name (their names: devices/reference-choice.ts). */
const REFERENCES: Record<ReferenceName, () => ModelUnderTest> = {
  /**
   * A small whole net: the mbv2 space at 64 px with fixed choices (the seed-7 sample of
   * bench/reference-tracking.ts, written out so the reference never changes with the sampler), ~1 ms a run on
   * the development VM with 1 thread. Every kind of block and a memory stream like the real entries' and nets'.
   */
  mbv2net64: () => networkModel(createMbv2Space({ resolution: 64 }).build(MBV2NET64)),
  /** An MBConv block, 24 channels ×6 on 56×56: its expanded tensors (~1.8 MB each) stream past a core's L2 as a net's large blocks do. */
  mbconv56: () => opModel(instance({ kind: 'mbconv', cout: 24, k: 3, stride: 1, expand: 6, se: 0, act: 'relu6', skip: true }, [1, 24, 56, 56])),
  /** The anchor conv (64→64 3×3 on 16×16): its data stays in a core's caches. */
  conv: () => opModel(ANCHOR_INSTANCE),
};

/** The choices of the mbv2net64 reference (mbv2@64:k7e6-k5e3-k7e3-k3e3-k3e6-k3e6-skip-k3e3-k3e6-k7e3-k7e6-k7e3-k5e3-skip-skip-k7e3-k3e6-k3e3-k3e3-k5e6-k7e3). */
const MBV2NET64 = [5, 2, 4, 0, 1, 1, 6, 0, 1, 4, 5, 4, 2, 6, 6, 4, 1, 0, 0, 3, 4];

/** Reference runs per batch: a batch before the item's first batch and one after its last (devices/ort-session.ts). */
export const REFERENCE_BATCH = 3;

/**
 * Whether a reference batch also runs between the item's own batches. Off since the tenth session: the batches
 * between read 1.48 ms beside nets against 1.33 ms for the one right after the net's cold run (entries
 * 1.20–1.33 ms at every position; bench/reference-position.ts, loaded), they evicted the item between its own
 * batches, and they made up most of the reference's cost (docs/benchmarks.md, "The reference over-reacts").
 */
export const REFERENCE_EVERY_BATCH = false;

/**
 * Untimed reference runs before each timed batch of it. The item run just before evicts the reference's
 * weights and activations from the core's caches, by how much depending on the item: on a quiet machine
 * (docs/benchmarks.md, ninth session) the reference read ~30% slower beside whole nets than beside small
 * entries without these runs, so scaling by it made every net look faster than its entries' sum. Runs that
 * bring the reference back into the caches first make its reading independent of what ran before it.
 */
export const REFERENCE_WARM_RUNS = 2;

const built = new Map<string, ModelUnderTest>();

/** The reference model of `name` (built once per process); a UserError for an unknown name. */
export function referenceModel(name: string): ModelUnderTest {
  const known = checkReferenceName(name);
  let model = built.get(known);
  if (!model) built.set(known, (model = REFERENCES[known]()));
  return model;
}

/** One batch of reference runs: where it fell in the measurement (devices/harness.ts) and its median. */
export interface ReferenceBatch {
  position: BetweenPosition;
  ms: number;
}

/** A timing result with the reference's median over the batches interleaved with it. */
export interface ReferencedResult {
  stats: LatencyStats;
  coldMs: number;
  setupMs: number;
  referenceMs: number;
  /** Each batch of the reference, in order (for benches that ask which batches read what). */
  batches?: ReferenceBatch[];
}

/** A device that can interleave a reference kept in one session with the model it times. */
export interface ReferenceDevice extends Device {
  timeWithReference(model: ModelUnderTest, protocol: TimingProtocol, reference: ModelUnderTest, warmRuns?: number): Promise<ReferencedResult>;
}

export function canInterleave(device: Device): device is ReferenceDevice {
  return typeof (device as Partial<ReferenceDevice>).timeWithReference === 'function';
}

/** The device, checked to interleave `protocol.reference`; a UserError naming the device when it cannot. */
export function referenceDevice(device: Device): ReferenceDevice {
  if (!canInterleave(device))
    throw new UserError(`device ${device.name} cannot time a reference interleaved with the models (protocol reference)`, {
      hint: 'profile with --reference off for this device (the in-process onnxruntime devices ort-cpu, wasm and cuda can interleave one, also as a farm\'s workers)',
    });
  return device;
}

/** Every latency of `stats` multiplied by `factor` (counts and convergence unchanged). */
export function scaleStats(stats: LatencyStats, factor: number): LatencyStats {
  return {
    ...stats,
    median: stats.median * factor,
    mean: stats.mean * factor,
    std: stats.std * factor,
    p10: stats.p10 * factor,
    p90: stats.p90 * factor,
    min: stats.min * factor,
    max: stats.max * factor,
    ci95: [stats.ci95[0] * factor, stats.ci95[1] * factor],
  };
}

/**
 * The factor a round's figures are multiplied by: (R over the reference's median in that round)^β, β the
 * protocol's referenceSlope (1 when absent: LUTs measured before it existed).
 */
export function referenceFactor(scaleMs: number, roundReferenceMs: number, slope = 1): number {
  if (!(scaleMs > 0) || !(roundReferenceMs > 0)) throw new Error(`reference scaling needs positive figures, got R ${scaleMs} ms, round reference ${roundReferenceMs} ms`);
  if (!(slope >= 0)) throw new Error(`reference slope must be ≥ 0, got ${slope}`);
  return (scaleMs / roundReferenceMs) ** slope;
}

/**
 * The slope βs a round follows the reference's slow drift with (protocol.referenceDrift): `drift.slope` for a round
 * that ran at most fromMs as timed, the LUT's β from toMs on, log-linear in the round's time between.
 */
export function driftSlope(drift: ReferenceDrift, roundMs: number, slope: number): number {
  if (!(roundMs > drift.fromMs)) return drift.slope;
  if (roundMs >= drift.toMs || !(drift.toMs > drift.fromMs)) return slope;
  const t = Math.log(roundMs / drift.fromMs) / Math.log(drift.toMs / drift.fromMs);
  return drift.slope + (slope - drift.slope) * t;
}

/**
 * The factor of a round with protocol.referenceDrift: (R / reading)^β × (level·R / drift)^(βs − β) — the round's own
 * reading followed with the LUT's β as before, and the machine's slow drift (the median of the process's last
 * reference readings) followed further, with βs (driftSlope), from its typical level (drift.level × R), where the
 * factor is the rule before's. For a round past toMs (βs = β) it is the rule before. Without a drift reading,
 * referenceFactor.
 */
export function driftFactor(scaleMs: number, roundReferenceMs: number, driftMs: number | undefined, slope: number, drift: ReferenceDrift | undefined, roundMs: number): number {
  const own = referenceFactor(scaleMs, roundReferenceMs, slope);
  if (!drift || !(driftMs! > 0)) return own;
  return own * ((drift.level * scaleMs) / driftMs!) ** (driftSlope(drift, roundMs, slope) - slope);
}

/**
 * The last readings of each reference in this process (every round's, whatever model it ran beside), whose median
 * is the slow drift of protocol.referenceDrift. A process keeps one window per reference for its whole life: a
 * fresh process (nas verify, a round worker of --fresh-process, a farm worker) starts with its own first reading.
 */
const windows = new Map<string, number[]>();

/** Notes a reading of `reference` and returns the median of its last `readings` readings, this one included. */
export function noteReferenceReading(reference: string, ms: number, readings: number): number {
  let w = windows.get(reference);
  if (!w) windows.set(reference, (w = []));
  w.push(ms);
  if (w.length > Math.max(1, readings)) w.splice(0, w.length - Math.max(1, readings));
  return median(w);
}

/** Forgets every reference reading of this process (tests; a caller that starts measuring on another machine state). */
export function resetReferenceReadings(): void {
  windows.clear();
}

/**
 * β a run starts with, and keeps where its rounds do not determine one (slopeFromRounds): on the development
 * VM (AMD EPYC, 2 vCPUs, tenth session), replayed on seven fidelity runs (quiet and loaded, 128 and 224 px),
 * β 0.3 made the second measurement of the bench's nets agree with the first within ±10% for 100% of them in
 * five (94.9% and 84.6% in the other two), the full ratio (β 1) 41–90%; the rule here (fitted where r ≥ 0.5,
 * else 0.3) gave 100% in five and 94.9% in two (docs/benchmarks.md, "The reference over-reacts").
 */
export const PROVISIONAL_SLOPE = 0.3;
// Since the eleventh session also the β a run keeps unless its rounds fit one with r ≥ SLOPE_MIN_R (below).

/** Fewest models with two rounds or more, and fewest rounds in all, a slope is fitted from. */
const SLOPE_MIN_MODELS = 10;
const SLOPE_MIN_ROUNDS = 30;
/**
 * Weakest correlation a fitted β is taken at: below it the rounds do not say how far to follow the reference
 * tightly enough, and the provisional β stays. 0.5 in the tenth session (fits of r 0.25–0.36 gave β 0.08–0.09,
 * under which the nets agreed with themselves less than under the provisional β); 0.9 since the eleventh: on
 * the development VM no run's fit came near it (r 0.34–0.82 over seven runs, quiet and loaded, 128 and 224 px),
 * the fitted β moved from run to run (0.19–0.57 on the nets' rounds), and replayed on the same seven runs (725
 * nets, `lower-half`) the provisional β 0.3 left 2 nets outside ±10% of their second measurement against 6–9
 * with the fitted ones (docs/benchmarks.md, issue 13, "β kept at 0.3"). A machine whose every model follows the
 * reference closely (r ≥ 0.9) still gets its own β.
 */
const SLOPE_MIN_R = 0.9;
/** β is kept at most SLOPE_MAX: a model does not slow down more than twice as much as the reference beside it (with r ≥ SLOPE_MIN_R it is positive). */
export const SLOPE_MAX = 2;

/** One round of one model as timed, with its reference: what a slope is fitted from. */
export interface ReferencedRound {
  /** The round's median as timed (before any scaling), ms. */
  ms: number;
  /** The reference's median in that round, ms. */
  referenceMs: number;
}

/**
 * β from a run's rounds: the pooled within-model least-squares slope of log(round as timed) on log(its
 * reference) — each model's rounds centred on their own means, so models of every size count alike and
 * only how a model's rounds move with their references is fitted. Undefined with too few rounds or no
 * spread in the references, or a correlation below SLOPE_MIN_R (a machine that did not drift says nothing of
 * how far to follow it).
 */
export function slopeFromRounds(models: readonly (readonly ReferencedRound[])[]): { slope: number; r: number; rounds: number; models: number } | undefined {
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  let rounds = 0;
  let used = 0;
  for (const rs of models) {
    const ok = rs.filter((x) => x.ms > 0 && x.referenceMs > 0);
    if (ok.length < 2) continue;
    const xs = ok.map((x) => Math.log(x.referenceMs));
    const ys = ok.map((x) => Math.log(x.ms));
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    for (let i = 0; i < xs.length; i++) {
      sxy += (xs[i] - mx) * (ys[i] - my);
      sxx += (xs[i] - mx) ** 2;
      syy += (ys[i] - my) ** 2;
    }
    rounds += ok.length;
    used++;
  }
  if (used < SLOPE_MIN_MODELS || rounds < SLOPE_MIN_ROUNDS || !(sxx > 0)) return undefined;
  const r = syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
  if (r < SLOPE_MIN_R) return undefined;
  const slope = Math.min(SLOPE_MAX, sxy / sxx);
  return { slope, r, rounds, models: used };
}

/** Share of a run's round references whose value becomes its R: the machine's fast state, as `min` picks a model's fastest round. */
export const SCALE_QUANTILE = 0.1;

/** R from a run's round references: their SCALE_QUANTILE quantile (lower of the two neighbours). */
export function scaleFromRounds(referenceMs: readonly number[]): number | undefined {
  const xs = referenceMs.filter((x) => x > 0).sort((a, b) => a - b);
  return xs.length ? xs[Math.floor(SCALE_QUANTILE * (xs.length - 1))] : undefined;
}

/**
 * A provisional R measured now: the fastest of a few reference medians, each interleaved with the cheapest
 * model there is (`filler`), so that every round can be scaled from the first one on.
 */
export async function measureReferenceScale(device: Device, protocol: TimingProtocol, filler: ModelUnderTest, times = 5): Promise<number> {
  const d = referenceDevice(device);
  const reference = referenceModel(protocol.reference!);
  const p: TimingProtocol = { warmup: 3, minRepeats: 10, maxRepeats: 10, maxTimeMs: 500, targetCI: 1 };
  let best = Infinity;
  for (let i = 0; i < times; i++) best = Math.min(best, (await d.timeWithReference(filler, p, reference)).referenceMs);
  return best;
}

