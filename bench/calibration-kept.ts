/**
 * What `nas profile --calibrate` keeps (src/predict/context-fit.ts chooseContextFit: the context fit, the fit on the
 * plain nets, or neither), replayed on bench/fidelity.ts runs' saved calibration nets (random, in-context and size
 * variants) and how it predicts each run's test nets per set (nothing is measured), under several rules: the
 * calibration set with or without its size variants (src/predict/size-variants.ts; runs that measured them), the
 * measured weight cost (CalibrationOptions.perWeightByteMs: the run's own, read from its "plain sum + measured weight
 * cost" points, else --weight's figure for its resolution) in every model or only by the margin (weightCost), with or
 * without models whose ops are less their own edge reorders (ownEdges). The choice sees the calibration nets only.
 *
 *   node --import tsx bench/calibration-kept.ts [--weight 128=25.1,224=31.4] [--rules 4,8,9,10] RUN/fidelity-….json …
 *
 * Each FIDELITY.json is read with its LUT beside it (fidelity-….lut.json). Prints one row per run and rule, then
 * per rule the mean over the runs and the runs that meet issue 13's targets (random ≥ 99%, other sets ≥ 95%).
 */
import { existsSync } from 'node:fs';
import { agreement, errorPct } from '../src/core/agreement.js';
import { lutSums, type CalibrationOptions } from '../src/predict/calibrate.js';
import { chooseContextFit } from '../src/predict/context-fit.js';
import { predict } from '../src/predict/predictor.js';
import { fidelityNets, readFidelityRun, type FidelityDoc } from './fidelity-nets.js';

const argv = process.argv.slice(2);
const weightAt = new Map<number, number>();
const files: string[] = [];
/** --rules 0,4,9: only these rules (indices into RULES), for shorter replays. */
let ruleFilter: number[] | undefined;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--weight') {
    for (const kv of argv[++i].split(',')) {
      const [res, us] = kv.split('=').map(Number);
      weightAt.set(res, us);
    }
  } else if (argv[i] === '--rules') ruleFilter = argv[++i].split(',').map(Number);
  else files.push(argv[i]);
}
if (!files.length) throw new Error('usage: calibration-kept.ts [--weight 128=25.1,224=31.4] FIDELITY.json …');

type Rule = { label: string; sizes: boolean; opts: (w: number | undefined) => CalibrationOptions; noVariants?: boolean };
// Every rule but the last chooses among the models (keep 'choose'), as `nas profile` did before the one-scale fit.
const withW = (w: number | undefined) => ({ keep: 'choose' as const, ...(w ? { perWeightByteMs: w } : {}) });
const RULES: Rule[] = [
  // The rule before (issue 13's tenth session): the measured weight cost only by the margin, no edge-less models.
  { label: 'before: weight cost by the margin, no edge-less models', sizes: false, opts: (w) => ({ ...withW(w), weightCost: 'margin', ownEdges: 'off', weightCacheMiB: [0] }) },
  { label: 'weight cost always', sizes: false, opts: (w) => ({ ...withW(w), ownEdges: 'off', weightCacheMiB: [0] }) },
  { label: 'edge-less models also', sizes: false, opts: (w) => ({ ...withW(w), weightCost: 'margin', weightCacheMiB: [0] }) },
  { label: 'weight cost always, edge-less models also', sizes: false, opts: (w) => ({ ...withW(w), weightCacheMiB: [0] }) },
  { label: 'choice among models (merged rule before this: keep choose, C chosen 0–12 MiB)', sizes: false, opts: (w) => withW(w) },
  { label: 'choice, weight cache share 6 MiB only', sizes: false, opts: (w) => ({ ...withW(w), weightCacheMiB: [6] }) },
  { label: 'choice, random nets only (no in-context variants)', sizes: false, noVariants: true, opts: (w) => withW(w) },
  { label: 'choice, + size variants', sizes: true, opts: (w) => withW(w) },
  { label: 'one scale + cache-share weight term only', sizes: false, opts: (w) => ({ ...withW(w), models: 'scale' }) },
  { label: 'one scale, ops less own edges only', sizes: false, opts: (w) => ({ ...withW(w), models: 'scale', ownEdges: 'only' }) },
  { label: 'scales only (one or per class), no cost columns', sizes: false, opts: (w) => ({ ...withW(w), models: 'scales' }) },
  { label: 'one scale, random nets only (no in-context variants)', sizes: false, noVariants: true, opts: (w) => ({ ...withW(w), models: 'scale' }) },
  { label: 'before, + size variants', sizes: true, opts: (w) => ({ ...withW(w), weightCost: 'margin', ownEdges: 'off', weightCacheMiB: [0] }) },
  { label: 'kept now: one-scale fit on the plain nets (src/predict/one-scale-fit.ts)', sizes: false, opts: (w) => ({ ...withW(w), keep: 'one-scale' }) },
];
/** A set without its resolution, so runs at 128 and 224 px share columns: mbv2, published, regnet. */
const short = (s: string) => s.replace(/^random /, '').replace(/@\d+.*/, '');
const within = (xs: number[]) => (100 * xs.filter((x) => Math.abs(x) <= 10).length) / xs.length;
const MiB = 2 ** 20;
type Row = { run: string; rule: string; bySet: Map<string, number[]>; tau: number; kept: string };
const rows: Row[] = [];

for (const jsonFile of files) {
  const lutFile = jsonFile.replace(/\.json$/, '.lut.json');
  if (!existsSync(lutFile)) throw new Error(`no LUT beside ${jsonFile} (expected ${lutFile})`);
  const { lut, doc } = readFidelityRun(jsonFile, lutFile);
  const points = doc.points as (FidelityDoc['points'][number] & { plain: number; plainWeights?: number })[];
  const nets = fidelityNets(doc);
  const variants = nets.filter((n) => n.set.endsWith(' in-context'));
  const sizes = nets.filter((n) => n.set.endsWith(' size'));
  const cal = nets.filter((n) => n.set.startsWith('calibration ') && !n.set.endsWith(' in-context') && !n.set.endsWith(' size'));
  const tests = nets.filter((n) => !n.set.startsWith('calibration '));
  if (!cal.length) throw new Error(`${jsonFile} saved no calibration nets (bench/fidelity.ts --calibrate N writes them)`);
  const classes = [...new Set(variants.map((v) => v.arch.name.split('~')[1]).filter((c): c is string => !!c))];
  // The run's own measured weight cost: its plain + weight-cost points against their weight bytes.
  const withW = points.filter((p) => p.plainWeights !== undefined);
  let perWeightByteMs: number | undefined;
  if (withW.length) {
    const p = withW[0];
    const arch = tests.find((t) => t.arch.name === p.name)!.arch;
    perWeightByteMs = (p.plainWeights! - p.plain) / lutSums(lut, arch).weightBytes;
  } else if (weightAt.has(doc.args.resolution)) perWeightByteMs = weightAt.get(doc.args.resolution)! / 1000 / MiB;
  const run = `${jsonFile.split('/').slice(-3, -1).join('/')} (${doc.args.resolution} px, W ${perWeightByteMs === undefined ? '–' : (perWeightByteMs * MiB * 1000).toFixed(1)}${withW.length ? '' : ' given'}, ${sizes.length} size)`;
  for (const rule of RULES.filter((_, i) => !ruleFilter || ruleFilter.includes(i))) {
    if (rule.sizes && !sizes.length) continue;
    const opts = rule.opts(perWeightByteMs);
    const plain = [...cal, ...(rule.sizes ? sizes : [])].map(({ arch, ms }) => ({ arch, ms }));
    const { calibration: c } = chooseContextFit(lut, plain, (rule.noVariants ? [] : variants).map(({ arch, ms }) => ({ arch, ms })), classes, 'replay', opts);
    const bySet = new Map<string, number[]>();
    const pred = tests.map((t) => predict({ ...lut, calibration: c }, t.arch, { breakdown: false }).ms);
    tests.forEach((t, i) => bySet.set(short(t.set), [...(bySet.get(short(t.set)) ?? []), errorPct(pred[i], t.ms)]));
    const tau = agreement(pred, tests.map((t) => t.ms)).kendallTau;
    const kept = c
      ? `${c.context?.kept ?? 'fit'}: base ${c.baseMs.toFixed(3)}, per op ${(c.perOpMs * 1000).toFixed(1)} µs, scale ${(c.scale ?? 1).toFixed(3)}, W ${((c.perWeightByteMs ?? 0) * MiB * 1000).toFixed(1)} µs/MiB${c.lessOwnEdges ? ', less own edges' : ''}${c.weightCacheBytes ? `, cache ${(c.weightCacheBytes / MiB).toFixed(0)} MiB` : ''}${c.classScales ? ', class scales' : ''}`
      : 'plain sum';
    rows.push({ run, rule: rule.label, bySet, tau, kept });
  }
}

const sets = [...new Set(rows.flatMap((r) => [...r.bySet.keys()]))];
console.log(`| run | rule | ${sets.map((s) => `${s} ±10%`).join(' | ')} | all | τ | kept |`);
console.log(`|---|---|${sets.map(() => '---|').join('')}---|---|---|`);
for (const r of rows) {
  const cells = sets.map((s) => (r.bySet.has(s) ? `${within(r.bySet.get(s)!).toFixed(1)}%` : '–'));
  console.log(`| ${r.run} | ${r.rule} | ${cells.join(' | ')} | ${within([...r.bySet.values()].flat()).toFixed(1)}% | ${r.tau.toFixed(3)} | ${r.kept} |`);
}
console.log('');
console.log(`| rule | runs | ${sets.map((s) => `${s}: mean ±10%`).join(' | ')} | runs meeting the targets (τ ≥ 0.9 too) |`);
console.log(`|---|---|${sets.map(() => '---|').join('')}---|`);
for (const rule of RULES) {
  const rs = rows.filter((r) => r.rule === rule.label);
  if (!rs.length) continue;
  const mean = (s: string) => {
    const xs = rs.filter((r) => r.bySet.has(s)).map((r) => within(r.bySet.get(s)!));
    return xs.length ? `${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1)}%` : '–';
  };
  const shares = (r: Row) => [...r.bySet].every(([s, v]) => within(v) >= (s === 'mbv2' ? 99 : 95));
  const meets = rs.filter((r) => shares(r) && r.tau >= 0.9).length;
  const lowest = Math.min(...rs.filter((r) => r.bySet.has('mbv2')).map((r) => within(r.bySet.get('mbv2')!)));
  console.log(`| ${rule.label} | ${rs.length} | ${sets.map(mean).join(' | ')} | ${meets} of ${rs.length} (${rs.filter(shares).length} without τ; lowest mbv2 ${lowest.toFixed(1)}%) |`);
}
