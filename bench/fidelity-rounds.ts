/**
 * Why do a net's rounds disagree? Reads the per-round details bench/fidelity.ts writes for every test net
 * (both measurements) and sets each round against its net's fastest round, by what the round recorded:
 * the time it ended (10 s buckets over the run), the CPU it ended on, the share of it the measuring thread
 * waited for a CPU, the speed probe, and which measurement it belonged to.
 *
 *   node --import tsx bench/fidelity-rounds.ts out/bench/fidelity-cpu-128-t1-regnet128-rounds.json
 */
import { readFileSync } from 'node:fs';
import type { RoundDetail } from '../devices/rounds.js';

const file = process.argv[2];
if (!file) throw new Error('usage: bench/fidelity-rounds.ts <fidelity JSON written by bench/fidelity.ts>');
const doc = JSON.parse(readFileSync(file, 'utf8')) as { points: { name: string; set: string; rounds?: RoundDetail[]; remeasuredRounds?: RoundDetail[] }[] };
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
