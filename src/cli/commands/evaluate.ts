/**
 * nas evaluate / nas-evaluate: scores a set of architectures of a space with any accuracy evaluator
 * (a random sample or a file of them) into a scores file, one record per architecture; resumes when the
 * file already holds some of them. How evaluators are compared, and how bench/ scripts get their scores.
 */
import { writeFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { UserError } from '../../core/errors.js';
import type { SpaceOptions } from '../../core/space.js';
import { table } from '../../core/format.js';
import { emit, log } from '../output.js';
import { createProgress } from '../progress.js';
import { checkEvaluatorArgs, evaluatorFromArgs, evaluatorOptions, trainingOptions, trainingSettings, type EvaluatorArgs } from './common.js';

export interface EvaluateArgs extends EvaluatorArgs {
  json?: boolean;
  space: string;
  sample?: number;
  seed: number;
  archs?: string;
  resolution?: number;
  out: string;
  csv?: string;
}

export function checkEvaluateArgs(a: EvaluateArgs): void {
  if ((a.sample === undefined) === (a.archs === undefined)) throw new UserError('name the architectures: --sample N (random members of --space, seeded by --seed) or --archs FILE');
  if (a.sample !== undefined && (!Number.isInteger(a.sample) || a.sample < 1)) throw new UserError(`--sample must be a positive integer, got ${a.sample}`);
  if (!Number.isInteger(a.seed)) throw new UserError(`--seed must be an integer, got ${a.seed}`);
  if (a.resolution !== undefined && (!Number.isInteger(a.resolution) || a.resolution < 1)) throw new UserError(`--resolution must be a positive integer, got ${a.resolution}`);
  checkEvaluatorArgs(a);
  if (!a.out?.trim()) throw new UserError('--out must name the scores file to write, e.g. --out scores.json');
}

export async function runEvaluateCommand(a: EvaluateArgs): Promise<void> {
  checkEvaluateArgs(a);
  const [{ createSpace }, { readEncodings, sampleEncodings, scoreSet, scoresCsv }, { cellToEncoding }] = await Promise.all([
    import('../../spaces/registry.js'),
    import('../../evaluators/score-set.js'),
    import('../../spaces/nb201.js'),
  ]);
  const spaceOptions: SpaceOptions = a.resolution === undefined ? {} : { resolution: a.resolution };
  const space = createSpace(a.space, spaceOptions);
  const encodings = a.archs !== undefined ? readEncodings(a.archs, space.id === 'nb201' ? cellToEncoding : undefined) : sampleEncodings(space, a.sample!, a.seed);
  if (a.sample !== undefined && encodings.length < a.sample) log(`the space has only ${encodings.length} distinct architectures; scoring those`);
  const evaluator = await evaluatorFromArgs(a, space, trainingSettings(a));
  const progress = createProgress(`evaluate ${evaluator.id}`, encodings.length);
  let result;
  try {
    result = await scoreSet({
      space,
      spaceOptions: { resolution: space.resolution },
      evaluator,
      encodings,
      selection: a.archs !== undefined ? { archs: a.archs } : { sample: a.sample!, seed: a.seed },
      out: a.out,
      onProgress: (done, total, last) => progress.update(done, last ? `${last.score.toPrecision(5)} in ${last.seconds.toFixed(2)} s` : ''),
    });
  } finally {
    progress.stop();
    await evaluator.dispose?.();
  }
  const { file, resumed } = result;
  if (resumed) log(`resumed: ${resumed} score(s) taken from ${a.out}`);
  if (a.csv) writeFileSync(a.csv, scoresCsv(file));
  const seconds = file.records.map((r) => r.seconds);
  const meanSeconds = seconds.reduce((s, v) => s + v, 0) / Math.max(seconds.length, 1);
  const input = file.evaluator.provenance.input;
  emit(a, { out: a.out, csv: a.csv ?? null, space: file.space, evaluator: file.evaluator, total: file.total, resumed, meanSeconds, records: file.records }, () => {
    const top = [...file.records].sort((x, y) => y.score - x.score).slice(0, 5);
    return (
      `${evaluator.id} on ${space.id}: ${file.records.length} architectures scored (${resumed} resumed), mean ${meanSeconds.toFixed(2)} s each; written to ${a.out}${a.csv ? ` and ${a.csv}` : ''}\n` +
      (input === undefined ? '' : `input: ${typeof input === 'string' ? input : JSON.stringify(input)}\n`) +
      `highest scores:\n` +
      table(['#', 'score', 's', 'architecture'], top.map((r, i) => [i + 1, r.score.toPrecision(6), r.seconds.toFixed(2), r.name]))
    );
  });
}

export const evaluateCommand: CommandModule<object, EvaluateArgs> = {
  command: 'evaluate',
  describe: 'score a set of architectures (a random sample or a file) with any accuracy evaluator into a scores file (resumable)',
  builder: (y) =>
    evaluatorOptions(trainingOptions(y))
      .option('space', { type: 'string', demandOption: true, describe: 'search space (e.g. nb201, mbv2)' })
      .option('sample', { type: 'number', describe: 'N distinct random architectures of the space' })
      .option('seed', { type: 'number', default: 0, describe: 'random seed of --sample (and of the evaluator)' })
      .option('archs', { type: 'string', describe: 'architectures file: a JSON array of choice vectors (nb201: or cell strings), or a front or scores file' })
      .option('resolution', { type: 'number', describe: 'input resolution of the space (default: the space default)' })
      .option('out', { type: 'string', demandOption: true, describe: 'scores file (JSON) to write; an existing one from the same run is resumed' })
      .option('csv', { type: 'string', describe: 'also write the records as CSV here' })
      .example('$0 evaluate --space nb201 --sample 100 --seed 0 --evaluator proxy --proxy synflow --out synflow.json --csv synflow.csv', '')
      .example('$0 evaluate --space nb201 --archs front.json --evaluator table --dataset cifar100 --out acc.json', '') as never,
  handler: (a) => runEvaluateCommand(a),
};
