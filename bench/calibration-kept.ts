/**
 * What `nas profile --calibrate` keeps (src/predict/context-fit.ts chooseContextFit: the context fit, the fit on the
 * plain random nets, or neither), replayed on a bench/fidelity.ts run's saved calibration nets and in-context
 * variants, and how it predicts the run's test nets per set (nothing is measured). With a measured weight cost
 * (µs per MiB, as `nas profile` prints it on ort-cpu) the fits may take it (CalibrationOptions.perWeightByteMs).
 *
 *   node --import tsx bench/calibration-kept.ts LUT.json FIDELITY.json [WEIGHT-COST-µs-per-MiB]
 */
import { readFileSync } from 'node:fs';
import { errorPct } from '../src/core/agreement.js';
import { chooseContextFit } from '../src/predict/context-fit.js';
import { predict } from '../src/predict/predictor.js';
import type { Lut } from '../lut/format.js';
import { fidelityNets, type FidelityDoc } from './fidelity-nets.js';

const [lutFile, jsonFile, weightArg] = process.argv.slice(2);
if (!lutFile || !jsonFile) throw new Error('usage: calibration-kept.ts LUT.json FIDELITY.json [WEIGHT-COST-µs-per-MiB]');
const lut: Lut = { ...JSON.parse(readFileSync(lutFile, 'utf8')), calibration: undefined };
const nets = fidelityNets(JSON.parse(readFileSync(jsonFile, 'utf8')) as FidelityDoc);
const variants = nets.filter((n) => n.set.endsWith(' in-context'));
const cal = nets.filter((n) => n.set.startsWith('calibration ') && !n.set.endsWith(' in-context'));
const tests = nets.filter((n) => !n.set.startsWith('calibration ') && !n.set.endsWith(' in-context'));
if (!cal.length) throw new Error(`${jsonFile} saved no calibration nets (bench/fidelity.ts --calibrate N writes them)`);
const classes = [...new Set(variants.map((v) => v.arch.name.split('~')[1]).filter((c): c is string => !!c))];
const within = (xs: number[]) => `${((100 * xs.filter((x) => Math.abs(x) <= 10).length) / xs.length).toFixed(1)}%`;

for (const perWeightByteMs of [0, ...(weightArg ? [Number(weightArg) / 1000 / 2 ** 20] : [])]) {
  const opts = perWeightByteMs > 0 ? { perWeightByteMs } : {};
  // As nas profile hands them: architecture and time only (a family would change how the fits are checked).
  const { calibration: c } = chooseContextFit(lut, cal.map(({ arch, ms }) => ({ arch, ms })), variants.map(({ arch, ms }) => ({ arch, ms })), classes, 'replay', opts);
  const bySet = new Map<string, number[]>();
  for (const t of tests) bySet.set(t.set, [...(bySet.get(t.set) ?? []), errorPct(predict({ ...lut, calibration: c }, t.arch, { breakdown: false }).ms, t.ms)]);
  const kept = c ? `${c.context?.kept ?? 'fit'}, scale ${(c.scale ?? 1).toFixed(3)}, weights ${((c.perWeightByteMs ?? 0) * 2 ** 20 * 1000).toFixed(1)} µs/MiB` : 'plain sum';
  console.log(
    `weight cost offered ${(perWeightByteMs * 2 ** 20 * 1000).toFixed(1)} µs/MiB → kept ${kept} | ${[...bySet].map(([k, v]) => `${k} ${within(v)}`).join(', ')} | all ${within([...bySet.values()].flat())} ` +
      `(${cal.length} calibration nets, ${variants.length} variants, ${tests.length} test nets)`,
  );
}
