/**
 * Replay (measures nothing): finished `bench/onnx-fidelity.ts` runs predicted again under each input-copy rule of
 * src/onnx/feeds.ts (CopyRule: which units are counted less the copy of their input bytes), with the in-file fit made
 * again on the run's built-in nets' sums under that rule (as `nas profile --onnx` fits it, src/onnx/wall-fit.ts).
 * Prints, per run and rule, each set's files within ±10% and mean |error|, and every third-party and held-out file's
 * error, so a rule is chosen on the sets it may be chosen on and read apart on the held-out files.
 *
 *   node --import tsx bench/onnx-replay-feeds.ts --npm-dir /tmp/hd17/npm /work/quiet17/o17-wasm /tmp/hd17/fid/final-wasm
 */
import yargs from 'yargs';
import { errorPct } from '../src/core/agreement.js';
import { predictOnnx } from '../src/onnx/predict.js';
import type { CopyRule } from '../src/onnx/feeds.js';
import { builtInCalibrationPlans, WALL_CALIBRATION } from '../src/onnx/calibration-set.js';
import { fitReuseOnFiles } from '../src/onnx/in-file.js';
import { unitReuse } from '../src/onnx/reuse.js';
import type { Lut } from '../lut/format.js';
import { loadReplayRun } from './onnx-replay-run.js';

const args = await yargs(process.argv.slice(2))
  .command('$0 <dirs..>', 'replay runs')
  .positional('dirs', { type: 'string', array: true, demandOption: true })
  .option('npm-dir', { type: 'string', default: '/tmp/hd17/npm' })
  .option('rules', { type: 'string', default: 'within-l2,weighted' })
  .strict()
  .parse();
const rules = args.rules.split(',') as CopyRule[];
const fileRows = new Map<string, string[]>();
for (const dir of args.dirs as string[]) {
  const { lut, run, rule, points, plans } = await loadReplayRun(dir, args.npmDir);
  const nets = lut.inFile?.builtIn && run.wallFiles?.length ? await builtInCalibrationPlans(rule, WALL_CALIBRATION) : [];
  console.log(`\nrun ${dir} (${lut.device.device}; load ${JSON.stringify(run.load ?? {})})\n`);
  console.log('| rule | published | random | third-party | held-out | all |\n|---|---|---|---|---|---|');
  for (const copyRule of rules) {
    let l: Lut = lut;
    if (nets.length) {
      const noFit = { ...lut, inFile: undefined };
      const residuals = nets.map((p) => ({
        name: p.graph.file,
        measuredMs: run.wallFiles!.find((f) => f.name === p.graph.file)!.measuredMs,
        unitsMs: predictOnnx(noFit, p, { copyRule }).ms,
        units: unitReuse(p).map((reuse, k) => ({ reuse, weightBytes: p.units[k].weightBytes })),
      }));
      l = { ...lut, inFile: { ...fitReuseOnFiles(residuals, `replay, copy rule ${copyRule}`, { curve: 'fraction' }), builtIn: true } };
    }
    const errs = points.map((p, i) => ({ p, e: errorPct(predictOnnx(l, plans[i], { copyRule }).ms, p.measured) }));
    const cell = (set?: string) => {
      const xs = errs.filter((x) => !set || x.p.set === set);
      if (!xs.length) return '—';
      return `${xs.filter((x) => Math.abs(x.e) <= 10).length}/${xs.length} (${(xs.reduce((t, x) => t + Math.abs(x.e), 0) / xs.length).toFixed(2)}%)`;
    };
    console.log(`| ${copyRule} | ${cell('published')} | ${cell('random')} | ${cell('third-party')} | ${cell('held-out')} | ${cell()} |`);
    for (const x of errs.filter((x) => x.p.set === 'third-party' || x.p.set === 'held-out')) {
      const k = `${x.p.name} (${x.p.set})`;
      fileRows.set(k, [...(fileRows.get(k) ?? []), `${x.e >= 0 ? '+' : ''}${x.e.toFixed(1)}%`]);
    }
  }
}
console.log(`\n| file | ${(args.dirs as string[]).flatMap((d) => rules.map((r) => `${d.split('/').slice(-2).join('/')} ${r}`)).join(' | ')} |\n|---|${(args.dirs as string[]).flatMap(() => rules.map(() => '---|')).join('')}`);
for (const [k, v] of fileRows) console.log(`| ${k} | ${v.join(' | ')} |`);
