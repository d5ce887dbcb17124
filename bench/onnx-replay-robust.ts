/**
 * How robust the default wall-clock in-file fit (src/onnx/wall-fit.ts) is to one built-in net measured off,
 * replayed on many finished `bench/onnx-fidelity.ts` runs (their LUTs, their built-in nets' measurements
 * `wallFiles` and their files' measurements; nothing is timed): every way to fit (`--methods`) on every set of
 * nets a run holds (`--sets`), each read against the run's files (within ±10%). The runs come in two groups,
 * chosen before looking: `--choose` (the runs a method is chosen on) and `--validate` (runs not used to choose,
 * to check the choice on); the summary prints both apart, per runtime.
 *
 *   node --import tsx bench/onnx-replay-robust.ts --choose D1 D2 … --validate D3 D4 … [--npm-dir /tmp/x17/npm] [--out F]
 *
 * Methods: ls (fitReuseOnFiles as stored: least squares of relative residuals), l1 (least absolute relative
 * deviations), looN (ls with the leave-one-out check of fitReuseOnFilesChecked: its suspect, the net without which
 * the others gain most, left out when the others' fit predicts it more than N% off), inflN (the same check on how far a net moves its own prediction: left out
 * beyond N points), gainN (on how much better the other nets agree without it: beyond N points of relative rms),
 * trim (ls on the n − 1 nets whose own fit leaves the least relative rms, always one left out); medcache (not in
 * the defaults: the cache size the median of the fits on all nets and on every n − 1 of them, ls at that size).
 * Sets: four (WALL_CALIBRATION), seven (the seventh pass's nets), five (four + the largest mbv2 member),
 * where the run timed them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { agreement } from '../src/core/agreement.js';
import type { InFileCorrection, Lut } from '../lut/format.js';
import { builtInName, WALL_CALIBRATION } from '../src/onnx/calibration-set.js';
import { fileWithFitMs, fitReuseOnFiles, fitReuseOnFilesChecked, type FileResidual } from '../src/onnx/in-file.js';
import { predictOnnx } from '../src/onnx/predict.js';
import { unitReuse } from '../src/onnx/reuse.js';
import { EVERY_NET, everyNetPlan, loadReplayRun, type ReplayRun } from './onnx-replay-run.js';

const args = await yargs(process.argv.slice(2))
  .option('choose', { type: 'string', array: true, default: [] as string[] })
  .option('validate', { type: 'string', array: true, default: [] as string[] })
  .option('npm-dir', { type: 'string', default: '/tmp/x17/npm' })
  .option('methods', { type: 'string', array: true, default: ['ls', 'l1', 'gain0.5', 'gain1', 'gain2', 'gain4', 'loo5', 'loo8', 'infl2', 'infl4', 'trim'] })
  .option('sets', { type: 'string', array: true, default: ['four', 'five', 'seven'] })
  .option('out', { type: 'string', default: 'out/bench/onnx-replay-robust.json' })
  .strict()
  .parse();

const FOUR = WALL_CALIBRATION.map(builtInName);
const SETS: Record<string, string[]> = { four: FOUR, five: [...FOUR, 'built-in:mbv2@64#max'], seven: EVERY_NET.map(builtInName) };

/** The fit a method makes from the nets' residuals, and the net it left out, if any. */
function fitWith(method: string, nets: FileResidual[]): { fit: InFileCorrection; leftOut?: string } {
  const opts = { curve: 'fraction' as const };
  if (method === 'ls') return { fit: fitReuseOnFiles(nets, 'replay', opts) };
  if (method === 'l1') return { fit: fitReuseOnFiles(nets, 'replay', { ...opts, loss: 'l1' }) };
  const loo = /^(loo|infl|gain)(\d+(?:\.\d+)?)$/.exec(method);
  if (loo) {
    const r = fitReuseOnFilesChecked(nets, 'replay', { ...opts, criterion: loo[1] === 'infl' ? 'influence' : (loo[1] as 'loo' | 'gain'), limitPct: Number(loo[2]) });
    return { fit: r.correction, leftOut: r.leftOut?.name };
  }
  if (method === 'medcache') {
    // The cache size as the median of the fits on all nets and on every n − 1 of them, the cost per byte fitted at that size.
    const caches = [fitReuseOnFiles(nets, 'replay', opts), ...nets.map((n) => fitReuseOnFiles(nets.filter((m) => m !== n), 'replay', opts))].map((f) => f.cacheBytes ?? 0).sort((a, b) => a - b);
    const cache = caches[Math.floor(caches.length / 2)];
    return { fit: fitReuseOnFiles(nets, 'replay', { ...opts, candidates: [cache] }) };
  }
  if (method === 'trim') {
    const rel = (fit: InFileCorrection, fs: FileResidual[]) => Math.sqrt(fs.reduce((t, f) => t + ((fileWithFitMs(f, fit) - f.measuredMs) / f.measuredMs) ** 2, 0) / fs.length);
    const options = nets.map((n) => {
      const rest = nets.filter((m) => m !== n);
      const fit = fitReuseOnFiles(rest, 'replay', opts);
      return { fit, leftOut: n.name, rel: rel(fit, rest) };
    });
    return options.reduce((a, b) => (b.rel < a.rel ? b : a));
  }
  throw new Error(`unknown method ${method}`);
}

type Cell = { within10: number; meanAbs: number; cacheMiB: number; usPerMiB: number; leftOut?: string };
type RunResult = { dir: string; group: string; runtime: string; n: number; self10: number; none: Cell; cells: Record<string, Cell>; nets: { name: string; measuredMs: number; unitsMs: number; recordedUnitsMs: number }[] };
const results: RunResult[] = [];
const short = (n: string) => n.replace(/^built-in:/, '');

for (const [group, dirs] of [
  ['choose', args.choose],
  ['validate', args.validate],
] as const)
  for (const dir of dirs) {
    const r: ReplayRun = await loadReplayRun(dir, args.npmDir);
    const wall = r.run.wallFiles ?? [];
    if (!wall.length) {
      console.error(`${dir}: no wallFiles (made without the wall fit): skipped`);
      continue;
    }
    const netPlans = await everyNetPlan(r.rule);
    const base: Lut = { ...r.lut, inFile: undefined };
    // The nets' units' sums from the run's LUT with this tree's prediction, as its files are predicted below.
    const residual = new Map(
      wall.map((f) => {
        const p = netPlans.get(f.name);
        if (!p) throw new Error(`${dir}: built-in net ${f.name} is none this bench knows`);
        return [f.name, { name: f.name, measuredMs: f.measuredMs, unitsMs: predictOnnx(base, p).ms, units: unitReuse(p).map((reuse, k) => ({ reuse, weightBytes: p.units[k].weightBytes })) } satisfies FileResidual];
      }),
    );
    const measured = r.points.map((p) => p.measured);
    const score = (pred: number[]) => {
      const a = agreement(pred, measured);
      return { within10: a.within10, meanAbs: a.meanAbsErrorPct };
    };
    const none = { ...score(r.plans.map((p) => predictOnnx(base, p).ms)), cacheMiB: 0, usPerMiB: 0 };
    const cells: Record<string, Cell> = {};
    for (const set of args.sets) {
      if (!SETS[set]) throw new Error(`unknown set ${set}`);
      if (!SETS[set].every((n) => residual.has(n))) continue;
      const nets = SETS[set].map((n) => residual.get(n)!);
      for (const method of args.methods) {
        const { fit, leftOut } = fitWith(method, nets);
        const pred = r.plans.map((p) => predictOnnx({ ...base, inFile: { ...fit, builtIn: true } }, p).ms);
        cells[`${set}/${method}`] = { ...score(pred), cacheMiB: (fit.cacheBytes ?? 0) / 2 ** 20, usPerMiB: (fit.perMissedByteMs ?? 0) * 2 ** 20 * 1000, leftOut: leftOut && short(leftOut) };
      }
    }
    const self10 = r.points.every((p) => p.selfPct !== undefined) ? (100 * r.points.filter((p) => Math.abs(p.selfPct!) <= 10).length) / r.points.length : NaN;
    results.push({
      dir,
      group,
      runtime: r.runtime,
      n: r.points.length,
      self10,
      none,
      cells,
      nets: wall.map((f) => ({ name: short(f.name), measuredMs: f.measuredMs, unitsMs: residual.get(f.name)!.unitsMs, recordedUnitsMs: f.unitsMs })),
    });
    process.stderr.write(`${dir}: replayed\n`);
  }

const columns = [...new Set(results.flatMap((r) => Object.keys(r.cells)))];
const pct = (v: number) => `${v.toFixed(1)}%`;
const lines: string[] = [];
lines.push(`| run | group | runtime | n | self ±10% | no fit | ${columns.join(' | ')} |`, `|---|---|---|---|---|---|${columns.map(() => '---|').join('')}`);
for (const r of results)
  lines.push(
    `| ${r.dir} | ${r.group} | ${r.runtime} | ${r.n} | ${pct(r.self10)} | ${pct(r.none.within10)} | ${columns
      .map((c) => {
        const x = r.cells[c];
        return x ? `${pct(x.within10)} (${x.meanAbs.toFixed(1)}; ${x.cacheMiB.toFixed(0)} MiB${x.leftOut ? `; −${x.leftOut}` : ''})` : '—';
      })
      .join(' | ')} |`,
  );
lines.push('', '(cells: files within ±10% (mean abs err %; the fit\'s cache; the net left out, if any))', '');
lines.push(`| group | runtime | runs | summary | no fit | ${columns.join(' | ')} |`, `|---|---|---|---|---|${columns.map(() => '---|').join('')}`);
for (const group of ['choose', 'validate'])
  for (const runtime of ['ort-cpu', 'wasm']) {
    const rs = results.filter((r) => r.group === group && r.runtime === runtime);
    if (!rs.length) continue;
    const of = (c: string) => rs.map((r) => r.cells[c]).filter((x): x is Cell => !!x);
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
    const row = (label: string, f: (xs: Cell[]) => string, noneText: string) => `| ${group} | ${runtime} | ${rs.length} | ${label} | ${noneText} | ${columns.map((c) => (of(c).length ? f(of(c)) : '—')).join(' | ')} |`;
    lines.push(row('mean within ±10%', (xs) => `${pct(mean(xs.map((x) => x.within10)))} (${xs.length})`, pct(mean(rs.map((r) => r.none.within10)))));
    lines.push(row('worst run', (xs) => pct(Math.min(...xs.map((x) => x.within10))), pct(Math.min(...rs.map((r) => r.none.within10)))));
    lines.push(row('runs ≥ 90%', (xs) => `${xs.filter((x) => x.within10 >= 90).length}/${xs.length}`, `${rs.filter((r) => r.none.within10 >= 90).length}/${rs.length}`));
    lines.push(row('mean abs err', (xs) => `${mean(xs.map((x) => x.meanAbs)).toFixed(2)}%`, `${mean(rs.map((r) => r.none.meanAbs)).toFixed(2)}%`));
  }
lines.push('', 'nets per run, measured / units\' sum (this tree) [recorded units\' sum] ms:');
for (const r of results) lines.push(`- ${r.dir}: ${r.nets.map((n) => `${n.name} ${n.measuredMs.toFixed(3)} / ${n.unitsMs.toFixed(3)}${Math.abs(n.unitsMs - n.recordedUnitsMs) > 0.0005 ? ` [${n.recordedUnitsMs.toFixed(3)}]` : ''}`).join('; ')}`);
console.log(lines.join('\n'));
mkdirSync(path.dirname(args.out), { recursive: true });
writeFileSync(args.out, JSON.stringify(results, null, 1));
