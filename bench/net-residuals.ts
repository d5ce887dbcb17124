/**
 * What a network costs beyond the LUT sum of its units, against what it is made of, replayed on a
 * bench/fidelity.ts run (nothing is measured): per network the residual (measured − plain sum) / plain sum and
 * candidate features, each summed over its LUT units: weight bytes, activation bytes, the units' own NCHWc
 * reorders at their edges (LUT ownLayout, ort-cpu), unit count; then each single feature fitted to the
 * residual through one coefficient (plus a common scale), fitted on every family but one and tested on it.
 *
 *   node --import tsx bench/net-residuals.ts LUT.json FIDELITY.json
 */
import { readFileSync } from 'node:fs';
import { errorPct } from '../src/core/agreement.js';
import { lutInstances } from '../src/core/decompose.js';
import { opKey } from '../src/core/keys.js';
import { activationBytes } from '../src/core/ops.js';
import { instanceWeightBytes } from '../src/predict/net-features.js';
import type { Lut } from '../lut/format.js';
import { fidelityNets, type FidelityDoc } from './fidelity-nets.js';

const [lutFile, jsonFile] = process.argv.slice(2);
if (!lutFile || !jsonFile) throw new Error('usage: net-residuals.ts LUT.json FIDELITY.json');
const lut: Lut = { ...JSON.parse(readFileSync(lutFile, 'utf8')), calibration: undefined };
const doc = JSON.parse(readFileSync(jsonFile, 'utf8')) as FidelityDoc;
const nets = fidelityNets(doc)
  .filter((n) => !n.set.endsWith(' in-context'))
  .map((n) => ({ ...n, family: n.set.startsWith('random ') || n.set.startsWith('calibration ') ? (n.set.split(' ')[1] ?? '').split('@')[0] : n.family }));

type Row = { name: string; family: string; ms: number; plain: number; units: number; weightMB: number; actMB: number; edgeMs: number; layoutMs: number; maxWeightMB: number };
const rows: Row[] = nets.map((n) => {
  let plain = lut.overhead.median;
  let weight = 0;
  let act = 0;
  let edge = 0;
  let layout = 0;
  let maxW = 0;
  const parts = lutInstances(n.arch);
  for (const { inst } of parts) {
    const e = lut.entries[opKey(inst)];
    plain += e.net;
    const w = instanceWeightBytes(inst);
    weight += w;
    maxW = Math.max(maxW, w);
    act += activationBytes(inst);
    edge += e.ownLayout?.edgeMs ?? 0;
    layout += e.ownLayout?.kernelMs ?? 0;
  }
  return { name: n.arch.name, family: n.family, ms: n.ms, plain, units: parts.length, weightMB: weight / 2 ** 20, actMB: act / 2 ** 20, edgeMs: edge, layoutMs: layout, maxWeightMB: maxW / 2 ** 20 };
});

const f2 = (x: number) => x.toFixed(2);
console.log(`${jsonFile}: load ${doc.load.join(' → ')}, ${doc.args.resolution} px; overhead ${lut.overhead.median.toFixed(4)} ms\n`);
console.log('| net | family | measured ms | plain ms | residual | units | weights MiB | largest unit MiB | activations MiB | edge reorders ms | all own reorders ms |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows)
  console.log(`| ${r.name.slice(0, 36)} | ${r.family} | ${r.ms.toFixed(3)} | ${r.plain.toFixed(3)} | ${errorPct(r.ms, r.plain).toFixed(1)}% | ${r.units} | ${f2(r.weightMB)} | ${f2(r.maxWeightMB)} | ${f2(r.actMB)} | ${r.edgeMs.toFixed(3)} | ${r.layoutMs.toFixed(3)} |`);

// measured ≈ s · plain + c · feature, fitted by least squares on relative residuals (rows weighted by 1/measured).
type Feature = { label: string; of: (r: Row) => number };
const FEATURES: Feature[] = [
  { label: 'none (one scale)', of: () => 0 },
  { label: 'weight MiB', of: (r) => r.weightMB },
  { label: 'edge reorders ms', of: (r) => r.edgeMs },
  { label: 'activation MiB', of: (r) => r.actMB },
  { label: 'units', of: (r) => r.units },
];
function fit(rs: Row[], feats: Feature[]): number[] {
  // Columns: plain, features...; normal equations on rows divided by measured.
  const xs = rs.map((r) => [r.plain, ...feats.map((f) => f.of(r))].map((v) => v / r.ms));
  const k = xs[0].length;
  const a = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => xs.reduce((s, x) => s + x[i] * x[j], 0) + (i === j ? 1e-12 : 0)));
  const b = Array.from({ length: k }, (_, i) => xs.reduce((s, x) => s + x[i], 0));
  for (let c = 0; c < k; c++)
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let q = c; q < k; q++) a[r][q] -= f * a[c][q];
      b[r] -= f * b[c];
    }
  return b.map((v, i) => v / a[i][i]);
}
const pred = (p: number[], r: Row, feats: Feature[]) => p[0] * r.plain + feats.reduce((s, f, i) => s + p[i + 1] * f.of(r), 0);
const families = [...new Set(rows.map((r) => r.family))];
const within = (errs: number[]) => `${((100 * errs.filter((e) => Math.abs(e) <= 10).length) / errs.length).toFixed(0)}%`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rms = (xs: number[]) => Math.sqrt(mean(xs.map((x) => x * x)));
console.log('\n| model | coefficients (all nets) | in sample: RMS, within ±10% | leave-one-family-out: RMS, within ±10% | per family mean signed (LOFO) |');
console.log('|---|---|---|---|---|');
const combos: Feature[][] = [[], ...FEATURES.slice(1).map((f) => [f]), [FEATURES[1], FEATURES[2]], [FEATURES[1], FEATURES[3]], [FEATURES[1], FEATURES[4]]];
console.log(`| plain sum | – | ${rms(rows.map((r) => errorPct(r.plain, r.ms))).toFixed(2)}%, ${within(rows.map((r) => errorPct(r.plain, r.ms)))} | | ${families.map((f) => `${f} ${mean(rows.filter((r) => r.family === f).map((r) => errorPct(r.plain, r.ms))).toFixed(1)}%`).join(', ')} |`);
for (const feats of combos) {
  const p = fit(rows, feats);
  const ins = rows.map((r) => errorPct(pred(p, r, feats), r.ms));
  const lofo = new Array<number>(rows.length);
  for (const f of families) {
    const rest = rows.filter((r) => r.family !== f);
    const q = fit(rest, feats);
    rows.forEach((r, i) => r.family === f && (lofo[i] = errorPct(pred(q, r, feats), r.ms)));
  }
  const label = feats.length ? feats.map((f) => f.label).join(' + ') : 'one scale';
  console.log(
    `| ${label} | ${p.map((v) => v.toPrecision(3)).join(', ')} | ${rms(ins).toFixed(2)}%, ${within(ins)} | ${rms(lofo).toFixed(2)}%, ${within(lofo)} | ${families.map((f) => `${f} ${mean(lofo.filter((_, i) => rows[i].family === f)).toFixed(1)}%`).join(', ')} |`,
  );
}

// Fixed corrections, nothing fitted: the units' edge reorders out, weights read from farther in (µs per MiB
// measured at kernel level by bench/in-context-kernels.ts).
const perMiB = Number(process.env.PER_MIB_MS ?? 0.026);
const fixed: [string, (r: Row) => number][] = [
  ['plain sum', (r) => r.plain],
  ['plain − edge reorders', (r) => r.plain - r.edgeMs],
  [`plain + ${(perMiB * 1000).toFixed(1)} µs/MiB weights`, (r) => r.plain + perMiB * r.weightMB],
  [`plain − edge reorders + ${(perMiB * 1000).toFixed(1)} µs/MiB weights`, (r) => r.plain - r.edgeMs + perMiB * r.weightMB],
];
console.log('\n| fixed correction | RMS | within ±10% | mean signed | per family mean signed |');
console.log('|---|---|---|---|---|');
for (const [label, of] of fixed) {
  const e = rows.map((r) => errorPct(of(r), r.ms));
  console.log(`| ${label} | ${rms(e).toFixed(2)}% | ${within(e)} | ${mean(e).toFixed(1)}% | ${families.map((f) => `${f} ${mean(e.filter((_, i) => rows[i].family === f)).toFixed(1)}%`).join(', ')} |`);
}

// One scale fitted on top of the fixed weight term (measured ≈ s · plain + perMiB · weights), leave one family out.
{
  const shifted = rows.map((r) => ({ ...r, ms: r.ms - perMiB * r.weightMB }));
  const s = (rs: Row[]) => rs.reduce((t, r) => t + (r.plain * r.ms) / (r.ms + 1e-12) ** 2, 0) / rs.reduce((t, r) => t + r.plain ** 2 / r.ms ** 2, 0);
  const lofo = rows.map((r, i) => {
    const rest = shifted.filter((x) => x.family !== r.family);
    return errorPct(s(rest) * r.plain + perMiB * r.weightMB, r.ms);
  });
  const all = s(shifted);
  console.log(`\none scale on top of ${(perMiB * 1000).toFixed(1)} µs/MiB weights: scale ${all.toFixed(3)} (all nets); leave-one-family-out RMS ${rms(lofo).toFixed(2)}%, within ±10% ${within(lofo)}, mean signed ${mean(lofo).toFixed(1)}%; ${families.map((f) => `${f} ${mean(lofo.filter((_, i) => rows[i].family === f)).toFixed(1)}%`).join(', ')}`);
}
