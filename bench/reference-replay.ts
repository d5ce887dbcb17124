/**
 * Which way of scaling rounds by the timing reference makes a net's second measurement agree with its
 * first (issue 13)? Replays the rounds a bench/fidelity.ts run wrote (every net's rounds of both
 * measurements, each with its reference reading and end time; with the entries' rounds where the bench
 * wrote their readings) under several estimators:
 *
 * - as timed (round / its scale), the lowest round or the median;
 * - scaled by the reference in the round itself, by the full ratio (β 1) or to the power β (the run's, else
 *   fitted here: devices/reference.ts), combined by min, median, mean or trimmed mean;
 * - scaled by a drift curve: the median of the reference readings of every round (any model's) that ended
 *   within ±W s of the round (or in the W s before it: what a live run knows), for several W.
 *
 *   node --import tsx bench/reference-replay.ts out/bench/fidelity-cpu-128-t1-regnet128-rounds-ref-mbv2net64.json
 */
import { readFileSync } from 'node:fs';
import { agreement } from '../src/core/agreement.js';
import { slopeFromRounds } from '../devices/reference.js';

interface Detail {
  median: number;
  endedAt?: number;
  scale?: number;
  setAside?: boolean;
  noise?: { referenceMs?: number };
}
interface EntryRound {
  median: number;
  endedAt?: number;
  referenceMs?: number;
  scale?: number;
}
const file = process.argv[2];
if (!file) throw new Error('usage: bench/reference-replay.ts <fidelity json>');
const data = JSON.parse(readFileSync(file, 'utf8')) as {
  protocol?: { referenceSlope?: number };
  points: { name: string; set: string; rounds: Detail[]; remeasuredRounds?: Detail[] }[];
  entryRounds?: Record<string, EntryRound[]>;
};
const points = data.points.filter((p) => p.remeasuredRounds);
// Every reference reading of the run, by end time: the nets' rounds of both measurements, and the entries' where written.
const readings: { t: number; ms: number; net: boolean }[] = [];
for (const p of data.points)
  for (const d of [...p.rounds, ...(p.remeasuredRounds ?? [])]) if (d.endedAt && d.noise?.referenceMs) readings.push({ t: d.endedAt, ms: d.noise.referenceMs, net: true });
let entryReadings = 0;
for (const rs of Object.values(data.entryRounds ?? {}))
  for (const r of rs)
    if (r.endedAt && r.referenceMs) {
      readings.push({ t: r.endedAt, ms: r.referenceMs, net: false });
      entryReadings++;
    }
readings.sort((a, b) => a.t - b.t);
const med = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const asTimed = (d: Detail) => d.median / (d.scale ?? 1);
/** The median reading of the rounds that ended in [t − before, t + after] (the round's own included). */
const curve = (t: number, before: number, after: number, only?: (r: (typeof readings)[number]) => boolean) => {
  const xs = readings.filter((r) => r.t >= t - before && r.t <= t + after && (!only || only(r))).map((r) => r.ms);
  return xs.length ? med(xs) : undefined;
};
type Combine = (xs: number[]) => number;
const combines: Record<string, Combine> = {
  min: (xs) => Math.min(...xs),
  median: med,
  mean: (xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
  'trimmed (drop lowest and highest)': (xs) => {
    const v = [...xs].sort((a, b) => a - b);
    const k = v.length > 2 ? v.slice(1, -1) : v;
    return k.reduce((a, b) => a + b, 0) / k.length;
  },
};
// β of the run: the LUT's (the fidelity bench writes it in its protocol) or, failing that, fitted here on every model's rounds.
const fitted = slopeFromRounds([
  ...data.points.flatMap((p) => [p.rounds, p.remeasuredRounds ?? []]).map((ds) => ds.filter((d) => d.scale && d.noise?.referenceMs).map((d) => ({ ms: asTimed(d), referenceMs: d.noise!.referenceMs! }))),
  ...Object.values(data.entryRounds ?? {}).map((rs) => rs.filter((r) => r.scale && r.referenceMs).map((r) => ({ ms: r.median / r.scale!, referenceMs: r.referenceMs! }))),
]);
const beta = data.protocol?.referenceSlope ?? fitted?.slope ?? 1;
type Estimator = { label: string; value(d: Detail): number | undefined; combine: Combine };
const estimators: Estimator[] = [
  { label: 'as timed, lowest round', value: asTimed, combine: combines.min },
  { label: 'as timed, median', value: asTimed, combine: combines.median },
  ...Object.entries(combines).map(([c, combine]) => ({ label: `own round's reference, ${c}`, value: (d: Detail) => (d.noise?.referenceMs ? asTimed(d) / d.noise.referenceMs : undefined), combine })),
];
for (const [c, combine] of Object.entries(combines))
  estimators.push({ label: `own round's reference^β, ${c}`, value: (d: Detail) => (d.noise?.referenceMs ? asTimed(d) / d.noise.referenceMs ** beta : undefined), combine });
for (const b of [1, beta])
  for (const w of [1, 2, 5, 10, 30])
    for (const [mode, before, after] of [
      ['±', w, w],
      ['past', w, 0],
    ] as const)
      estimators.push({
        label: `drift curve ${mode}${w} s${b === 1 ? '' : '^β'}, median`,
        value: (d: Detail) => {
          if (!d.endedAt) return undefined;
          const c = curve(d.endedAt, before * 1000, after * 1000);
          return c ? asTimed(d) / c ** b : undefined;
        },
        combine: combines.median,
      });
console.log(`${file}: ${points.length} nets measured twice; ${readings.length} reference readings (${entryReadings} of entries' rounds); β ${beta.toFixed(3)}${fitted ? ` (fitted here: ${fitted.slope.toFixed(3)}, r ${fitted.r.toFixed(2)}, ${fitted.rounds} rounds of ${fitted.models} models)` : ''}\n`);
console.log('| estimator | second vs first within ±10% | within ±5% | mean abs Δ | max abs Δ |');
console.log('|---|---|---|---|---|');
for (const e of estimators) {
  const fig = (ds: Detail[]) => {
    const xs = ds.filter((d) => !d.setAside).map(e.value);
    return xs.some((x) => x === undefined) || !xs.length ? undefined : e.combine(xs as number[]);
  };
  const a = points.map((p) => fig(p.rounds));
  const b = points.map((p) => fig(p.remeasuredRounds!));
  if (a.some((x) => x === undefined) || b.some((x) => x === undefined)) {
    console.log(`| ${e.label} | – | – | – | – |`);
    continue;
  }
  const g = agreement(b as number[], a as number[]);
  console.log(`| ${e.label} | ${g.within10.toFixed(1)}% | ${g.within5.toFixed(1)}% | ${g.meanAbsErrorPct.toFixed(2)}% | ${g.maxAbsErrorPct.toFixed(1)}% |`);
}
