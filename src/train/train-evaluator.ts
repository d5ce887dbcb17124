/**
 * `train` evaluator: proxy accuracy by actually training each candidate for a fixed budget on a
 * slice of a real data set (Fashion-MNIST by default) and measuring top-1 accuracy on a held-out
 * validation split. The same seed gives the same accuracy on the same backend: initial weights,
 * split and batch order are all seeded.
 *
 * Candidates from a search space are built for its own input (e.g. 3x224x224, 1000 classes);
 * `adapt` (default) retargets them to the data: the input becomes the images' shape and the last
 * linear layer outputs the data set's classes. Every other layer is kept as it is.
 *
 * Before measuring, BatchNorm statistics are recalibrated on the training images: after a budget of
 * a few dozen steps the running averages still remember their initial values (validation accuracy
 * at or below chance without it on 12-step trainings).
 */
import type { Architecture } from '../core/arch.js';
import { UserError } from '../core/errors.js';
import { loadImageSet } from '../data/datasets.js';
import { prepare, type Prepared } from '../data/prepare.js';
import type { AccuracyEvaluator, OptimizerConfig, TrainEvaluatorOptions } from '../core/contracts.js';
import { useTrainingBackend, type BackendPreference, type TrainBackendInfo } from './backend.js';
import { Network } from './nn/network.js';
import { evaluate, recalibrate, train, } from './trainer.js';

export type { TrainEvaluatorOptions };


/** The architecture with the data's input shape and, in its last linear layer, the data's classes. */
export function adaptArchitecture(arch: Architecture, image: { channels: number; height: number; width: number }, classes: number): Architecture {
  const last = arch.layers[arch.layers.length - 1];
  if (!last || last.spec.kind !== 'linear')
    throw new UserError(`architecture '${arch.name}' does not end in a linear layer, so it cannot be retargeted to ${classes} classes`, {
      hint: 'end it with gpool + linear, or pass adapt: false with an architecture built for the data',
    });
  return {
    ...arch,
    input: [1, image.channels, image.height, image.width],
    layers: [...arch.layers.slice(0, -1), { ...last, spec: { ...last.spec, cout: classes } }],
  };
}

/** The data settings of `opts` with their defaults (Fashion-MNIST, 2560 images, 512 of them for validation). */
export function dataSettings(opts: TrainEvaluatorOptions): { dataset: string; limit: number; validation: number; downscale: number; seed: number } {
  return { dataset: opts.dataset ?? 'fashion-mnist', limit: opts.limit ?? 2560, validation: opts.validation ?? 512, downscale: opts.downscale ?? 1, seed: opts.seed ?? 0 };
}

/** Loads and prepares the images `opts` name (dataSettings): seeded subset and split, down-scaled, normalised. */
export function loadTrainingData(opts: TrainEvaluatorOptions): { data: Prepared; source: string } {
  const d = dataSettings(opts);
  const set = loadImageSet({ dataset: d.dataset, dir: opts.dataDir, part: 'train' });
  return { data: prepare(set, { limit: d.limit, validation: d.validation, seed: d.seed, downscale: d.downscale }), source: set.source };
}

/** Budget defaults of a training where none is given (the train evaluator's and `nas train`'s). */
export const TRAIN_BUDGET_DEFAULTS = { epochs: 2, batchSize: 64 } as const;

export function trainEvaluator(opts: TrainEvaluatorOptions = {}): AccuracyEvaluator {
  const settings = {
    ...dataSettings(opts),
    budget: opts.steps !== undefined ? { steps: opts.steps } : { epochs: opts.epochs ?? TRAIN_BUDGET_DEFAULTS.epochs },
    batchSize: opts.batchSize ?? TRAIN_BUDGET_DEFAULTS.batchSize,
    optimizer: opts.optimizer ?? {},
    warmupSteps: opts.warmupSteps ?? 0,
    seed: opts.seed ?? 0,
    adapt: opts.adapt ?? true,
    recalibrate: opts.recalibrate ?? true,
    // Undefined: the trainer's default (on for NASNet and DARTS cell networks).
    ...(opts.dropPath !== undefined ? { dropPath: opts.dropPath } : {}),
  };
  let data: Prepared | undefined;
  let backend: TrainBackendInfo | undefined;
  const provenance: Record<string, unknown> = { kind: 'train', metric: 'validation top-1 accuracy (%)', ...settings };
  return {
    id: 'train',
    provenance,
    async evaluate(arch: Architecture): Promise<number> {
      if (!backend) {
        backend = await useTrainingBackend(opts.backend ?? 'auto');
        provenance.backend = backend.detail;
      }
      if (!data) {
        const loaded = loadTrainingData(opts);
        data = loaded.data;
        provenance.source = loaded.source;
        provenance.images = { train: data.train.count, validation: data.validation.count, shape: [data.train.height, data.train.width, data.train.channels] };
      }
      const { train: trainSet, validation } = data;
      const target = settings.adapt ? adaptArchitecture(arch, trainSet, trainSet.classes) : arch;
      const net = new Network(target, { seed: settings.seed });
      try {
        await train(net, trainSet, {
          ...settings.budget,
          batchSize: settings.batchSize,
          optimizer: settings.optimizer,
          warmupSteps: settings.warmupSteps,
          seed: settings.seed,
          dropPath: settings.dropPath,
          onProgress: opts.onProgress && ((p) => opts.onProgress!(arch.name, p)),
        });
        if (settings.recalibrate) recalibrate(net, trainSet, trainSet.count, settings.batchSize);
        return evaluate(net, validation).accuracy;
      } finally {
        net.dispose();
      }
    },
  };
}
