/**
 * Replays a finished `bench/onnx-fidelity.ts` run (its LUT and its whole-file measurements; no file or unit is
 * timed again) with each prediction variant `nas predict --onnx` can make from that LUT, and with an in-file
 * fit (src/onnx/in-file.ts, the reuse model) measured now with the runtime's profiler: on the built-in
 * calibration nets (what `nas profile --onnx --in-file built-in` stores) and, with --random, on the run's random
 * nets. It separates what the prediction method does from what the machine did between the LUT and the files:
 * every variant is read against the same measurements, and the run's own self-agreement (its files measured
 * twice) is printed beside them.
 *
 *   node --import tsx bench/onnx-replay-fit.ts /work/quiet9/o17-cpu [--npm-dir /tmp/x17/npm] [--random]
 *
 * Variants: plain (units with the reorders their one-unit models ran), layout-corrected (ort-cpu: each unit
 * without its own NCHWc reorders, the file's added), and each of those plus the fit. The fit is measured at
 * this machine's load now (printed), not at the run's.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { agreement, errorPct } from '../src/core/agreement.js';
import type { InFileCorrection, Lut } from '../lut/format.js';
import { predictOnnx } from '../src/onnx/predict.js';
import { measureInFile } from '../src/onnx/in-file-profile.js';
import { builtInCalibrationPlans } from '../src/onnx/calibration-set.js';
import { fitReuse, fitReuseOnFiles, type FileResidual, type MissCurve } from '../src/onnx/in-file.js';
import { unitReuse } from '../src/onnx/reuse.js';
import { everyNetPlan, loadReplayRun } from './onnx-replay-run.js';

const args = await yargs(process.argv.slice(2))
  .command('$0 <dir>', 'replay one run')
  .positional('dir', { type: 'string', demandOption: true })
  .option('npm-dir', { type: 'string', default: '/tmp/x17/npm' })
  .option('random', { type: 'boolean', default: false, describe: "also fit on the run's random nets (profiles them: slower)" })
  .option('out', { type: 'string', default: 'out/bench/onnx-replay-fit.json' })
  .option('fit', { type: 'string', describe: 'a JSON file holding an in-file correction to use instead of measuring the built-in fit now' })
  .option('wall-subsets', {
    type: 'boolean',
    default: false,
    describe: "only the run's own built-in wall fit (its nets' measurements, `wallFiles`), fitted again on every subset of the built-in nets that leaves one or two out and on each --subset: how many of the run's files each puts within ±10%, and how many units each subset's nets hold (what profiling them costs); nothing is measured",
  })
  .option('one-round', {
    type: 'boolean',
    default: false,
    describe: "with --wall-subsets: the built-in nets' units that no file of the run has taken at their first round only (a unit timed once instead of 3–5 times), the nets' units' sums recomputed with them",
  })
  .option('three-rounds', {
    type: 'boolean',
    default: false,
    describe: "with --wall-subsets: the built-in nets' units that no file of the run has combined from their first 3 rounds only (no extra rounds for a spread; the run's estimator, min or median)",
  })
  .option('subset', { type: 'string', array: true, default: [] as string[], describe: 'with --wall-subsets: a subset of the built-in nets to fit on, comma-separated name endings (e.g. mbv2@64#min,mbv2@64#max)' })
  .strict()
  .parse();
const dir = args.dir as string;
const { lut, lutFile, run, runtime, rule, points, plans } = await loadReplayRun(dir, args.npmDir);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

if (args.wallSubsets) {
  await wallSubsets();
  process.exit(0);
}

const load0 = loadavg();
const t0 = Date.now();
// The built-in calibration nets' samples (and the random nets', with --random), each fitted with both miss curves.
const measured = args.fit ? undefined : await measureInFile(await builtInCalibrationPlans(rule), runtime, { model: 'reuse', builtIn: true });
const builtIn: InFileCorrection = args.fit ? (JSON.parse(readFileSync(args.fit, 'utf8')) as InFileCorrection) : measured!.correction;
const builtInFraction = measured ? { ...fitReuse(measured.samples, builtIn.fittedOn, builtIn.source, { curve: 'fraction' }), builtIn: true } : undefined;
const fitSeconds = (Date.now() - t0) / 1000;
const randomPlans = plans.filter((_, i) => points[i].set === 'random');
const random = args.random && randomPlans.length ? await measureInFile(randomPlans, runtime) : undefined;
const onRandom = random?.correction;
const onRandomFraction = random ? fitReuse(random.samples, random.correction.fittedOn, random.correction.source, { curve: 'fraction' }) : undefined;
const load1 = loadavg();

// The LUT without its own fit, and with its units' reorder records dropped (the plain sum).
const base: Lut = { ...lut, inFile: undefined };
const plain: Lut = { ...base, entries: Object.fromEntries(Object.entries(lut.entries).map(([k, e]) => [k, e.unit ? { ...e, unit: { ...e.unit, layout: undefined } } : e])) };
const fixed = rule.nchwc ? 'layout-corrected' : 'plain';
const variants: { name: string; lut: Lut }[] = [
  { name: 'plain', lut: plain },
  ...(rule.nchwc ? [{ name: 'layout-corrected', lut: base }] : []),
  { name: `${fixed} + built-in fit (${builtIn.clock === 'wall' ? 'wall, ' : ''}${builtIn.curve ?? 'step'})`, lut: { ...base, inFile: builtIn } },
  ...(builtInFraction ? [{ name: `${fixed} + built-in fit (fraction)`, lut: { ...base, inFile: builtInFraction } }] : []),
  ...(rule.nchwc && builtInFraction ? [{ name: 'plain + built-in fit (fraction)', lut: { ...plain, inFile: builtInFraction } }] : []),
  ...(onRandom ? [{ name: `${fixed} + fit on random (step)`, lut: { ...base, inFile: onRandom } }] : []),
  ...(onRandomFraction ? [{ name: `${fixed} + fit on random (fraction)`, lut: { ...base, inFile: onRandomFraction } }] : []),
];
// The reuse model fitted at wall clock on the run's own random nets (their measurements against their units'
// sum from this LUT): a random net is predicted with the fit on the other random nets (leave-one-out), every
// other file with the fit on all of them, held out.
const residual = (i: number): FileResidual => ({ name: points[i].name, measuredMs: points[i].measured, unitsMs: predictOnnx(base, plans[i]).ms, units: unitReuse(plans[i]).map((reuse, k) => ({ reuse, weightBytes: plans[i].units[k].weightBytes })) });
const randomIdx = points.flatMap((p, i) => (p.set === 'random' ? [i] : []));
const wallFits: Partial<Record<MissCurve, InFileCorrection>> = {};
const wallPredicted = (['fraction', 'step'] as const).flatMap((curve) => {
  if (randomIdx.length < 3) return [];
  const all = fitReuseOnFiles(randomIdx.map(residual), 'wall clock of the run', { curve });
  wallFits[curve] = all;
  const pred = plans.map((plan, i) => {
    const fit = points[i].set === 'random' ? fitReuseOnFiles(randomIdx.filter((j) => j !== i).map(residual), 'leave-one-out', { curve }) : all;
    return predictOnnx({ ...base, inFile: fit }, plan).ms;
  });
  return [{ name: `${fixed} + wall fit on random (${curve})`, pred }];
});
const sets = [...new Set(points.map((p) => p.set))];
const predicted = [...variants.map((v) => plans.map((plan) => predictOnnx(v.lut, plan).ms)), ...wallPredicted.map((w) => w.pred)];
variants.push(...wallPredicted.map((w) => ({ name: w.name, lut: base })));
const share = (idx: number[], pred: number[]) => {
  const a = agreement(idx.map((i) => pred[i]), idx.map((i) => points[i].measured));
  return `${a.within10.toFixed(1)}% (${a.meanAbsErrorPct.toFixed(2)}%)`;
};
const selfShare = (idx: number[]) => (points.every((p) => p.selfPct !== undefined) ? `${((100 * idx.filter((i) => Math.abs(points[i].selfPct!) <= 10).length) / idx.length).toFixed(1)}%` : '—');
const groups = [...sets.map((s) => ({ name: s, idx: points.flatMap((p, i) => (p.set === s ? [i] : [])) })), { name: 'all', idx: points.map((_, i) => i) }];
const fitText = (c: InFileCorrection) => `cacheBytes ${((c.cacheBytes ?? 0) / 2 ** 20).toFixed(2)} MiB, ${((c.perMissedByteMs ?? 0) * 2 ** 20 * 1000).toFixed(2)} µs per MiB missed, rms ${(c.rmsMs * 1000).toFixed(2)} µs over ${c.samples} samples; ${c.source}`;
const lines = [
  `run ${dir} (${lut.device.device}, LUT ${lutFile}); fit measured now: load ${load0} → ${load1}, ${fitSeconds.toFixed(1)} s`,
  `built-in fit (${builtIn.clock === 'wall' ? 'wall, ' : ''}${builtIn.curve ?? 'step'}): ${fitText(builtIn)}`,
  ...(builtInFraction ? [`built-in fit (fraction): ${fitText(builtInFraction)}`] : []),
  ...(onRandom ? [`fit on the run's random nets (step): ${fitText(onRandom)}`] : []),
  ...(onRandomFraction ? [`fit on the run's random nets (fraction): ${fitText(onRandomFraction)}`] : []),
  ...Object.entries(wallFits).map(([curve, c]) => `wall fit on all the run's random nets (${curve}): ${fitText(c)} (leave-one-out for the random nets themselves)`),
  '',
  `| set | n | self-agreement within ±10% | ${variants.map((v) => v.name).join(' | ')} |`,
  `|---|---|---|${variants.map(() => '---|').join('')}`,
  ...groups.map((g) => `| ${g.name} | ${g.idx.length} | ${selfShare(g.idx)} | ${predicted.map((pred) => share(g.idx, pred)).join(' | ')} |`),
  '',
  `(cells: within ±10% (mean abs err)) per file, error %:`,
  '',
  `| file | measured ms | self | ${variants.map((v) => v.name).join(' | ')} |`,
  `|---|---|---|${variants.map(() => '---|').join('')}`,
  ...points.map((p, i) => `| ${p.name} | ${p.measured.toFixed(3)} | ${p.selfPct?.toFixed(1) ?? '—'}% | ${predicted.map((pred) => `${errorPct(pred[i], p.measured).toFixed(1)}%`).join(' | ')} |`),
];
console.log(lines.join('\n'));
mkdirSync(path.dirname(args.out), { recursive: true });
writeFileSync(
  args.out,
  JSON.stringify({ load: { start: load0, end: load1 }, builtIn, builtInFraction, onRandom, onRandomFraction, wallFits, variants: variants.map((v, k) => ({ name: v.name, points: points.map((p, i) => ({ name: p.name, set: p.set, measured: p.measured, predicted: predicted[k][i] })) })) }, null, 1),
);

/**
 * --wall-subsets: the run's built-in wall fit (src/onnx/wall-fit.ts) fitted again on subsets of its nets, from
 * the nets' measurements the run recorded (`wallFiles`: each net timed whole, and its units' sum from the run's
 * LUT without a fit), and read against the run's files. A subset's cost is its nets' distinct units (the
 * rounds a fresh LUT times for them) and how many nets are timed whole.
 */
async function wallSubsets(): Promise<void> {
  const wall = run.wallFiles ?? [];
  if (!wall.length) throw new Error(`${dir}: the run recorded no built-in nets (wallFiles): it was made without the wall fit`);
  const netPlans = await everyNetPlan(rule);
  const base: Lut = { ...lut, inFile: undefined };
  // --one-round: the nets' own units (those no file of the run has) at their first round.
  const filesKeys = new Set(plans.flatMap((p) => p.units.map((u) => u.key)));
  const oneRound: Lut = {
    ...base,
    entries: Object.fromEntries(
      Object.entries(base.entries).map(([k, e]) => {
        if (filesKeys.has(k) || !e.unit || !e.rounds?.length) return [k, e];
        const three = [...e.rounds.slice(0, 3)].sort((a, b) => a - b);
        const first = args.threeRounds ? (lut.protocol.estimator === 'min' ? three[0] : three[Math.floor(three.length / 2)]) : e.rounds[0];
        return [k, { ...e, stats: { ...e.stats, median: first }, net: Math.max(0, first - base.overhead.median) }];
      }),
    ),
  };
  const residualOf = (f: (typeof wall)[number]): FileResidual => {
    const p = netPlans.get(f.name);
    if (!p) throw new Error(`built-in net ${f.name} is none this bench knows`);
    return { name: f.name, measuredMs: f.measuredMs, unitsMs: args.oneRound || args.threeRounds ? predictOnnx(oneRound, p).ms : f.unitsMs, units: unitReuse(p).map((reuse, k) => ({ reuse, weightBytes: p.units[k].weightBytes })) };
  };
  const names = wall.map((f) => f.name);
  const short = (n: string) => n.replace(/^built-in:/, '');
  const pick = (spec: string) =>
    spec.split(',').map((s) => {
      const n = names.find((m) => m.endsWith(s.trim()));
      if (!n) throw new Error(`--subset: no built-in net of the run ends with '${s}' (${names.map(short).join(', ')})`);
      return n;
    });
  const subsets: string[][] = [names, ...names.map((n) => names.filter((m) => m !== n)), ...(args.subset as string[]).map(pick)];
  const keysOf = (ns: string[]) => new Set(ns.flatMap((n) => netPlans.get(n)!.units.map((u) => u.key)));
  const sets = [...new Set(points.map((p) => p.set)), 'all'];
  const idxOf = (set: string) => points.flatMap((p, i) => (set === 'all' || p.set === set ? [i] : []));
  const share = (idx: number[], pred: number[]) => {
    const a = agreement(idx.map((i) => pred[i]), idx.map((i) => points[i].measured));
    return `${a.within10.toFixed(1)}% (${a.meanAbsErrorPct.toFixed(2)}%)`;
  };
  const mib = (n: string) => netPlans.get(n)!.units.reduce((t, u) => t + u.weightBytes, 0) / 2 ** 20;
  const lines = [
    `run ${dir} (${lut.device.device})${args.oneRound ? ", the nets' own units at their first round" : args.threeRounds ? ", the nets' own units from their first 3 rounds" : ''}; the run's built-in nets, measured / units' sum: ${wall.map((f) => `${short(f.name)} ${f.measuredMs.toFixed(3)} / ${f.unitsMs.toFixed(3)} (${mib(f.name).toFixed(1)} MiB, ${netPlans.get(f.name)!.units.length} units)`).join('; ')}`,
    `no fit: ${sets.map((s) => `${s} ${share(idxOf(s), plans.map((p) => predictOnnx(base, p).ms))}`).join(', ')}`,
    '',
    `| nets fitted on | nets | distinct units | fit | ${sets.join(' | ')} |`,
    `|---|---|---|---|${sets.map(() => '---|').join('')}`,
  ];
  const out: unknown[] = [];
  for (const ns of subsets) {
    const fit = { ...fitReuseOnFiles(wall.filter((f) => ns.includes(f.name)).map(residualOf), 'replayed', { curve: 'fraction' }), builtIn: true };
    const pred = plans.map((p) => predictOnnx({ ...base, inFile: fit }, p).ms);
    const label = ns.length === names.length ? 'all' : ns.length === names.length - 1 ? `all but ${short(names.find((n) => !ns.includes(n))!)}` : ns.map(short).join(', ');
    lines.push(`| ${label} | ${ns.length} | ${keysOf(ns).size} | ${((fit.cacheBytes ?? 0) / 2 ** 20).toFixed(1)} MiB, ${((fit.perMissedByteMs ?? 0) * 2 ** 20 * 1000).toFixed(1)} µs/MiB | ${sets.map((s) => share(idxOf(s), pred)).join(' | ')} |`);
    out.push({ nets: ns, units: keysOf(ns).size, fit, points: points.map((p, i) => ({ name: p.name, set: p.set, measured: p.measured, predicted: pred[i] })) });
  }
  console.log(lines.join('\n'));
  mkdirSync(path.dirname(args.out), { recursive: true });
  writeFileSync(args.out, JSON.stringify({ run: dir, wall, subsets: out }, null, 1));
}
