/**
 * The names of the timing references (devices/reference.ts builds their models) and the choice of one from
 * a flag, without loading the exporter: the CLI reads these at startup.
 */
import { UserError } from '../src/core/errors.js';
import { DEFAULT_PROTOCOL, type DeviceFactory, type Estimator, type ReferenceDrift, type RoundGate } from './types.js';

/** The reference models a protocol can name (devices/reference.ts says what each is). */
export const REFERENCE_NAMES = ['mbv2net64', 'mbconv56', 'conv'] as const;
export type ReferenceName = (typeof REFERENCE_NAMES)[number];

/** `name` as a reference name; a UserError listing the known ones otherwise. */
export function checkReferenceName(name: string): ReferenceName {
  if (!(REFERENCE_NAMES as readonly string[]).includes(name)) throw new UserError(`unknown timing reference '${name}'`, { hint: `use one of: ${REFERENCE_NAMES.join(', ')}, off, or auto` });
  return name as ReferenceName;
}

/**
 * The protocol's reference from a choice: 'off' none, 'auto' the device's default (its factory's
 * defaultReference; none for a device without one), else a reference name (checked).
 */
export function chooseReference(choice: string, factory: Pick<DeviceFactory, 'defaultReference'> | undefined): string | undefined {
  if (choice === 'off') return undefined;
  if (choice === 'auto') return factory?.defaultReference;
  return checkReferenceName(choice);
}

/**
 * The default estimator over a model's rounds: with a reference, the mean of the fastest half of the scaled
 * rounds (`lower-half`); without, the protocol's default (the lowest round). Measured on the same rounds:
 * over scaled rounds the median agreed with itself as well as the lowest round or better and predicted the
 * plain LUT sum far better (docs/benchmarks.md, "A timing reference interleaved in every round"); the
 * lower half agreed better still: replayed on seven runs of the eleventh session (725 nets, six quiet, one
 * loaded), with β 0.3 it left 2 nets outside ±10% of their second measurement, the median 5, the mean 27,
 * the lowest 14 (a round is only ever slowed, and the lowest alone carries one reference reading's noise;
 * docs/benchmarks.md, issue 13, "The lower half of the rounds, β kept at 0.3"). Chosen again with the round gate
 * (twelfth session, the same ten runs with the gate replayed: median 4 misses, lower half 5, lowest 16; the two
 * quiet runs of a fresh seed, where the gate set nothing aside: 6 and 6): kept, since one net in 929 does not
 * justify changing every ort-cpu LUT's id, and the lower half still leaves out the slow rounds no gate marks
 * (docs/benchmarks.md, issue 13, "A live gate on rounds").
 */
export function defaultEstimator(reference: string | undefined): Estimator {
  return reference !== undefined ? 'lower-half' : DEFAULT_PROTOCOL.estimator!;
}

/**
 * The round gate (protocol.roundGate, devices/rounds.ts) a protocol with a timing reference gets by default: set
 * aside and retake a round whose measuring thread waited for a CPU more than 30% of it, or whose reference read
 * more than 2.5× R. Both thresholds were chosen on the ten fidelity runs of the eleventh session (929 nets) before
 * any later run was looked at (docs/benchmarks.md, issue 13, "A live gate on rounds"). Without a reference: none
 * (not measured there).
 */
export const DEFAULT_ROUND_GATE: RoundGate = { waitPct: 30, referenceRatio: 2.5 };

/** The default round gate for a protocol's reference and rounds: DEFAULT_ROUND_GATE with a reference and several rounds, else none. */
export function defaultRoundGate(reference: string | undefined, rounds = 1): RoundGate | undefined {
  return reference !== undefined && rounds > 1 ? { ...DEFAULT_ROUND_GATE } : undefined;
}

/**
 * How far a round follows the reference's slow drift (protocol.referenceDrift, devices/reference.ts) by default with a
 * reference and several rounds: the drift is the median of the process's last 31 readings; a round of at most 4 ms as
 * timed follows it with βs 0.4, one of 6.5 ms or more with the LUT's β (0.3 on the development VM), log-linear
 * between; from a level of 1.15 R (the median entry reading over R in those runs, 1.08–1.26), so that the LUT's
 * entries at the machine's typical state keep the figures of the rule before. Chosen on 31 fidelity runs (24 loaded, 7 quiet; thirteenth session) before the three quiet runs it was
 * checked on: between a net's two measurements its time moved 0.44× as far as the reference's median for nets under
 * 3 ms, 0.33× at 3–5 ms, 0.14× at 8–20 ms; at 128 px the second measurement of the quiet runs was 1.2–2.1% slow
 * under the round's own reading with β 0.3. Checked: quiet 128 px self-agreement 97.9% → 99.6% (233 nets) and
 * 98.9% → 100% (93), 224 px 99.2% both (docs/benchmarks.md, issue 13, "the reference's slow drift").
 */
export const DEFAULT_REFERENCE_DRIFT: ReferenceDrift = { readings: 31, slope: 0.4, fromMs: 4, toMs: 6.5, level: 1.15 };

/**
 * Rounds per whole network (protocol.netRounds, devices/rounds.ts netProtocol) by default with a reference and several
 * rounds: 6, against the entries' 3. A net's rounds disagree by a few % for reasons neither the reference nor the round
 * gate marks (on ort-cpu at 128 px a round's log deviation from its net's median has an SD of 3–4%, MAD 1.1–1.5%),
 * alike within one process and across processes, so more rounds are what lowers it. Alternated under load (3.6–31,
 * CPU priority), the SD of log(second / first measurement) of random mbv2@128 nets with 6 rounds against 3:
 * bench/net-agreement.ts 1.61% vs 2.93%, 3.39% vs 3.68% and 1.11% vs 2.16% (τ 0.951 vs 0.877); bench/fidelity.ts (60 nets) 2.42% vs 2.59–2.71% and
 * 2.28% vs 3.37% (τ between the two 0.843 / 0.864 against 0.828–0.840 / 0.789), one more pair disturbed by a load of
 * 25; for 1.5–1.9× the time of a net's measurement. More timed runs per round, or rounds in fresh worker processes,
 * did not lower it (docs/benchmarks.md, issue 13, "two measurements of the same net").
 */
export const DEFAULT_NET_ROUNDS = 6;

/** The default netRounds for a protocol's reference and rounds: DEFAULT_NET_ROUNDS (at least the rounds) with a reference and several rounds, else none. */
export function defaultNetRounds(reference: string | undefined, rounds = 1): number | undefined {
  return reference !== undefined && rounds > 1 ? Math.max(rounds, DEFAULT_NET_ROUNDS) : undefined;
}

/** The default referenceDrift for a protocol's reference and rounds: DEFAULT_REFERENCE_DRIFT with a reference and several rounds, else none. */
export function defaultReferenceDrift(reference: string | undefined, rounds = 1): ReferenceDrift | undefined {
  return reference !== undefined && rounds > 1 ? { ...DEFAULT_REFERENCE_DRIFT } : undefined;
}
