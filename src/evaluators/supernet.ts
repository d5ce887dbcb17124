/**
 * `supernet` evaluator: a candidate's accuracy as a sub-network of a one-shot supernet
 * (src/train/supernet/): the weights of its path, BatchNorm statistics of that path recalibrated on
 * the first training images, validation top-1 accuracy (%). Scoring a candidate takes seconds
 * instead of a training; the supernet is trained once, and the same settings and seed give the same
 * accuracies.
 *
 * The supernet lives in a checkpoint file (`--supernet FILE`): a finished supernet of the same
 * space and settings is used as it is, a partial one (a killed training) is resumed, a missing one is
 * trained first (progress on stderr); one of other settings is refused, naming what differs.
 *
 * Data and optimiser settings come from the command's training flags (the train evaluator's
 * defaults: Fashion-MNIST, 2560 images, 512 for validation, batch 64, SGD 0.05, seed 0); the
 * supernet's budget from --supernet-epochs (--train-epochs / --train-steps are the train evaluator's
 * budget per candidate and are not used here). Candidates are retargeted to the images and classes
 * as the train evaluator does (adaptArchitecture): mbv2 at --resolution 32 (3x32x32) takes
 * Fashion-MNIST's 1x28x28 images (14x14 with --downscale 2), every other layer kept.
 * --supernet-sharing: nested (one largest kernel per layer, options are its slices; see candidates.ts;
 * the default, SUPERNET_DEFAULTS) or independent weights per option (SPOS); --supernet-sampler
 * depth (default), uniform, fair or sandwich; --supernet-distill (in-place distillation); all recorded in the
 * checkpoint and provenance.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Architecture } from '../core/arch.js';
import type { SearchSpace } from '../core/space.js';
import { UserError } from '../core/errors.js';
import type { Prepared } from '../data/prepare.js';
import type { AccuracyEvaluator, TrainEvaluatorOptions } from '../core/contracts.js';
import { createSpace } from '../spaces/registry.js';
import { useTrainingBackend } from '../train/backend.js';
import { CandidateTable, checkSharing, type Sharing } from '../train/supernet/candidates.js';
import { checkSampler, type SamplerKind } from '../train/supernet/sampler.js';
import { Supernet, type SupernetProgress } from '../train/supernet/supernet.js';
import { dataSettings, loadTrainingData } from '../train/train-evaluator.js';

/** What the evaluator reads of the registry's options (EvaluatorOptions, evaluators/registry.ts): the training flags and the command's parsed flags. */
export interface SupernetFlagOptions {
  training?: TrainEvaluatorOptions;
  args?: Readonly<Record<string, unknown>>;
}

export const DEFAULT_SUPERNET_EPOCHS = 10;

/**
 * The evaluator's training defaults, chosen by measurement (docs/benchmarks.md, "Supernet ranking: what
 * makes it rank" and "correctness checks and the depth of the paths"): nested weight sharing, because with
 * independent weights per option the supernet stays at chance accuracy at the budgets that fit 2 cores (640
 * and 1600 steps) while the nested one learns (sub-networks at 65-73%); depth sampling (single paths, the
 * number of skipped layers uniform), because the uniform sampler almost never trains the shallow members and
 * scores them low: at the same 360 steps it ranked 12 stand-alone-trained nets at Kendall tau -0.60 / -0.53
 * (two seeds), depth sampling at -0.32 / -0.08 / -0.17 (three). Neither ranks (tau >= 0.5 was not reached by any option);
 * sandwich + distillation and FairNAS fairness were not shown better. On mbv2-small (fixed depth, a stand-alone reference
 * that follows capacity) the depth sampler, uniform there, ranked 20 nets at tau 0.571 / 0.628 (two seeds) against the
 * two-seed reference mean, whose own seeds agree at 0.582; sandwich with or without distillation at the same 720 paths
 * 0.23-0.28 (docs/benchmarks.md, "Supernet ranking on a small space").
 */
export const SUPERNET_DEFAULTS = { sampler: 'depth', distill: false, sharing: 'nested' } as const;

export interface SupernetEvaluatorOptions {
  /** Data, batch, optimiser, seed and backend (the training flags). */
  training?: TrainEvaluatorOptions;
  /** Supernet checkpoint: used when finished, resumed when partial, trained when missing. */
  file: string;
  /** Supernet budget in epochs over the training images (default 10). */
  epochs?: number;
  sampler?: SamplerKind;
  /** In-place distillation (supernet.ts): the step's first path teaches the others. */
  distill?: boolean;
  /** Weight sharing between the options of a layer (default SUPERNET_DEFAULTS.sharing, nested). */
  sharing?: Sharing;
  /** The space the supernet holds; default: the space of the first architecture evaluated. */
  space?: { id: string; resolution?: number };
  /** Training images BatchNorm is recalibrated on per candidate (default 512). */
  calibrationImages?: number;
  /** Supernet training progress (default: the training options' onProgress, called with 'supernet'). */
  onProgress?: (p: SupernetProgress) => void;
  /** Messages (default: stderr). */
  log?: (message: string) => void;
}

/** The evaluator's options from the search command's flags (--supernet, --supernet-epochs, --supernet-sampler, --supernet-sharing). */
export function supernetOptionsFromArgs(o: SupernetFlagOptions): SupernetEvaluatorOptions {
  const a = o.args ?? {};
  const file = a.supernet as string | undefined;
  const out = a.out as string | undefined;
  if (file !== undefined && !String(file).trim()) throw new UserError('--supernet must name the supernet checkpoint file', { hint: 'e.g. --supernet mbv2-32.supernet' });
  if (file === undefined && !out) throw new UserError('--evaluator supernet needs --supernet FILE (the supernet checkpoint; trained there when missing)');
  const epochs = a.supernetEpochs as number | undefined;
  if (epochs !== undefined && !(Number.isFinite(epochs) && epochs > 0)) throw new UserError(`--supernet-epochs must be a positive number, got ${epochs}`);
  const sampler = a.supernetSampler === undefined ? undefined : checkSampler(String(a.supernetSampler));
  const sharing = a.supernetSharing === undefined ? undefined : checkSharing(String(a.supernetSharing));
  const distill = a.supernetDistill === undefined ? undefined : Boolean(a.supernetDistill);
  const space = typeof a.space === 'string' ? { id: a.space, resolution: a.resolution as number | undefined } : undefined;
  return { training: o.training, file: file ?? `${out}.supernet`, epochs, sampler, distill, sharing, space };
}

export function supernetEvaluator(opts: SupernetEvaluatorOptions): AccuracyEvaluator {
  // A space no supernet can hold is refused now, before anything is sampled.
  if (opts.space) CandidateTable.check(createSpace(opts.space.id, opts.space.resolution === undefined ? {} : { resolution: opts.space.resolution }), opts.sharing ?? SUPERNET_DEFAULTS.sharing);
  const training = opts.training ?? {};
  const file = path.resolve(opts.file);
  const say = opts.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const settings = {
    ...dataSettings(training),
    epochs: opts.epochs ?? DEFAULT_SUPERNET_EPOCHS,
    sampler: opts.sampler ?? SUPERNET_DEFAULTS.sampler,
    distill: opts.distill ?? SUPERNET_DEFAULTS.distill,
    sharing: opts.sharing ?? SUPERNET_DEFAULTS.sharing,
    batchSize: training.batchSize ?? 64,
    optimizer: training.optimizer ?? {},
    warmupSteps: training.warmupSteps ?? 0,
    calibrationImages: opts.calibrationImages ?? 512,
  };
  const provenance: Record<string, unknown> = {
    kind: 'supernet',
    metric: 'validation top-1 accuracy (%) with the supernet weights of the path, BatchNorm recalibrated',
    checkpoint: file,
    ...(opts.space ? { space: opts.space } : {}),
    ...settings,
  };
  let ready: Promise<{ supernet: Supernet; data: Prepared }> | undefined;

  async function prepare(arch: Architecture): Promise<{ supernet: Supernet; data: Prepared }> {
    const backend = await useTrainingBackend(training.backend ?? 'auto');
    provenance.backend = backend.detail;
    const { data, source } = loadTrainingData(training);
    provenance.source = source;
    const which = opts.space ?? arch.space;
    if (!which) throw new UserError(`architecture '${arch.name}' names no search space, so the supernet evaluator cannot tell which supernet to build`, { hint: 'search a layer-wise space, e.g. --space mbv2 --resolution 32' });
    const space = createSpace(which.id, which.resolution === undefined ? {} : { resolution: which.resolution });
    const supernet = new Supernet(CandidateTable.build(space, data.train, data.train.classes, settings.seed, settings.sharing));
    const state = existsSync(file) ? 'found' : 'missing';
    say(`supernet ${file}: ${state === 'found' ? 'found, resuming or reusing it' : `missing, training it (${settings.sampler}, ${settings.epochs} epoch(s) on ${data.train.count} images${settings.sharing === 'nested' ? ', nested weights' : ''}${settings.distill ? ', in-place distillation' : ''})`}`);
    const report = opts.onProgress ?? ((p: SupernetProgress) => training.onProgress?.('supernet', p));
    const started = performance.now();
    try {
      const r = await supernet.train(data.train, {
        epochs: settings.epochs,
        batchSize: settings.batchSize,
        optimizer: settings.optimizer,
        warmupSteps: settings.warmupSteps,
        seed: settings.seed,
        sampler: settings.sampler,
        distill: settings.distill,
        checkpoint: file,
        settings: { space: { id: space.id, resolution: space.resolution }, ...dataSettings(training) },
        onProgress: report,
      });
      const seconds = (performance.now() - started) / 1000;
      provenance.supernet = { steps: r.totalSteps, trainedNow: r.steps - r.resumedFrom, resumedFrom: r.resumedFrom, space: { id: space.id, resolution: space.resolution } };
      if (r.steps > r.resumedFrom)
        say(`supernet ${file}: trained steps ${r.resumedFrom + 1}-${r.steps} of ${r.totalSteps} in ${seconds.toFixed(1)} s (${r.msPerStep.toFixed(0)} ms/step, last-epoch loss ${r.loss.toFixed(3)})`);
      else say(`supernet ${file}: finished (${r.totalSteps} steps), reusing it`);
    } catch (e) {
      supernet.dispose();
      throw e;
    }
    return { supernet, data };
  }

  return {
    id: 'supernet',
    provenance,
    async evaluate(arch: Architecture): Promise<number> {
      ready ??= prepare(arch);
      let s;
      try {
        s = await ready;
      } catch (e) {
        ready = undefined;
        throw e;
      }
      return s.supernet.evaluate(arch, s.data, { calibrationImages: settings.calibrationImages, batchSize: settings.batchSize });
    },
    async dispose() {
      const s = ready && (await ready.catch(() => undefined));
      s?.supernet.dispose();
      ready = undefined;
    },
  };
}

/** `nas search --evaluator supernet`'s check before the LUT is read: the space is layer-wise, and its options nest with the sharing the flags ask for. */
export function checkSupernetSpace(space: SearchSpace, args: Readonly<Record<string, unknown>>): void {
  CandidateTable.check(space, args.supernetSharing === undefined ? SUPERNET_DEFAULTS.sharing : checkSharing(String(args.supernetSharing)));
}

/** The evaluator as the registry makes it (`--evaluator supernet`). */
export function supernetEvaluatorFor(o: SupernetFlagOptions): AccuracyEvaluator {
  return supernetEvaluator(supernetOptionsFromArgs(o));
}
