/**
 * Which calibration `nas profile` would keep, checked on networks a fidelity run already measured (no new
 * measurement): the plain-net fit is fitted on a calibration set taken from the run's test nets, judged out
 * of sample (src/predict/calibrate.ts: leave-one-out over one family, leave-one-family-out over several)
 * and kept or refused; then every fit, the plain sum and the decision are scored on the nets left out.
 * The rule of before (keep a fit that fits its own nets better than the plain sum) is printed beside it.
 *
 *   node --import tsx bench/calibration-selection.ts LUT.json FIDELITY.json
 *
 * LUT.json and FIDELITY.json are what bench/fidelity.ts wrote (fidelity-<tag>.lut.json and .json); the nets
 * are rebuilt from that run's arguments (random mbv2 and --other-space nets from --seed, the published nets)
 * and matched to its points by name. Scenarios: calibration on the first half of the random mbv2 nets (one
 * family), plus the other space's nets (two families), plus every third published net (several families).
 */
import type { Architecture } from '../src/core/arch.js';
import { agreement } from '../src/core/agreement.js';
import { calibrationHelps, fitCalibration } from '../src/predict/calibrate.js';
import { predict } from '../src/predict/predictor.js';
import { fidelityNets, readFidelityRun, type FidelityNet } from './fidelity-nets.js';

const [lutFile, jsonFile] = process.argv.slice(2);
if (!lutFile || !jsonFile) throw new Error('usage: calibration-selection.ts LUT.json FIDELITY.json');
const { lut, doc } = readFidelityRun(jsonFile, lutFile);
const { resolution, otherSpace } = doc.args;
type Net = FidelityNet;
// The test nets only (as before the calibration nets' times were saved).
const all: Net[] = fidelityNets(doc).filter((n) => !n.set.startsWith('calibration '));
const random = all.filter((n) => n.set.startsWith('random mbv2'));
const published = all.filter((n) => n.set === 'published');
const others = all.filter((n) => n.set.startsWith(`random ${otherSpace}`));
const half = random.slice(0, Math.floor(random.length / 2));
const scenarios: [string, Net[]][] = [
  [`${half.length} random mbv2`, half],
  [`${half.length} random mbv2 + ${others.length} ${otherSpace}`, [...half, ...others]],
  [`${half.length} random mbv2 + ${others.length} ${otherSpace} + ${published.filter((_, i) => i % 3 === 0).length} published`, [...half, ...others, ...published.filter((_, i) => i % 3 === 0)]],
];

const pct = (x: number) => `${x.toFixed(1)}%`;
const plainMs = (arch: Architecture) => predict(lut, arch, { breakdown: false }).ms;
console.log(`fidelity run ${jsonFile}: ${resolution} px, load average at its start and end ${doc.load.join(' / ')}`);
console.log('| calibration nets | held-out check | fit (base ms, per op ms, scale) | fit RMS on own nets / plain sum | held-out RMS / plain sum | rule of before | kept now | nets left out | within ±10%: plain sum / fit / kept | mean abs err: plain / fit / kept |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const [label, cal] of scenarios) {
  const c = fitCalibration(lut, cal, label);
  const rest = all.filter((n) => !cal.includes(n));
  const keep = calibrationHelps(c);
  const fitMs = (arch: Architecture) => predict({ ...lut, calibration: c }, arch, { breakdown: false }).ms;
  const measured = rest.map((n) => n.ms);
  const plain = agreement(rest.map((n) => plainMs(n.arch)), measured);
  const fitted = agreement(rest.map((n) => fitMs(n.arch)), measured);
  const kept = keep ? fitted : plain;
  const h = c.heldOut!;
  console.log(
    `| ${label} | ${h.method} (${Object.keys(h.families).length} families) | ${c.baseMs.toFixed(3)}, ${c.perOpMs.toFixed(4)}, ${(c.scale ?? 1).toFixed(3)} | ${pct(c.rmsErrorPct)} / ${pct(c.plainRmsErrorPct!)} | ` +
      `${pct(h.rmsErrorPct)} / ${pct(c.plainRmsErrorPct!)} | ${c.rmsErrorPct < c.plainRmsErrorPct! ? 'fit' : 'plain sum'} | ${keep ? 'fit' : 'plain sum'} | ${rest.length} | ` +
      `${pct(plain.within10)} / ${pct(fitted.within10)} / ${pct(kept.within10)} | ${pct(plain.meanAbsErrorPct)} / ${pct(fitted.meanAbsErrorPct)} / ${pct(kept.meanAbsErrorPct)} |`,
  );
}
