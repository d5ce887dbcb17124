/**
 * The reference's slow drift (protocol.referenceDrift, devices/reference.ts) replayed on bench/fidelity.ts runs: every
 * round of every net (both measurements) and of every LUT entry scaled again from its time as timed and its reference
 * reading, under
 *
 * - `own reading`: item × (R / its reading)^β, the rule before (β 0.3, the lower half of the rounds);
 * - `drift`: item × (R / reading)^β × (level·R / drift)^(βs − β), drift the median of the last `readings` readings of the same
 *   measurement (the profile's passes: entries and the nets' first measurement; the second measurement's passes apart,
 *   as a fresh process would start), βs from the rule (devices/reference.ts driftSlope), the lower half of the rounds;
 *
 * and reports per run the second measurement against the first (within ±10%, ±5%, mean signed and |Δ|) and the
 * prediction: the plain LUT sum with every entry replayed alike against each measurement, and that sum times one scale
 * fitted on the first --hold random nets (the mean measured / sum; those nets are left out of the prediction figures),
 * within ±10% and Kendall τ. Nothing is measured. Runs without a reference (wasm) have nothing to replay.
 *
 *   node --import tsx bench/drift-replay.ts [--hold 10] [--beta 0.3|lut] [--rule readings,slope,fromMs,toMs,level …] RUN/fidelity-….json …
 *
 * Each JSON is read with its LUT beside it (fidelity-….lut.json). Rules default to the library's DEFAULT_REFERENCE_DRIFT.
 */
import { existsSync, readFileSync } from 'node:fs';
import { agreement } from '../src/core/agreement.js';
import { predict } from '../src/predict/predictor.js';
import { driftFactor, PROVISIONAL_SLOPE, referenceFactor } from '../devices/reference.js';
import { DEFAULT_REFERENCE_DRIFT } from '../devices/reference-choice.js';
import { estimate } from '../devices/rounds.js';
import type { LatencyStats, ReferenceDrift } from '../devices/types.js';
import { netOf } from '../lut/entry.js';
import type { Lut } from '../lut/format.js';
import { fidelityNets, readFidelityRun } from './fidelity-nets.js';

const argv = process.argv.slice(2);
let hold = 10;
/** β of the rounds' own readings: the rule of now (PROVISIONAL_SLOPE, every LUT since the eleventh session) unless --beta lut (each LUT's own). */
let betaArg = String(PROVISIONAL_SLOPE);
const rules: ReferenceDrift[] = [];
const files: string[] = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--hold') hold = Number(argv[++i]);
  else if (argv[i] === '--beta') betaArg = argv[++i];
  else if (argv[i] === '--rule') {
    const [readings, slope, fromMs, toMs, level] = argv[++i].split(',').map(Number);
    rules.push({ readings, slope, fromMs, toMs, level });
  } else files.push(argv[i]);
}
if (!files.length) throw new Error('usage: bench/drift-replay.ts [--hold 10] [--beta 0.3|lut] [--rule readings,slope,fromMs,toMs,level] RUN/fidelity-….json …');
if (!rules.length) rules.push(DEFAULT_REFERENCE_DRIFT);

interface Round {
  median: number;
  endedAt?: number;
  scale?: number;
  setAside?: boolean;
  asideWhy?: string;
  referenceMs?: number;
  noise?: { referenceMs?: number };
}
interface Doc {
  points: { name: string; set: string; rounds: Round[]; remeasuredRounds?: Round[] }[];
  entryRounds?: Record<string, Round[]>;
}

const asTimed = (r: Round) => r.median / (r.scale ?? 1);
const readingOf = (r: Round) => r.noise?.referenceMs ?? r.referenceMs;
const lowerHalf = (xs: number[]) => estimate(xs.map((median) => ({ median }) as LatencyStats), 'lower-half');

/** Each round's drift: the median of the last `n` readings of its measurement up to its end (its own included). */
function driftOf(pool: readonly Round[], n: number): Map<Round, number> {
  const sorted = pool.filter((r) => r.endedAt !== undefined && readingOf(r)! > 0).sort((a, b) => a.endedAt! - b.endedAt!);
  const out = new Map<Round, number>();
  sorted.forEach((r, i) => {
    const w = sorted.slice(Math.max(0, i - n + 1), i + 1).map((x) => readingOf(x)!).sort((a, b) => a - b);
    const m = w.length >> 1;
    out.set(r, w.length % 2 ? w[m] : (w[m - 1] + w[m]) / 2);
  });
  return out;
}

type Rule = { label: string; drift?: ReferenceDrift };
const table: string[] = [];
table.push('| run | rule | nets | second vs first ±10% (misses) | ±5% | mean signed Δ | mean \\|Δ\\| | plain sum vs first ±10% (τ) | one scale vs first ±10% (τ) | mean \\|err\\| | one scale vs second ±10% (τ) |');
table.push('|---|---|---|---|---|---|---|---|---|---|---|');
for (const file of files) {
  const lutFile = file.replace(/\.json$/, '.lut.json');
  if (!existsSync(lutFile)) throw new Error(`no LUT beside ${file}`);
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Doc;
  const { lut, doc: fdoc } = readFidelityRun(file, lutFile);
  const run = file.split('/').slice(-3, -1).join('/');
  const points = doc.points.filter((p) => p.remeasuredRounds?.length);
  if (!points.every((p) => [...p.rounds, ...p.remeasuredRounds!].every((r) => readingOf(r)! > 0))) {
    table.push(`| ${run} | – | ${points.length} | no timing reference: nothing to replay | | | | | | | |`);
    continue;
  }
  const R = lut.protocol.referenceMs ?? 1;
  const beta = betaArg === 'lut' ? (lut.protocol.referenceSlope ?? 1) : Number(betaArg);
  const entries = Object.entries(doc.entryRounds ?? {});
  const first = [...points.flatMap((p) => p.rounds), ...entries.flatMap(([, rs]) => rs)];
  const second = points.flatMap((p) => p.remeasuredRounds!);
  const nets = fidelityNets(fdoc).filter((n) => !n.set.startsWith('calibration '));
  const archOf = new Map(nets.map((n) => [n.arch.name, n.arch]));
  for (const rule of [{ label: `own reading, β ${beta.toFixed(2)}` } as Rule, ...rules.map((d) => ({ label: `drift ${d.readings} readings, βs ${d.slope} ≤ ${d.fromMs} ms → β at ${d.toMs} ms, level ${d.level} R`, drift: d }))]) {
    const drifts = rule.drift ? new Map([...driftOf(first, rule.drift.readings), ...driftOf(second, rule.drift.readings)]) : new Map<Round, number>();
    const value = (r: Round) => asTimed(r) * (rule.drift ? driftFactor(R, readingOf(r)!, drifts.get(r), beta, rule.drift, asTimed(r)) : referenceFactor(R, readingOf(r)!, beta));
    // Rounds a live gate set aside stay out, as in the LUT (all kept where it set aside every one).
    const fig = (rs: readonly Round[]) => {
      const kept = rs.filter((r) => !r.setAside && !r.asideWhy);
      return lowerHalf((kept.length ? kept : rs).map(value));
    };
    const a = points.map((p) => fig(p.rounds));
    const b = points.map((p) => fig(p.remeasuredRounds!));
    const self = agreement(b, a);
    const signed = (100 * b.reduce((s, x, i) => s + Math.log(x / a[i]), 0)) / a.length;
    const absd = (100 * b.reduce((s, x, i) => s + Math.abs(Math.log(x / a[i])), 0)) / a.length;
    const misses = a.filter((x, i) => Math.abs(b[i] / x - 1) > 0.1).length;
    // The LUT with every entry replayed alike (entries without rounds in the run keep their figure).
    const replayed: Lut = {
      ...lut,
      entries: Object.fromEntries(
        Object.entries(lut.entries).map(([key, e]) => {
          const rs = doc.entryRounds?.[key]?.filter((r) => readingOf(r)! > 0);
          if (!rs?.length || !('stats' in e)) return [key, e];
          const m = fig(rs);
          return [key, { ...e, stats: { ...e.stats, median: m }, net: netOf(m, e.overheadMs ?? lut.overhead.median) }];
        }),
      ),
    };
    const idx = points.map((p, i) => (archOf.has(p.name) ? i : -1)).filter((i) => i >= 0);
    const sum = idx.map((i) => predict(replayed, archOf.get(points[i].name)!, { breakdown: false }).ms);
    const plain = agreement(sum, idx.map((i) => a[i]));
    // One scale from the first `hold` random nets (held out of the figures below).
    const randomAt = idx.map((i, k) => ({ i, k })).filter(({ i }) => points[i].set.startsWith('random mbv2'));
    const held = new Set(randomAt.slice(0, hold).map(({ k }) => k));
    const scale = held.size ? [...held].reduce((s, k) => s + a[idx[k]] / sum[k], 0) / held.size : 1;
    const rest = idx.map((i, k) => ({ i, k })).filter(({ k }) => !held.has(k));
    const vsFirst = agreement(rest.map(({ k }) => scale * sum[k]), rest.map(({ i }) => a[i]));
    const vsSecond = agreement(rest.map(({ k }) => scale * sum[k]), rest.map(({ i }) => b[i]));
    table.push(
      `| ${run} | ${rule.label} | ${points.length} | ${self.within10.toFixed(1)}% (${misses}) | ${self.within5.toFixed(1)}% | ${signed >= 0 ? '+' : ''}${signed.toFixed(2)}% | ${absd.toFixed(2)}% | ${plain.within10.toFixed(1)}% (${plain.kendallTau.toFixed(3)}) | ${vsFirst.within10.toFixed(1)}% (${vsFirst.kendallTau.toFixed(3)}) | ${vsFirst.meanAbsErrorPct.toFixed(2)}% | ${vsSecond.within10.toFixed(1)}% (${vsSecond.kendallTau.toFixed(3)}) |`,
    );
  }
}
console.log(table.join('\n'));
