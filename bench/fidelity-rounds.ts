/**
 * Why do a net's rounds disagree? Reads the per-round details bench/fidelity.ts writes for every test net
 * (both measurements) and sets each round against its net's fastest round, by what the round recorded:
 * the time it ended (10 s buckets over the run), the CPU it ended on, the share of it the measuring thread
 * waited for a CPU, the speed probe, the anchor (--anchor), and which measurement it belonged to; then
 * replays the self-agreement as if the rounds each signal flags had been left out.
 *
 *   node --import tsx bench/fidelity-rounds.ts out/bench/fidelity-cpu-128-t1-regnet128-rounds.json
 */
import { readFileSync } from 'node:fs';
import type { RoundDetail } from '../devices/rounds.js';

const file = process.argv[2];
if (!file) throw new Error('usage: bench/fidelity-rounds.ts <fidelity JSON written by bench/fidelity.ts>');
const doc = JSON.parse(readFileSync(file, 'utf8')) as {
  points: { name: string; set: string; rounds?: RoundDetail[]; remeasuredRounds?: RoundDetail[] }[];
  /** Every LUT entry's rounds (bench/fidelity.ts since it saves them). */
  entryRounds?: Record<string, { median: number; endedAt?: number; cpu?: number }[]>;
};
const nets = doc.points.filter((p) => p.rounds?.length);
if (!nets.length) throw new Error(`${file} has no per-round details (written by bench/fidelity.ts since the rounds report existed)`);

interface Round extends RoundDetail {
  net: string;
  which: 'first' | 'second';
  /** The round's median over its net's fastest round median (both measurements). */
  ratio: number;
}
const rounds: Round[] = nets.flatMap((p) => {
  const all = [...p.rounds!.map((r) => ({ ...r, which: 'first' as const })), ...(p.remeasuredRounds ?? []).map((r) => ({ ...r, which: 'second' as const }))];
  const best = Math.min(...all.map((r) => r.median));
  return all.map((r) => ({ ...r, net: p.name, ratio: r.median / best }));
});
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};
const row = (label: string, rs: Round[]) =>
  rs.length && console.log(`| ${label} | ${rs.length} | ${quantile(rs.map((r) => r.ratio), 0.5).toFixed(3)} | ${quantile(rs.map((r) => r.ratio), 0.9).toFixed(3)} | ${(100 * (rs.filter((r) => r.ratio > 1.1).length / rs.length)).toFixed(0)}% | ${quantile(rs.flatMap((r) => (r.noise?.probeMs === undefined ? [] : [r.noise.probeMs])), 0.5).toFixed(4)} | ${quantile(rs.flatMap((r) => (r.noise?.waitPct === undefined ? [] : [r.noise.waitPct])), 0.5).toFixed(1)} | ${quantile(rs.map((r) => r.noise?.load1 ?? NaN), 0.5).toFixed(2)} |`);

console.log(`${nets.length} nets, ${rounds.length} rounds; a round's ratio = its median over its net's fastest round\n`);
const header = (what: string) => {
  console.log(`| ${what} | rounds | median ratio | p90 ratio | > 1.1× | probe ms (median) | wait % (median) | load1 (median) |`);
  console.log('|---|---|---|---|---|---|---|---|');
};
header('measurement');
for (const which of ['first', 'second'] as const) row(which, rounds.filter((r) => r.which === which));
console.log('');
header('CPU at the round\'s end');
for (const cpu of [...new Set(rounds.map((r) => r.noise?.cpu))].sort()) row(String(cpu ?? '?'), rounds.filter((r) => r.noise?.cpu === cpu));
console.log('');
header('migrations in the round');
row('none', rounds.filter((r) => r.noise?.migrations === 0));
row('some', rounds.filter((r) => (r.noise?.migrations ?? 0) > 0));
console.log('');
const timed = rounds.filter((r) => r.endedAt !== undefined);
if (timed.length) {
  const start = Math.min(...timed.map((r) => r.endedAt!));
  header('ended (s into the run)');
  const buckets = [...new Set(timed.map((r) => Math.floor((r.endedAt! - start) / 10_000)))].sort((a, b) => a - b);
  for (const b of buckets) row(`${b * 10}–${b * 10 + 10}`, timed.filter((r) => Math.floor((r.endedAt! - start) / 10_000) === b));
}

// The anchor (protocol.anchor): each round's anchor over the run's fastest anchor.
const anchored = rounds.filter((r) => r.noise?.anchorMs !== undefined);
const bestAnchor = anchored.length ? Math.min(...anchored.map((r) => r.noise!.anchorMs!)) : NaN;
const anchorRatio = (r: Round) => (r.noise?.anchorMs === undefined ? undefined : r.noise.anchorMs / bestAnchor);
if (anchored.length) {
  console.log('');
  header(`anchor over the run's fastest (${bestAnchor.toFixed(4)} ms)`);
  for (const [lo, hi] of [[0, 1.05], [1.05, 1.1], [1.1, 1.2], [1.2, 1.5], [1.5, Infinity]])
    row(`${lo.toFixed(2)}–${hi === Infinity ? '' : hi.toFixed(2)}`, anchored.filter((r) => anchorRatio(r)! >= lo && anchorRatio(r)! < hi));
}

/**
 * Replay: which signal, had the protocol left out the rounds it flags (keeping all of a net's rounds where
 * it flags every one), would have made the second measurement agree with the first? Each measurement is
 * the fastest round median kept (the protocol's `min` estimator).
 */
const bestProbe = Math.min(...rounds.flatMap((r) => (r.noise?.probeMs === undefined ? [] : [r.noise.probeMs])));
const signals: [string, (r: Round) => boolean][] = [
  ['nothing left out (the lowest round of all)', () => false],
  ['set aside by the live anchor gate (--anchor-gate)', (r) => r.setAside === true],
  ['anchor ≥ 1.10× the fastest', (r) => (anchorRatio(r) ?? 0) >= 1.1],
  ['anchor ≥ 1.05× the fastest', (r) => (anchorRatio(r) ?? 0) >= 1.05],
  ['probe ≥ 1.05× the fastest', (r) => (r.noise?.probeMs ?? 0) >= 1.05 * bestProbe],
  ['thread waited ≥ 5% of the round', (r) => (r.noise?.waitPct ?? 0) >= 5],
  ['other processes ≥ 50% of a CPU', (r) => (r.noise?.othersPct ?? 0) >= 50],
  ['migrated during the round', (r) => (r.noise?.migrations ?? 0) > 0],
];
console.log('\n| rounds left out where | rounds left out | second measurement within ±10% of the first | within ±5% | mean \\|Δ\\| |');
console.log('|---|---|---|---|---|');
for (const [label, flagged] of signals) {
  const deltas: number[] = [];
  let out = 0;
  for (const p of nets) {
    const pick = (which: 'first' | 'second') => {
      const rs = rounds.filter((r) => r.net === p.name && r.which === which);
      const kept = rs.filter((r) => !flagged(r));
      out += rs.length - kept.length;
      return Math.min(...(kept.length ? kept : rs).map((r) => r.median));
    };
    const a = pick('first');
    const b = p.remeasuredRounds?.length ? pick('second') : NaN;
    if (Number.isFinite(b)) deltas.push(b / a - 1);
  }
  if (!deltas.length) continue;
  const share = (lim: number) => (100 * deltas.filter((d) => Math.abs(d) <= lim).length) / deltas.length;
  console.log(`| ${label} | ${out} | ${share(0.1).toFixed(1)}% | ${share(0.05).toFixed(1)}% | ${((100 * deltas.reduce((s, d) => s + Math.abs(d), 0)) / deltas.length).toFixed(1)}% |`);
}

/**
 * Replay of estimators over all of a measurement's rounds: the protocol's `min`, the median, and the median
 * of the rounds each scaled by (the run's fastest anchor / its own anchor), i.e. every round brought to the
 * machine state of the fastest anchor before the rounds are combined.
 */
const estimators: [string, (rs: Round[]) => number][] = [
  ['lowest round median (min, the protocol\'s)', (rs) => Math.min(...rs.map((r) => r.median))],
  ['median of the round medians', (rs) => quantile(rs.map((r) => r.median), 0.5)],
  ...(anchored.length === rounds.length
    ? ([
        ['median of the rounds scaled by fastest anchor / their anchor', (rs: Round[]) => medianOf(rs.map((r) => (r.median * bestAnchor) / r.noise!.anchorMs!))],
        ['lowest of the rounds scaled by fastest anchor / their anchor', (rs: Round[]) => Math.min(...rs.map((r) => (r.median * bestAnchor) / r.noise!.anchorMs!))],
        [
          'the same median, rounds where the thread waited ≥ 5% for a CPU left out (where others remain)',
          (rs: Round[]) => {
            const kept = rs.filter((r) => (r.noise?.waitPct ?? 0) < 5);
            return medianOf((kept.length ? kept : rs).map((r) => (r.median * bestAnchor) / r.noise!.anchorMs!));
          },
        ],
      ] as [string, (rs: Round[]) => number][])
    : []),
];
function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
console.log('\n| estimator over every round of a measurement | second measurement within ±10% of the first | within ±5% | mean \\|Δ\\| |');
console.log('|---|---|---|---|');
for (const [label, f] of estimators) {
  const deltas = nets.filter((p) => p.remeasuredRounds?.length).map((p) => f(rounds.filter((r) => r.net === p.name && r.which === 'second')) / f(rounds.filter((r) => r.net === p.name && r.which === 'first')) - 1);
  if (!deltas.length) continue;
  const share = (lim: number) => (100 * deltas.filter((d) => Math.abs(d) <= lim).length) / deltas.length;
  console.log(`| ${label} | ${share(0.1).toFixed(1)}% | ${share(0.05).toFixed(1)}% | ${((100 * deltas.reduce((s, d) => s + Math.abs(d), 0)) / deltas.length).toFixed(1)}% |`);
}

/**
 * The entries as a yardstick (runs that saved their rounds): the LUT entries timed in the same passes, within
 * ±YARD_MS of a net's round, each as its round over its own fastest round, their median = how slow the machine
 * ran the runtime's kernels at that moment, seen by models of every size (the anchor is one small conv that
 * stays in cache). A net measured only in such moments has rounds that agree and are all slow: the case the
 * spread rule cannot see (docs/benchmarks.md, issue 13 at 224 px).
 */
const YARD_MS = 5000;
if (doc.entryRounds) {
  const marks = Object.values(doc.entryRounds)
    .flatMap((rs) => {
      const best = Math.min(...rs.map((r) => r.median));
      return rs.flatMap((r) => (r.endedAt === undefined ? [] : [{ t: r.endedAt, ratio: r.median / best }]));
    })
    .sort((a, b) => a.t - b.t);
  const yardstick = (t: number | undefined) => {
    if (t === undefined) return undefined;
    const near = marks.filter((m) => Math.abs(m.t - t) <= YARD_MS).map((m) => m.ratio);
    return near.length >= 5 ? medianOf(near) : undefined;
  };
  const withYard = rounds.map((r) => ({ r, y: yardstick(r.endedAt) })).filter((x) => x.y !== undefined) as { r: Round; y: number }[];
  console.log(`\nthe entries as a yardstick: median over the entry rounds ending within ±${YARD_MS / 1000} s of a net round of (entry round / that entry's fastest); ${withYard.length} of ${rounds.length} net rounds have one (nets timed in passes of their own have none)\n`);
  console.log('| entries\' yardstick | net rounds | net round over its net\'s fastest (median) | p90 |');
  console.log('|---|---|---|---|');
  for (const [lo, hi] of [[0, 1.05], [1.05, 1.1], [1.1, 1.2], [1.2, Infinity]]) {
    const xs = withYard.filter((x) => x.y >= lo && x.y < hi).map((x) => x.r.ratio);
    if (xs.length) console.log(`| ${lo.toFixed(2)}–${hi === Infinity ? '' : hi.toFixed(2)} | ${xs.length} | ${quantile(xs, 0.5).toFixed(3)} | ${quantile(xs, 0.9).toFixed(3)} |`);
  }
  console.log('\n| net | first measurement: its rounds\' yardsticks | every one ≥ 1.10 | second measurement vs first |');
  console.log('|---|---|---|---|');
  for (const p of nets) {
    const ys = p.rounds!.map((r) => yardstick(r.endedAt));
    if (ys.some((y) => y === undefined)) continue;
    const first = Math.min(...p.rounds!.map((r) => r.median));
    const second = p.remeasuredRounds?.length ? Math.min(...p.remeasuredRounds.map((r) => r.median)) : NaN;
    console.log(`| ${p.name.slice(0, 40)} | ${ys.map((y) => y!.toFixed(2)).join(', ')} | ${ys.every((y) => y! >= 1.1) ? 'yes' : ''} | ${Number.isFinite(second) ? `${(100 * (second / first - 1)).toFixed(1)}%` : '–'} |`);
  }
}
