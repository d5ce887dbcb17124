/**
 * Per family, how the plain LUT sum and the calibrations predict a fidelity run's nets, replayed on its
 * measurements (nothing is measured): the plain sum; the fit `nas profile` makes on random mbv2 nets (here
 * the run's random mbv2 test nets, leave-one-out); and leave-one-family-out proper, each family predicted by a
 * fit on every other family of the run (fitCalibration with the families: its model chosen leave-one-family-
 * out as well). The second measurement against the first is the floor under any of them.
 *
 *   node --import tsx bench/calibration-families.ts LUT.json FIDELITY.json [WEIGHT-COST]
 *
 * LUT.json and FIDELITY.json are what bench/fidelity.ts wrote (fidelity-<tag>.lut.json and .json). WEIGHT-COST:
 * the per-MiB cost of weights inside a network measured at kernel level, as µs per MiB or the JSON that
 * bench/in-context-kernels.ts --json wrote (its fit); every fit may then use it (CalibrationOptions).
 */
import { readFileSync } from 'node:fs';
import { errorPct } from '../src/core/agreement.js';
import { archMetrics } from '../src/core/arch-metrics.js';
import { lutInstances } from '../src/core/decompose.js';
import { fitCalibration } from '../src/predict/calibrate.js';
import { predict } from '../src/predict/predictor.js';
import type { LutCalibration } from '../lut/format.js';
import { fidelityNets, readFidelityRun, type FidelityNet } from './fidelity-nets.js';

const [lutFile, jsonFile, weightArg] = process.argv.slice(2);
if (!lutFile || !jsonFile) throw new Error('usage: calibration-families.ts LUT.json FIDELITY.json');
const perWeightByteMs =
  weightArg === undefined ? undefined : /^[0-9.]+$/.test(weightArg) ? Number(weightArg) / 1000 / 2 ** 20 : (JSON.parse(readFileSync(weightArg, 'utf8')) as { fit: { perWeightByteMs: number } }).fit.perWeightByteMs;
const opts = perWeightByteMs === undefined ? {} : { perWeightByteMs };
if (perWeightByteMs !== undefined) console.log(`measured weight cost: ${(perWeightByteMs * 2 ** 20 * 1000).toFixed(1)} µs per MiB`);
const { lut, doc } = readFidelityRun(jsonFile, lutFile);
// Random nets count as their space (mbv2, regnet, …), published ones as their family; the calibration nets
// (where the run saved them) as mbv2 too, their in-context variants left out (a family of their own bases).
const nets = fidelityNets(doc)
  .filter((n) => !n.set.endsWith(' in-context'))
  .map((n) => ({ ...n, family: n.set.startsWith('random ') || n.set.startsWith('calibration ') ? (n.set.split(' ')[1] ?? '').split('@')[0] : n.family }));
const families = [...new Set(nets.map((n) => n.family))];
const ms = (c: LutCalibration | undefined, n: FidelityNet) => predict({ ...lut, calibration: c }, n.arch, { breakdown: false }).ms;
const describe = (c: LutCalibration) =>
  `base ${c.baseMs.toFixed(4)} ms, per op ${c.perOpMs.toFixed(4)} ms, per MB ${(c.perByteMs * 1e6).toFixed(4)} ms, per MB of weights ${((c.perWeightByteMs ?? 0) * 1e6).toFixed(4)} ms, scale ${(c.scale ?? 1).toFixed(3)}${c.classScales ? ` (per class ${Object.entries(c.classScales).map(([k, v]) => `${k || 'plain'} ${v.toFixed(3)}`).join(', ')})` : ''}, held-out RMS ${c.heldOut?.rmsErrorPct.toFixed(1)}% (${c.heldOut?.method}) against the plain sum's ${c.plainRmsErrorPct?.toFixed(1)}%`;

const mbv2 = nets.filter((n) => n.family === 'mbv2');
const mbv2Fit = mbv2.length >= 3 ? fitCalibration(lut, mbv2, 'mbv2 test nets', opts) : undefined;
if (mbv2Fit) console.log(`fit on the ${mbv2.length} random mbv2 nets: ${describe(mbv2Fit)}`);
// Leave one family out: every other family's nets fit (their model chosen leave-one-family-out too), this family is predicted.
const lofo = new Map<string, LutCalibration>();
for (const f of families) {
  const rest = nets.filter((n) => n.family !== f);
  if (rest.length < 3) continue;
  const c = fitCalibration(lut, rest, `all but ${f}`, opts);
  lofo.set(f, c);
  console.log(`fit without ${f} (${rest.length} nets): ${describe(c)}`);
}

type Row = { n: FidelityNet; plain: number; mbv2: number | undefined; lofo: number | undefined; self: number | undefined; ops: number; params: number; macs: number };
const rows: Row[] = nets.map((n) => ({
  n,
  plain: errorPct(ms(undefined, n), n.ms),
  // The mbv2 nets' own figure under the mbv2 fit is in sample: shown, but read it as such.
  mbv2: mbv2Fit && errorPct(ms(mbv2Fit, n), n.ms),
  lofo: lofo.has(n.family) ? errorPct(ms(lofo.get(n.family), n), n.ms) : undefined,
  self: n.remeasured === undefined ? undefined : errorPct(n.remeasured, n.ms),
  ops: lutInstances(n.arch).length,
  params: archMetrics(n.arch).params,
  macs: archMetrics(n.arch).macs,
}));
const within = (xs: (number | undefined)[]) => (xs.every((x) => x !== undefined) ? `${((100 * xs.filter((x) => Math.abs(x!) <= 10).length) / xs.length).toFixed(0)}%` : '–');
const meanOf = (xs: (number | undefined)[]) => (xs.every((x) => x !== undefined) ? `${(xs.reduce((s, x) => s + x!, 0) / xs.length).toFixed(1)}%` : '–');
console.log(`\n${lutFile}: load ${doc.load.join(' → ')}, ${doc.args.resolution} px, threads ${doc.args.threads ?? 'default'}\n`);
console.log('| family | nets | plain sum: mean signed, within ±10% | mbv2 fit | leave-one-family-out fit | second measurement vs first |');
console.log('|---|---|---|---|---|---|');
for (const f of [...families, 'all']) {
  const rs = rows.filter((r) => f === 'all' || r.n.family === f);
  const cell = (of: (r: Row) => number | undefined) => `${meanOf(rs.map(of))}, ${within(rs.map(of))}`;
  console.log(`| ${f} | ${rs.length} | ${cell((r) => r.plain)} | ${cell((r) => r.mbv2)} | ${cell((r) => r.lofo)} | ${cell((r) => r.self)} |`);
}
console.log('\n| net | ops | params M | MACs M | measured ms | plain sum | mbv2 fit | leave-one-family-out | second measurement |');
console.log('|---|---|---|---|---|---|---|---|---|');
const f1 = (x: number | undefined) => (x === undefined ? '–' : `${x.toFixed(1)}%`);
for (const r of rows) console.log(`| ${r.n.arch.name.slice(0, 40)} | ${r.ops} | ${(r.params / 1e6).toFixed(2)} | ${(r.macs / 1e6).toFixed(0)} | ${r.n.ms.toFixed(3)} | ${f1(r.plain)} | ${f1(r.mbv2)} | ${f1(r.lofo)} | ${f1(r.self)} |`);
