/**
 * Which way of scaling rounds by the timing reference, and which estimator over them, makes a net's second
 * measurement agree with its first (issue 13)? Replays the rounds bench/fidelity.ts runs wrote (every net's
 * rounds of both measurements, each with its reference reading and end time) under several estimators, one
 * column per run:
 *
 * - as timed (round / its scale), the lowest round or the median;
 * - scaled by the reference in the round itself to the power β, for several β: the LUT's (read from the LUT
 *   beside the JSON, else fitted here on every model's rounds as the end of a profile run does:
 *   devices/reference.ts), β fitted on the nets' first measurement only (what the end of the profile run
 *   holds of whole nets), and fixed values; combined by the median, the mean, the mean of the lower half of
 *   the rounds (devices/rounds.ts, `lower-half`) or the lowest;
 * - with --curves (one run): scaled by a drift curve, the median of the reference readings of every round (any
 *   model's) that ended within ±W s of the round (or in the W s before it: what a live run knows), for several W.
 *
 * The round gate (protocol.roundGate, devices/rounds.ts) replayed with β 0.3 (median, lower half, lowest): rounds
 * whose measuring thread waited more than 30% of the round for a CPU set aside, and also rounds whose reference
 * read more than 2.5× the LUT's R (none retaken: the replay cannot take a round again; the live gate does). For
 * runs measured with the live gate, --gate-off takes the rounds it set aside back in (the gate off on the same
 * rounds, the retaken ones kept).
 *
 * Then, per run, where the misses of the live figure and of the lower half under the LUT's β fall: which
 * measurement's rounds disagree, and how far each round's reference and its time as timed moved.
 *
 *   node --import tsx bench/reference-replay.ts out/bench/fidelity-cpu-128-t1-regnet128-rounds-ref-mbv2net64.json [more.json …] [--curves] [--gate-off]
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { agreement } from '../src/core/agreement.js';
import { slopeFromRounds } from '../devices/reference.js';
import { estimate } from '../devices/rounds.js';
import { DEFAULT_ROUND_GATE } from '../devices/reference-choice.js';
import type { Estimator, LatencyStats } from '../devices/types.js';

interface Detail {
  median: number;
  endedAt?: number;
  scale?: number;
  setAside?: boolean;
  /** Which gate set the round aside live (devices/rounds.ts asideWhy): 'wait' and 'reference' are the round gate's. */
  asideWhy?: string;
  noise?: { referenceMs?: number; waitPct?: number };
}
interface EntryRound {
  median: number;
  endedAt?: number;
  referenceMs?: number;
  scale?: number;
}
interface Point {
  name: string;
  set: string;
  measured: number;
  remeasured?: number;
  rounds: Detail[];
  remeasuredRounds?: Detail[];
}
interface Run {
  label: string;
  points: Point[];
  entryRounds?: Record<string, EntryRound[]>;
  lutSlope?: number;
  /** The LUT's R (ms), for the gate on a round's reference reading. */
  lutR?: number;
}

const argv = process.argv.slice(2);
const curves = argv.includes('--curves');
/** Runs measured with the live round gate: replay every row as if it had been off (the rounds it set aside taken in, the retaken ones kept). */
const gateOff = argv.includes('--gate-off');
const files = argv.filter((a) => a !== '--curves' && a !== '--gate-off');
if (!files.length) throw new Error('usage: bench/reference-replay.ts <fidelity json> [more …] [--curves] [--gate-off]');

const runs: Run[] = files.map((file) => {
  const data = JSON.parse(readFileSync(file, 'utf8')) as { protocol?: { referenceSlope?: number }; points: Point[]; entryRounds?: Record<string, EntryRound[]> };
  // β is the LUT's, kept in the LUT beside the JSON (the bench's own protocol is the one before the run).
  const lutFile = file.replace(/\.json$/, '.lut.json');
  const lutProtocol = existsSync(lutFile) ? (JSON.parse(readFileSync(lutFile, 'utf8')) as { protocol: { referenceSlope?: number; referenceMs?: number } }).protocol : undefined;
  const lutSlope = lutProtocol ? lutProtocol.referenceSlope : data.protocol?.referenceSlope;
  return { label: path.basename(path.dirname(file)), points: data.points.filter((p) => p.remeasuredRounds?.length), entryRounds: data.entryRounds, lutSlope, lutR: lutProtocol?.referenceMs };
});

const asTimed = (d: Detail) => d.median / (d.scale ?? 1);
const referenced = (ds: readonly Detail[]) => ds.filter((d) => d.scale && d.noise?.referenceMs).map((d) => ({ ms: asTimed(d), referenceMs: d.noise!.referenceMs! }));
const med = (xs: number[]) => estimate(xs.map((median) => ({ median }) as LatencyStats), 'median');
/** β of a run: the LUT's, else fitted here on every model's rounds (nets' both measurements and the entries'), as the end of a profile run does. */
function slopes(run: Run): { lut: number; netsFirst: number | undefined } {
  const all = slopeFromRounds([
    ...run.points.flatMap((p) => [referenced(p.rounds), referenced(p.remeasuredRounds ?? [])]),
    ...Object.values(run.entryRounds ?? {}).map((rs) => rs.filter((r) => r.scale && r.referenceMs).map((r) => ({ ms: r.median / r.scale!, referenceMs: r.referenceMs! }))),
  ]);
  const netsFirst = slopeFromRounds(run.points.map((p) => referenced(p.rounds)));
  return { lut: run.lutSlope ?? all?.slope ?? 1, netsFirst: netsFirst?.slope };
}

type Combine = (xs: number[]) => number;
/** The protocol's estimators over round figures (devices/rounds.ts), each round taken as its median. */
const combine = (e: Estimator): Combine => (xs) => estimate(xs.map((median) => ({ median, mean: median, p10: median }) as LatencyStats), e);
const combines: [string, Combine][] = [
  ['median', combine('median')],
  ['mean', (xs) => xs.reduce((a, b) => a + b, 0) / xs.length],
  ['lower half (mean of the fastest ⌈n/2⌉)', combine('lower-half')],
  ['lowest', combine('min')],
];
/** A replay: each round's figure, how they combine, and (optionally) which rounds it sets aside (all kept where it would set aside every one). */
type Replay = { label: string; value(run: Run): ((d: Detail) => number | undefined) | undefined; combine: Combine; aside?(d: Detail, run: Run): boolean };
const replays: Replay[] = [
  { label: 'as timed, lowest round', value: () => asTimed, combine: combine('min') },
  { label: 'as timed, median', value: () => asTimed, combine: combine('median') },
];
const scaled = (beta: number | undefined) => (beta === undefined ? undefined : (d: Detail) => (d.noise?.referenceMs ? asTimed(d) / d.noise.referenceMs ** beta : undefined));
for (const [what, beta] of [
  ['the LUT\'s β', (r: Run) => slopes(r).lut],
  ['β of the nets\' first measurement', (r: Run) => slopes(r).netsFirst],
  ['β 0.2', () => 0.2],
  ['β 0.3 (provisional)', () => 0.3],
  ['β 0.4', () => 0.4],
  ['β 1 (full ratio)', () => 1],
] as const)
  for (const [c, fn] of combines) replays.push({ label: `scaled, ${what}, ${c}`, value: (r) => scaled(beta(r)), combine: fn });
// Gates replayed (the rounds they flag left out, none retaken): the measuring thread waited more than 30% of the round
// for a CPU; and also the round's reference read more than 2.5× the LUT's R (the reference itself disturbed).
// The thresholds are the live gate's (devices/reference-choice.ts DEFAULT_ROUND_GATE), fixed before the runs of the
// twelfth session were looked at. The live gate compares with the R the run had then (the provisional one during the
// profile); the replay with the LUT's final R.
const waited = (d: Detail) => (d.noise?.waitPct ?? 0) > DEFAULT_ROUND_GATE.waitPct!;
const refHigh = (d: Detail, run: Run) => run.lutR !== undefined && (d.noise?.referenceMs ?? 0) > DEFAULT_ROUND_GATE.referenceRatio! * run.lutR;
for (const [c, fn] of [combines[0], combines[2], combines[3]]) {
  replays.push({ label: `scaled, β 0.3, ${c}, rounds waited > 30% set aside`, value: () => scaled(0.3), combine: fn, aside: waited });
  replays.push({ label: `scaled, β 0.3, ${c}, rounds waited > 30% or reference > 2.5 R set aside`, value: () => scaled(0.3), combine: fn, aside: (d, r) => waited(d) || refHigh(d, r) });
}

/** A measurement's figure under a replay; undefined where a round lacks what it needs. */
function figure(ds: readonly Detail[], how: Replay, run: Run): number | undefined {
  const value = how.value(run);
  if (!value) return undefined;
  // Rounds a live gate set aside are left out, except the round gate's under --gate-off (its own rows decide again).
  // Where a live gate set aside every round of a measurement its figure took them all (devices/rounds.ts usableRounds): so here.
  const left = ds.filter((d) => !d.setAside || (gateOff && (d.asideWhy === 'wait' || d.asideWhy === 'reference')));
  const used = left.length ? left : [...ds];
  const kept = how.aside ? used.filter((d) => !how.aside!(d, run)) : used;
  const xs = (kept.length ? kept : used).map(value);
  return xs.some((x) => x === undefined) || !xs.length ? undefined : how.combine(xs as number[]);
}

console.log(`${runs.length} run(s); second measurement of every net against its first, within ±10% (misses)${gateOff ? '; rounds the live round gate set aside taken back in' : ''}\n`);
// What the gates would set aside (replayed thresholds), and what the live gate did, of every net round of both measurements.
console.log('| run | net rounds | thread waited > 30% | or reference > 2.5 R | set aside live (wait / reference) |');
console.log('|---|---|---|---|---|');
for (const run of runs) {
  const ds = run.points.flatMap((p) => [...p.rounds, ...(p.remeasuredRounds ?? [])]);
  const pct = (n: number) => `${n} (${((100 * n) / ds.length).toFixed(1)}%)`;
  console.log(`| ${run.label} | ${ds.length} | ${pct(ds.filter(waited).length)} | ${pct(ds.filter((d) => waited(d) || refHigh(d, run)).length)} | ${ds.filter((d) => d.asideWhy === 'wait').length} / ${ds.filter((d) => d.asideWhy === 'reference').length} |`);
}
console.log('');
console.log(`| estimator | ${runs.map((r) => `${r.label} (${r.points.length} nets)`).join(' | ')} | misses in all |`);
console.log(`|---|${runs.map(() => '---|').join('')}---|`);
console.log(`| β: the LUT's / the nets' first measurement's | ${runs.map((r) => `${slopes(r).lut.toFixed(3)} / ${slopes(r).netsFirst?.toFixed(3) ?? '–'}`).join(' | ')} | |`);
console.log(`| live (the bench's figures) | ${runs.map((r) => cell(r.points.map((p) => p.measured), r.points.map((p) => p.remeasured!))).join(' | ')} | ${runs.reduce((s, r) => s + misses(r.points.map((p) => p.measured), r.points.map((p) => p.remeasured!)), 0)} |`);
for (const how of replays) {
  let total = 0;
  const cells = runs.map((run) => {
    const a = run.points.map((p) => figure(p.rounds, how, run));
    const b = run.points.map((p) => figure(p.remeasuredRounds!, how, run));
    if (a.some((x) => x === undefined) || b.some((x) => x === undefined)) return '–';
    total += misses(a as number[], b as number[]);
    return cell(a as number[], b as number[]);
  });
  console.log(`| ${how.label} | ${cells.join(' | ')} | ${total} |`);
}

function misses(first: number[], second: number[]): number {
  return first.filter((x, i) => Math.abs(second[i] / x - 1) > 0.1).length;
}
function cell(first: number[], second: number[]): string {
  const g = agreement(second, first);
  const signed = (100 * second.reduce((s, x, i) => s + Math.log(x / first[i]), 0)) / first.length;
  return `${g.within10.toFixed(1)}% (${misses(first, second)}; mean Δ ${signed >= 0 ? '+' : ''}${signed.toFixed(1)}%)`;
}

// Where the misses fall: each miss's rounds, scaled by the LUT's β, over its first measurement's figure.
for (const run of runs) {
  const beta = slopes(run).lut;
  const lower = replays.find((r) => r.label === `scaled, the LUT's β, ${combines[2][0]}`)!;
  const bad = run.points.filter((p) => Math.abs(p.remeasured! / p.measured - 1) > 0.1 || Math.abs(figure(p.remeasuredRounds!, lower, run)! / figure(p.rounds, lower, run)! - 1) > 0.1);
  if (!bad.length) continue;
  const t0 = Math.min(...run.points.flatMap((p) => p.rounds.map((d) => d.endedAt ?? Infinity)));
  console.log(`\n${run.label}: nets missed live or by the lower half (β ${beta.toFixed(3)}); each round: s into the run, scaled over the first measurement's median, as timed over the same, its reference (ms), the thread's wait for a CPU\n`);
  for (const p of bad) {
    const base = med(p.rounds.map((d) => scaled(beta)!(d)!));
    const baseTimed = med(p.rounds.map(asTimed));
    console.log(`- ${p.name} (${p.set}): live ${(100 * (p.remeasured! / p.measured - 1)).toFixed(1)}%, lower half ${(100 * (figure(p.remeasuredRounds!, lower, run)! / figure(p.rounds, lower, run)! - 1)).toFixed(1)}%`);
    for (const [which, ds] of [
      ['first', p.rounds],
      ['second', p.remeasuredRounds!],
    ] as const)
      console.log(`  - ${which}: ${ds.map((d) => `${(((d.endedAt ?? t0) - t0) / 1000).toFixed(0)} s ${(scaled(beta)!(d)! / base).toFixed(3)} (${(asTimed(d) / baseTimed).toFixed(3)}, ${d.noise?.referenceMs?.toFixed(3)}, ${d.noise?.waitPct?.toFixed(0) ?? '?'}%)`).join('; ')}`);
  }
}

if (curves) driftCurves(runs[0]);

/** The drift curves of the tenth session (rejected: worse than the round's own reading), for one run. */
function driftCurves(run: Run): void {
  const readings: { t: number; ms: number }[] = [];
  for (const p of run.points) for (const d of [...p.rounds, ...(p.remeasuredRounds ?? [])]) if (d.endedAt && d.noise?.referenceMs) readings.push({ t: d.endedAt, ms: d.noise.referenceMs });
  for (const rs of Object.values(run.entryRounds ?? {})) for (const r of rs) if (r.endedAt && r.referenceMs) readings.push({ t: r.endedAt, ms: r.referenceMs });
  const curve = (t: number, before: number, after: number) => {
    const xs = readings.filter((r) => r.t >= t - before && r.t <= t + after).map((r) => r.ms);
    return xs.length ? med(xs) : undefined;
  };
  const beta = slopes(run).lut;
  console.log(`\n${run.label}: drift curves, ${readings.length} reference readings\n`);
  console.log('| estimator | second vs first within ±10% | within ±5% | mean abs Δ | max abs Δ |');
  console.log('|---|---|---|---|---|');
  for (const b of [1, beta])
    for (const w of [1, 2, 5, 10, 30])
      for (const [mode, before, after] of [
        ['±', w, w],
        ['past', w, 0],
      ] as const) {
        const fig = (ds: Detail[]) => {
          const xs = ds.filter((d) => !d.setAside).map((d) => {
            const c = d.endedAt ? curve(d.endedAt, before * 1000, after * 1000) : undefined;
            return c ? asTimed(d) / c ** b : undefined;
          });
          return xs.some((x) => x === undefined) || !xs.length ? undefined : med(xs as number[]);
        };
        const a = run.points.map((p) => fig(p.rounds));
        const c = run.points.map((p) => fig(p.remeasuredRounds!));
        if (a.some((x) => x === undefined) || c.some((x) => x === undefined)) continue;
        const g = agreement(c as number[], a as number[]);
        console.log(`| drift curve ${mode}${w} s${b === 1 ? '' : `^β ${beta.toFixed(3)}`}, median | ${g.within10.toFixed(1)}% | ${g.within5.toFixed(1)}% | ${g.meanAbsErrorPct.toFixed(2)}% | ${g.maxAbsErrorPct.toFixed(1)}% |`);
      }
}
