/**
 * Would calibration nets of the other family help? (`nas profile --calibrate-with S`: random nets of another space
 * measured with the calibration nets.) Replayed on bench/fidelity.ts runs with --other-count (nothing is measured):
 * the one-scale fit `nas profile` keeps on ort-cpu (src/predict/one-scale-fit.ts) fitted on the run's own plain
 * calibration nets alone ("own"), and on them plus the even-indexed test nets of --other-space ("mixed"); both
 * judged on the odd-indexed --other-space nets (which neither saw), the random nets of the run's space and the
 * published nets. The even/odd split is fixed before any result is looked at.
 *
 *   node --import tsx bench/calibration-mixed.ts RUN/fidelity-….json …
 *
 * The measured weight cost is the run's own, read from its "plain sum + measured weight cost" points.
 */
import { agreement, errorPct } from '../src/core/agreement.js';
import { lutSums, type MeasuredNet } from '../src/predict/calibrate.js';
import { fitOneScale } from '../src/predict/one-scale-fit.js';
import { predict } from '../src/predict/predictor.js';
import { fidelityNets, readFidelityRun } from './fidelity-nets.js';
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
if (!files.length) throw new Error('usage: calibration-mixed.ts FIDELITY.json …');
const within = (xs: number[]) => (xs.length ? (100 * xs.filter((x) => Math.abs(x) <= 10).length) / xs.length : NaN);
const totals = new Map<string, number[][]>();
console.log('| run | rule | scale, C | own random | published | other (odd) | all, τ |');
console.log('|---|---|---|---|---|---|---|');
for (const file of files) {
  const { lut, doc } = readFidelityRun(file);
  const points = (JSON.parse(readFileSync(file, 'utf8')) as { points: { name: string; plain: number; plainWeights: number }[] }).points;
  const nets = fidelityNets(doc);
  const space = (doc.args as { space?: string }).space ?? 'mbv2';
  const own = nets.filter((n) => n.set === `calibration ${space}@${doc.args.resolution}`);
  const other = nets.filter((n) => n.set.startsWith(`random ${doc.args.otherSpace}@`));
  const random = nets.filter((n) => n.set.startsWith(`random ${space}@`));
  const published = nets.filter((n) => n.set === 'published');
  // The run's measured weight cost per byte, from a point with weights.
  const byName = new Map(nets.map((n) => [n.arch.name, n]));
  const w = points
    .map((p) => ({ p, n: byName.get(p.name) }))
    .filter(({ p, n }) => n && p.plainWeights > p.plain)
    .map(({ p, n }) => (p.plainWeights - p.plain) / lutSums(lut, n!.arch).weightBytes)[0];
  if (!w || own.length < 3 || other.length < 4) {
    console.log(`| ${file} | – (weight cost ${w}, ${own.length} own calibration nets, ${other.length} other nets) | | | | | |`);
    continue;
  }
  const even = other.filter((_, i) => i % 2 === 0);
  const odd = other.filter((_, i) => i % 2 === 1);
  const run = file.split('/').slice(-3, -1).join('/');
  for (const [rule, fitOn] of [
    ['own', own],
    ['mixed', [...own, ...even]],
  ] as [string, MeasuredNet[]][]) {
    const fit = fitOneScale(lut, fitOn, w, rule);
    const l = { ...lut, calibration: fit.calibration };
    const errs = (ns: typeof nets) => ns.map((n) => errorPct(predict(l, n.arch, { breakdown: false }).ms, n.ms));
    const judged = [...random, ...published, ...odd];
    const tau = agreement(judged.map((n) => predict(l, n.arch, { breakdown: false }).ms), judged.map((n) => n.ms)).kendallTau;
    const row = [within(errs(random)), within(errs(published)), within(errs(odd)), within(errs(judged)), tau];
    totals.set(rule, [...(totals.get(rule) ?? []), row]);
    console.log(`| ${run} | ${rule} | ${fit.calibration.scale!.toFixed(3)}, ${fit.cacheMiB} MiB | ${row[0].toFixed(1)}% | ${row[1].toFixed(1)}% | ${row[2].toFixed(1)}% of ${odd.length} | ${row[3].toFixed(1)}%, ${tau.toFixed(3)} |`);
  }
}
console.log('\n| rule | runs | own random | published | other (odd) | all | τ |\n|---|---|---|---|---|---|---|');
for (const [rule, rows] of totals) {
  const mean = (k: number) => rows.reduce((s, r) => s + r[k], 0) / rows.length;
  console.log(`| ${rule} | ${rows.length} | ${mean(0).toFixed(1)}% | ${mean(1).toFixed(1)}% | ${mean(2).toFixed(1)}% | ${mean(3).toFixed(1)}% | ${mean(4).toFixed(3)} |`);
}
