/**
 * nas designspace: the design-space analysis of RegNet (Radosavovic et al. 2020) on any evaluator and,
 * with a LUT, on a device's predicted latency. Samples N models of a space (seeded), scores them through
 * the scores file of `nas evaluate` (each score saved as it comes, so a rerun scores only what is
 * missing), and writes the error EDF, the MACs EDF, with --lut the latency EDF and the error EDF within
 * --budget-ms, with --compare the complexity-normalized comparison with another run's file, and with
 * --bootstrap the best-range intervals of the named parameters. --report: the same as an HTML page.
 */
import type { CommandModule } from 'yargs';
import type { Architecture } from '../../core/arch.js';
import { table } from '../../core/format.js';
import { UserError } from '../../core/errors.js';
import { emit, log } from '../output.js';
import { createProgress } from '../progress.js';
import { checkEvaluatorArgs, evaluatorFromArgs, evaluatorOptions, trainingOptions, trainingSettings, type EvaluatorArgs } from './common.js';

export interface DesignSpaceArgs extends EvaluatorArgs {
  json?: boolean;
  space: string;
  restrict?: string;
  samples: number;
  seed: number;
  resolution?: number;
  lut?: string;
  budgetMs?: number;
  out: string;
  scores?: string;
  report?: string;
  compare?: string;
  normalizeBy: string;
  bins: number;
  bootstrap?: string;
}

const RESTRICTIONS = ['A', 'B', 'C', 'D', 'E'];

/** The space --space and --restrict name: anynet + A..E → anynet, anynet-b … anynet-e (the paper's AnyNetX_A..E). */
export function restrictedSpace(space: string, restrict: string | undefined): string {
  if (restrict === undefined) return space;
  const letter = restrict.trim().toUpperCase();
  if (!RESTRICTIONS.includes(letter)) throw new UserError(`--restrict must be one of ${RESTRICTIONS.join(', ')} (AnyNetX_A … AnyNetX_E), got '${restrict}'`);
  if (space !== 'anynet')
    throw new UserError(`--restrict applies to --space anynet (AnyNetX_A … E); space '${space}' has no restrictions`, { hint: 'use --space anynet --restrict C, or leave --restrict out' });
  return letter === 'A' ? 'anynet' : `anynet-${letter.toLowerCase()}`;
}

export function checkDesignSpaceArgs(a: DesignSpaceArgs): void {
  if (!Number.isInteger(a.samples) || a.samples < 1) throw new UserError(`--samples must be a positive integer, got ${a.samples}`);
  if (!Number.isInteger(a.seed)) throw new UserError(`--seed must be an integer, got ${a.seed}`);
  if (a.resolution !== undefined && (!Number.isInteger(a.resolution) || a.resolution < 1)) throw new UserError(`--resolution must be a positive integer, got ${a.resolution}`);
  if (a.budgetMs !== undefined && !(a.budgetMs > 0)) throw new UserError(`--budget-ms must be a positive number of milliseconds, got ${a.budgetMs}`);
  if (a.budgetMs !== undefined && a.lut === undefined) throw new UserError('--budget-ms needs --lut: the latencies it bounds are predicted on a LUT');
  if (!['auto', 'macs', 'latency'].includes(a.normalizeBy)) throw new UserError(`--normalize-by must be auto, macs or latency, got '${a.normalizeBy}'`);
  if (!Number.isInteger(a.bins) || a.bins < 1) throw new UserError(`--bins must be a positive integer, got ${a.bins}`);
  if (a.bootstrap !== undefined && parseList(a.bootstrap).length === 0) throw new UserError('--bootstrap needs parameter names, e.g. --bootstrap wm,g,d');
  if (!a.out?.trim()) throw new UserError('--out must name the design-space file to write, e.g. --out ds.json');
  checkEvaluatorArgs(a);
}

const parseList = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

export async function runDesignSpaceCommand(a: DesignSpaceArgs): Promise<void> {
  checkDesignSpaceArgs(a);
  const [{ createSpace }, { sampleEncodings, scoreSet }, { checkWritable, writeOutputFile }, ds] = await Promise.all([
    import('../../spaces/registry.js'),
    import('../../evaluators/score-set.js'),
    import('../../verify/output-paths.js'),
    import('../../designspace/index.js'),
  ]);
  const scoresPath = a.scores ?? `${a.out.replace(/\.json$/i, '')}.scores.json`;
  checkWritable(a.out, '--out');
  checkWritable(scoresPath, '--scores');
  if (a.report) checkWritable(a.report, '--report');
  // Everything that can fail on bad input fails here, before the first evaluation.
  const space = createSpace(restrictedSpace(a.space, a.restrict), a.resolution === undefined ? {} : { resolution: a.resolution });
  const parameters = ds.spaceParameters(space);
  const boot = a.bootstrap === undefined ? [] : ds.pickParameters(space, parseList(a.bootstrap)).map((p) => p.name);
  const other = a.compare === undefined ? undefined : ds.readDesignSpaceFile(a.compare);
  const encodings = sampleEncodings(space, a.samples, a.seed);
  if (encodings.length < a.samples) log(`the space has only ${encodings.length} distinct architectures; scoring those`);
  const archs = new Map(encodings.map((e) => space.build(e)).map((arch) => [arch.name, arch] as const));

  let latency: ((arch: Architecture) => number) | undefined;
  let lutInfo: { id: string; path: string; device: string } | null = null;
  if (a.lut !== undefined) {
    const [{ readLut }, { predict }, { missingAcross }, { settingsFlags }] = await Promise.all([
      import('../../../lut/store.js'),
      import('../../predict/predictor.js'),
      import('../../profile/missing.js'),
      import('../../../lut/settings-flags.js'),
    ]);
    const lut = readLut(a.lut);
    const missing = missingAcross(lut, [...archs.values()]);
    if (missing.size)
      throw new UserError(`LUT ${a.lut} lacks ${missing.size} op instance(s) of the ${archs.size} sampled models of ${space.id}@${space.resolution}, e.g. ${[...missing.keys()][0]}`, {
        hint: `fill it with: nas profile ${settingsFlags(lut.device, lut.protocol)} --space ${space.id} --resolution ${space.resolution} --out ${a.lut}`,
      });
    latency = (arch) => predict(lut, arch, { breakdown: false }).ms;
    lutInfo = { id: lut.id, path: a.lut, device: lut.device.device };
    if (a.budgetMs !== undefined) ds.checkBudgetReachable([...archs.values()].map(latency), a.budgetMs);
  }

  const evaluator = await evaluatorFromArgs(a, space, trainingSettings(a));
  if (other) ds.checkSameEvaluator(evaluator.id, other, a.compare!);
  const progress = createProgress(`designspace ${space.id}: scoring with ${evaluator.id}`, encodings.length);
  let scored;
  try {
    scored = await scoreSet({
      space,
      spaceOptions: { resolution: space.resolution },
      evaluator,
      encodings,
      selection: { sample: a.samples, seed: a.seed },
      out: scoresPath,
      onProgress: (done, total, last) => progress.update(done, last ? `${last.score.toPrecision(5)} in ${last.seconds.toFixed(2)} s` : ''),
    });
  } finally {
    progress.stop();
    await evaluator.dispose?.();
  }
  if (scored.resumed) log(`resumed: ${scored.resumed} score(s) taken from ${scoresPath}`);
  const file = scored.file;
  const measure = ds.errorMeasure(file.evaluator.provenance);
  const models = file.records.map((r) => ds.designSpaceModel(archs.get(r.name)!, r.score, measure, parameters, latency));
  const doc = ds.analyzeDesignSpace({
    space: { id: space.id, resolution: space.resolution },
    evaluator: file.evaluator,
    measure,
    selection: { samples: a.samples, seed: a.seed },
    scores: scoresPath,
    lut: lutInfo,
    budgetMs: a.budgetMs ?? null,
    models,
    bootstrap: boot,
  });
  if (other) doc.compare = ds.compareSpaces(doc, other, a.compare!, { by: a.normalizeBy as 'auto' | 'macs' | 'latency', bins: a.bins });
  writeOutputFile(a.out, JSON.stringify(doc, null, 1) + '\n', '--out');
  if (a.report) writeOutputFile(a.report, ds.renderDesignSpaceReport(doc), '--report');
  emit(a, { out: a.out, report: a.report ?? null, resumed: scored.resumed, ...doc }, () => renderText(doc, a, scored.resumed));
}

function renderText(doc: import('../../designspace/types.js').DesignSpaceDoc, a: DesignSpaceArgs, resumed: number): string {
  const n = (v: number | null) => (v === null ? 'n/a' : Number(v.toPrecision(4)).toString());
  const s = doc.summary;
  const lines = [
    `${doc.space.id}@${doc.space.resolution}: ${s.n} models scored by ${doc.evaluator.id} (${resumed} resumed); error: ${doc.errorLabel}`,
    `error: lowest ${n(s.minError)}, median ${n(s.medianError)}; best ${s.best}`,
  ];
  if (doc.lut) lines.push(`latency on ${doc.lut.id}: fastest ${n(s.minLatencyMs)} ms` + (doc.edf.underBudget ? `; ${doc.edf.underBudget.n} of ${s.n} within ${doc.budgetMs} ms` : ''));
  const c = doc.compare;
  if (c) {
    lines.push(`compared with ${c.other} (${c.sides[1].space}, ${c.sides[1].n} models), normalized for ${c.by} over ${c.usedBins} shared bins: KS distance ${c.ks.raw.toFixed(3)} raw, ${c.ks.normalized.toFixed(3)} normalized`);
    lines.push(table(['space', 'models', 'outside bins', 'mean error (norm.)', 'q10', 'median'], c.sides.map((x) => [x.space, x.n, x.dropped, n(x.normalizedMeanError), n(x.normalizedQuantiles.q10), n(x.normalizedQuantiles.q50)])).trimEnd());
  }
  const b = doc.bootstrap;
  if (b) {
    lines.push(`best ranges (${Math.round(b.level * 100)}% bootstrap intervals, ${b.resamples} draws of ${b.sampleSize}):`);
    lines.push(table(['parameter', 'low', 'median', 'high', 'best model', 'sampled'], b.intervals.map((i) => [i.param, n(i.lo), n(i.median), n(i.hi), n(i.best), `${n(i.min)}-${n(i.max)}`])).trimEnd());
  }
  lines.push(`written: ${a.out}${a.report ? `, ${a.report}` : ''}; scores in ${doc.scores}`);
  return lines.join('\n') + '\n';
}

export const designspaceCommand: CommandModule<object, DesignSpaceArgs> = {
  command: 'designspace',
  describe: "a design space's population analysis (RegNet): error EDF, latency EDF on a LUT, normalized comparison of two spaces, bootstrap of the best parameter ranges (resumable)",
  builder: (y) =>
    evaluatorOptions(trainingOptions(y))
      .option('space', { type: 'string', demandOption: true, describe: 'design space: anynet (with --restrict A..E), anynet-b … anynet-e, regnet, or any other space' })
      .option('restrict', { type: 'string', describe: "anynet: the paper's restriction A (free), B (shared bottleneck ratio), C (+ shared group width), D (+ widths increase), E (+ depths increase)" })
      .option('samples', { type: 'number', demandOption: true, describe: 'N distinct random models of the space (seeded by --seed)' })
      .option('seed', { type: 'number', default: 0, describe: 'random seed of the sample, the bootstrap and the evaluator' })
      .option('resolution', { type: 'number', describe: 'input resolution of the space (default: the space default)' })
      .option('lut', { type: 'string', describe: 'LUT to predict latencies on: adds the latency EDF (and --budget-ms)' })
      .option('budget-ms', { type: 'number', describe: 'with --lut: also the error EDF of the models predicted within this latency' })
      .option('out', { type: 'string', demandOption: true, describe: 'design-space file (JSON) to write' })
      .option('scores', { type: 'string', describe: 'scores file the evaluations are saved to as they come, and resumed from (default <out>.scores.json)' })
      .option('report', { type: 'string', describe: 'also write an HTML report (EDF curves, bootstrap intervals) here' })
      .option('compare', { type: 'string', describe: "another run's design-space file: compare the two error EDFs, normalized for complexity" })
      .option('normalize-by', { type: 'string', default: 'auto', describe: 'complexity --compare normalizes: macs, latency (both runs on the same --lut), or auto (latency when so, else macs)' })
      .option('bins', { type: 'number', default: 10, describe: 'log-spaced complexity bins of the normalization' })
      .option('bootstrap', { type: 'string', describe: "comma-separated parameters to bootstrap the best range of, e.g. wm,g,d (regnet) or b,g,d (anynet-c); an unknown one lists the space's" })
      .example('$0 designspace --space regnet --resolution 32 --samples 100 --evaluator proxy --lut cpu.lut.json --budget-ms 2 --bootstrap wm,g,d,w0,wa --out regnet.ds.json --report regnet.html', '')
      .example('$0 designspace --space anynet --restrict E --resolution 32 --samples 100 --evaluator proxy --compare regnet.ds.json --out anynet-e.ds.json --report cmp.html', '') as never,
  handler: (a) => runDesignSpaceCommand(a),
};
