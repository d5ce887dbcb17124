/**
 * Per-net errors of a bench/fidelity.ts run's random nets (as `nas profile` keeps the calibration) against what a
 * RegNet net is (X/Y, depth d, w0, group width g, bottleneck ratio b: read from its name), its weight bytes and
 * the share of its units' own edge reorders in its LUT sum; then the mean error and the count within ±10% per
 * decision value and the correlations. Nothing is measured.
 *
 *   node --import tsx bench/fidelity-net-errors.ts RUN/fidelity-….json [set prefix, default "random regnet"]
 *
 * REF=mean: the error against the mean of the run's two measurements (to take the first measurement's noise out).
 */
import { readFileSync } from 'node:fs';
import { lutSums } from '../src/predict/calibrate.js';
import { fidelityNets, readFidelityRun } from './fidelity-nets.js';
const file = process.argv[2];
const set = process.argv[3] ?? 'random regnet';
const { lut, doc } = readFidelityRun(file);
const full = JSON.parse(readFileSync(file, 'utf8'));
const nets = new Map(fidelityNets(doc).map((n) => [n.arch.name, n]));
const rows = full.points.filter((p: any) => p.set.startsWith(set)).map((p: any) => {
  const a = nets.get(p.name)!.arch;
  const s = lutSums(lut, a);
  const edges = Object.values(s.edgesByClass).reduce((x: number, y: number) => x + y, 0);
  const m = /Regnet(.)-d(\d+)-w0(\d+)-wa(\d+)-wm([\d.]+)-g(\d+)(?:-b(\d))?/.exec(p.name);
  const ref = process.env.REF === "mean" && p.remeasured ? (p.measured + p.remeasured) / 2 : p.measured; const e = (x: number) => (100 * (x / ref - 1));
  return { name: p.name.replace(/^.*:/, ''), t: m?.[1], d: +m?.[2]!, w0: +m?.[3]!, g: +m?.[6]!, b: +(m?.[7] ?? 1), ms: p.measured, kept: e(p.kept), plain: e(p.plain), pw: e(p.plainWeights), ple: e(p.plainLessEdges), again: p.remeasured ? e(p.remeasured) : NaN, wMiB: s.weightBytes / 2 ** 20, edgeShare: edges / s.sumMedian };
});
rows.sort((x: any, y: any) => x.kept - y.kept);
console.log('name | ms | kept | plain | plain+W | plainLessEdges | again | W MiB | edge share');
for (const r of rows) console.log(`${r.name.padEnd(42)} ${r.ms.toFixed(2).padStart(6)} ${r.kept.toFixed(1).padStart(6)} ${r.plain.toFixed(1).padStart(6)} ${r.pw.toFixed(1).padStart(6)} ${r.ple.toFixed(1).padStart(6)} ${r.again.toFixed(1).padStart(6)} ${r.wMiB.toFixed(1).padStart(5)} ${r.edgeShare.toFixed(3)}`);
const group = (k: string) => { const by = new Map<any, any[]>(); for (const r of rows) by.set(r[k], [...(by.get(r[k]) ?? []), r]); return [...by].sort().map(([v, rs]) => `${k}=${v}: n ${rs.length}, mean kept ${(rs.reduce((s: number, r: any) => s + r.kept, 0) / rs.length).toFixed(1)}%, within ±10% ${rs.filter((r: any) => Math.abs(r.kept) <= 10).length}`).join('; '); };
for (const k of ['t', 'd', 'w0', 'g', 'b']) console.log(group(k));
const corr = (xs: number[], ys: number[]) => { const mx = xs.reduce((a, b) => a + b) / xs.length, my = ys.reduce((a, b) => a + b) / ys.length; let sxy = 0, sx = 0, sy = 0; xs.forEach((x, i) => { sxy += (x - mx) * (ys[i] - my); sx += (x - mx) ** 2; sy += (ys[i] - my) ** 2; }); return sxy / Math.sqrt(sx * sy); };
for (const k of ['ms', 'wMiB', 'edgeShare', 'd', 'w0', 'b', 'g']) console.log(`corr(kept err, ${k}) ${corr(rows.map((r: any) => r.kept), rows.map((r: any) => r[k])).toFixed(2)}`);
console.log(`kept: within ±10% ${rows.filter((r: any) => Math.abs(r.kept) <= 10).length}/${rows.length}; calibration ${JSON.stringify({ ...full.calibration, reason: undefined, context: undefined })}`);
