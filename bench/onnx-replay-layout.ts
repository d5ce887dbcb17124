/**
 * Replays a finished ort-cpu `bench/onnx-fidelity.ts` run (its LUT and whole-file measurements, nothing timed
 * again) with every ReorderInput layout entry replaced by the ReorderOutput entry of the same plain shape: what
 * the layout-corrected prediction would have been had the ReorderInput models not copied their blocked output
 * out every run (fixed in src/onnx/layout.ts; the two kernels move the same bytes, and timed without the copy
 * they agree to a median ratio of 1.02, docs/benchmarks.md "Issue 17, fifth pass"). A proxy, not a
 * measurement: entries without a same-shape ReorderOutput keep their figure.
 *
 *   node --import tsx bench/onnx-replay-layout.ts /work/quiet4/o17-cpu-fix [--npm-dir /tmp/x17/npm]
 */
import yargs from 'yargs';
import { errorPct } from '../src/core/agreement.js';
import { predictOnnx } from '../src/onnx/predict.js';
import { loadReplayRun } from './onnx-replay-run.js';

const args = await yargs(process.argv.slice(2))
  .command('$0 <dir>', 'replay one run')
  .positional('dir', { type: 'string', demandOption: true })
  .option('npm-dir', { type: 'string', default: '/tmp/x17/npm' })
  .strict()
  .parse();
const { lut, points, plans } = await loadReplayRun(args.dir as string, args.npmDir, 'cpu');
const isInput = (k: string) => k.includes('.ReorderInput:');
// The run's own prediction, as it was made (its ReorderInput entries counted, whatever they record).
const asRun = structuredClone(lut);
for (const [k, e] of Object.entries(asRun.entries)) if (isInput(k) && e.unit) e.unit.outputs = [[1]];
const replayed = structuredClone(asRun);
const outputNet = new Map(Object.entries(lut.entries).filter(([k]) => k.includes('.ReorderOutput:')).map(([k, e]) => [k.split(':')[2], e.net]));
let replaced = 0;
for (const [k, e] of Object.entries(replayed.entries)) {
  const v = isInput(k) ? outputNet.get(k.split(':')[2]) : undefined;
  if (v !== undefined) (e.net = v), replaced++;
}
const lines = [`${replaced} ReorderInput entries replaced by their same-shape ReorderOutput (${Object.keys(lut.entries).filter(isInput).length} in all)`, '', '| file | measured ms | layout-corrected as run | error | replayed | error |', '|---|---|---|---|---|---|'];
const within = { run: 0, replay: 0, n: 0 };
for (const [i, p] of points.entries()) {
  const plan = plans[i];
  const a = predictOnnx(asRun, plan).ms;
  const b = predictOnnx(replayed, plan).ms;
  within.n++;
  if (Math.abs(errorPct(a, p.measured)) <= 10) within.run++;
  if (Math.abs(errorPct(b, p.measured)) <= 10) within.replay++;
  lines.push(`| ${p.name} | ${p.measured.toFixed(3)} | ${a.toFixed(3)} | ${errorPct(a, p.measured).toFixed(1)}% | ${b.toFixed(3)} | ${errorPct(b, p.measured).toFixed(1)}% |`);
}
lines.push('', `within ±10%: as run ${within.run}/${within.n}, replayed ${within.replay}/${within.n}`);
console.log(lines.join('\n'));
