/**
 * Refits the LUT calibration on networks a fidelity run already measured: the first --fit of its random
 * nets, then predicts the others (held out), calibrated and plain. For comparing calibration models on
 * the same measurements without measuring again.
 *
 *   node --import tsx bench/refit-calibration.ts LUT.json FIDELITY.json COUNT PUBLISHED RESOLUTION [FIT]
 *
 * LUT.json and FIDELITY.json are what bench/fidelity.ts wrote (out/bench/fidelity-<tag>.lut.json and .json),
 * COUNT, PUBLISHED (true|false) and RESOLUTION the --count, --published and --resolution of that run (its
 * nets are rebuilt from seed 0 in the same order and checked by name).
 */
import { readFileSync } from 'node:fs';
import { agreement } from '../src/core/agreement.js';
import { Rng } from '../src/core/rng.js';
import { fitCalibration } from '../src/predict/calibrate.js';
import { predict } from '../src/predict/predictor.js';
import { createSpace } from '../src/spaces/registry.js';
import { loadPublishedNets } from '../src/spaces/published.js';
const [lutFile, jsonFile, countS, pubS, resS = '128', fitS = '20'] = process.argv.slice(2);
const resolution = Number(resS);
const fit = Number(fitS);
const lut = { ...JSON.parse(readFileSync(lutFile, 'utf8')), calibration: undefined };
const doc = JSON.parse(readFileSync(jsonFile, 'utf8'));
const space = createSpace('mbv2', { resolution });
const rng = new Rng(0);
const archs = Array.from({ length: Number(countS) }, () => space.build(space.sample(rng)));
if (pubS === 'true') archs.push(...loadPublishedNets({ resolution }).nets);
const pts = doc.points;
const m = archs.map((a, i) => { if (pts[i].name !== a.name) throw new Error('order'); return { arch: a, ms: pts[i].measured }; });
const cal = fitCalibration(lut, m.slice(0, fit), 'refit');
console.log(JSON.stringify({ base: cal.baseMs, perOp: cal.perOpMs, perByte: cal.perByteMs, scale: cal.scale, rms: cal.rmsErrorPct, plainRms: cal.plainRmsErrorPct }));
const test = m.slice(fit);
const a = agreement(test.map((x) => predict({ ...lut, calibration: cal }, x.arch).ms), test.map((x) => x.ms));
const p = agreement(test.map((x) => predict(lut, x.arch).ms), test.map((x) => x.ms));
console.log(`held-out ${test.length}: calibrated within10 ${a.within10.toFixed(1)}% within5 ${a.within5.toFixed(1)}% tau ${a.kendallTau.toFixed(3)} | plain within10 ${p.within10.toFixed(1)}% tau ${p.kendallTau.toFixed(3)}`);
