/**
 * What `nas profile --calibrate` keeps (src/predict/context-fit.ts keepCalibration) on a bench/fidelity.ts run's
 * saved calibration nets, with no weight cost (what a LUT without one keeps: wasm before issue 13's thirteenth
 * session, ort-cpu at default threads) and with each weight cost given (µs per MiB: the one-scale fit), and how each
 * predicts the run's test nets per set. Nothing is measured; the run's own measured cost, where it has one, is read
 * from its "plain sum + measured weight cost" points and added to the list.
 *
 *   W=0,30,45,60 node --import tsx bench/weight-cost-replay.ts RUN/fidelity-….json …
 */
import { agreement, errorPct } from '../src/core/agreement.js';
import { keepCalibration } from '../src/predict/context-fit.js';
import { lutSums } from '../src/predict/calibrate.js';
import { predict } from '../src/predict/predictor.js';
import { fidelityNets, readFidelityRun } from './fidelity-nets.js';

const MiB = 2 ** 20;
const given = (process.env.W ?? '0,30,45,60').split(',').map(Number);
const files = process.argv.slice(2);
if (!files.length) throw new Error('usage: W=0,30,45 weight-cost-replay.ts FIDELITY.json …');
for (const f of files) {
  const { lut, doc } = readFidelityRun(f);
  const nets = fidelityNets(doc);
  const cal = nets.filter((n) => n.set.startsWith('calibration ') && !n.set.endsWith(' in-context') && !n.set.endsWith(' size'));
  const variants = nets.filter((n) => n.set.endsWith(' in-context'));
  const tests = nets.filter((n) => !n.set.startsWith('calibration '));
  if (!cal.length) throw new Error(`${f} saved no calibration nets (bench/fidelity.ts --calibrate N writes them)`);
  // The run's own measured cost: a "plain sum + measured weight cost" point against its weight bytes.
  const p = (doc.points as { name: string; plain?: number; plainWeights?: number }[]).find((x) => x.plainWeights !== undefined && x.plain !== undefined);
  const ownW = p ? ((p.plainWeights! - p.plain!) / lutSums(lut, tests.find((t) => t.arch.name === p.name)!.arch).weightBytes) * MiB * 1000 : 0;
  // A run without one records its plain sum there too.
  const own = ownW > 1e-6 ? ownW : undefined;
  for (const w of own === undefined ? given : [...given, own]) {
    const opts = w > 0 ? { perWeightByteMs: w / 1000 / MiB } : {};
    const { calibration: c } = keepCalibration(lut, cal.map(({ arch, ms }) => ({ arch, ms })), variants.map(({ arch, ms }) => ({ arch, ms })), [], 'replay', opts);
    const pred = tests.map((t) => predict({ ...lut, calibration: c }, t.arch, { breakdown: false }).ms);
    const by = new Map<string, number[]>();
    tests.forEach((t, i) => by.set(t.set.replace(/@.*/, ''), [...(by.get(t.set.replace(/@.*/, '')) ?? []), errorPct(pred[i], t.ms)]));
    const cells = [...by].map(([s, e]) => `${s} ${e.filter((x) => Math.abs(x) <= 10).length}/${e.length} (max ${Math.max(...e.map(Math.abs)).toFixed(1)}%)`).join(', ');
    const kept = !c ? 'plain sum' : c.perWeightByteMs ? `one scale ${c.scale!.toFixed(3)}, weights beyond ${((c.weightCacheBytes ?? 0) / MiB).toFixed(0)} MiB` : `plain-net fit, scale ${(c.scale ?? 1).toFixed(3)}`;
    console.log(`${f.split('/').slice(-3, -1).join('/')} W ${w.toFixed(1)}${w === own ? ' (the run\'s own)' : ''}: ${cells}; τ ${agreement(pred, tests.map((t) => t.ms)).kendallTau.toFixed(3)}; kept ${kept}`);
  }
}
