/**
 * nas train / nas-train: train one architecture (file, published net or random member of a space) on an
 * image data set with the tfjs engine (src/train/), export it to ONNX with BatchNorm folded, and check
 * the file against the network: the same validation images through tfjs and onnxruntime-node, logits
 * within 1e-4 and equal accuracies, or a non-zero exit. Writes `<out>` and a sidecar `<out minus .onnx>.json`;
 * the training checkpoints to `<out>.ckpt` (or --checkpoint) and a rerun resumes from it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { UserError } from '../../core/errors.js';
import { readCheckpoint } from '../../train/checkpoint.js';
import { emit, log } from '../output.js';
import { createProgress } from '../progress.js';
import { archSourceOptions, resolveArchitectures, type ArchSourceArgs, trainingOptions, trainingSettings, type TrainingArgs } from './common.js';

interface TrainArgs extends Omit<TrainingArgs, 'seed'>, ArchSourceArgs {
  json: boolean;
  out: string;
  checkpoint?: string;
  checkpointEvery?: number;
}


export const TRAINED_FORMAT = 'hw-nas-trained-net';
export const TRAINED_VERSION = 1;

export function sidecarPath(out: string): string {
  return out.replace(/\.onnx$/i, '') + '.json';
}

function outputs(arch: { layers: readonly { spec: { kind: string; cout?: number } }[] }): number | undefined {
  const last = arch.layers[arch.layers.length - 1]?.spec;
  return last?.kind === 'linear' ? last.cout : undefined;
}

function checkArgs(a: TrainArgs): void {
  if (!a.out?.trim() || !/\.onnx$/i.test(a.out)) throw new UserError(`--out must name the ONNX file to write (ending in .onnx), got '${a.out ?? ''}'`, { hint: 'e.g. --out net.onnx' });
  if (a.checkpointEvery !== undefined && !(Number.isInteger(a.checkpointEvery) && a.checkpointEvery > 0))
    throw new UserError(`--checkpoint-every must be a positive whole number of steps, got ${a.checkpointEvery}`);
  if (!Number.isInteger(a.seed)) throw new UserError(`--seed must be an integer, got ${a.seed}`);
}

/** A diverged training's error, saying where its last good checkpoint is and what a rerun must change. */
function divergence(e: unknown, checkpoint: string): unknown {
  if (!(e instanceof UserError) || !e.message.startsWith('training diverged')) return e;
  let kept = 'no checkpoint was written before it diverged';
  if (existsSync(checkpoint)) kept = `the last good checkpoint (step ${String(readCheckpoint(checkpoint).meta.step)}) is kept in ${checkpoint}`;
  const message = e.message.includes(checkpoint) ? e.message : `${e.message}; ${kept}`;
  return new UserError(message, {
    cause: e,
    hint: 'rerun with a lower --train-lr; a different learning rate is another training, so pass another --checkpoint path or delete the old one',
  });
}

async function runTrain(a: TrainArgs): Promise<void> {
  checkArgs(a);
  const given = trainingSettings(a);
  const { dataSettings, TRAIN_BUDGET_DEFAULTS } = await import('../../train/train-evaluator.js');
  // Flags not given take the train evaluator's defaults.
  const settings = { ...TRAIN_BUDGET_DEFAULTS, ...given, ...dataSettings(given) };
  const random = a.random as number | undefined;
  if (random !== undefined && random !== 1) throw new UserError('nas train trains one network: use --random 1 (or --random) with --seed K');
  const [arch] = await resolveArchitectures({ ...a, random });
  // A --drop-path the network cannot apply fails before the data loads.
  (await import('../../train/nn/drop-path.js')).dropPathRate(arch, settings.dropPath);
  const [{ useTrainingBackend }, { loadImageSet }, { prepare }, { Network }, trainer, { adaptArchitecture }, exporter, { archToJson }] = await Promise.all([
    import('../../train/backend.js'),
    import('../../data/datasets.js'),
    import('../../data/prepare.js'),
    import('../../train/nn/network.js'),
    import('../../train/trainer.js'),
    import('../../train/train-evaluator.js'),
    import('../../train/export-trained.js'),
    import('../../core/arch-file.js'),
  ]);

  // --seed seeds the space sample (above), the split, the initial weights and the batch order.
  const seed = settings.seed ?? a.seed;
  // Data first: a missing or corrupt file fails before the backend starts.
  const set = loadImageSet({ dataset: settings.dataset, dir: settings.dataDir, part: 'train' });
  const data = prepare(set, { limit: settings.limit, validation: settings.validation, seed, downscale: settings.downscale });
  const backend = await useTrainingBackend(settings.backend ?? 'auto');
  const target = adaptArchitecture(arch, data.train, data.train.classes);
  const net = new Network(target, { seed });
  const checkpoint = a.checkpoint ?? `${a.out}.ckpt`;
  const budget = settings.steps !== undefined ? { steps: settings.steps } : { epochs: settings.epochs };
  log(
    `training ${target.name} on ${data.train.count} ${set.name} images ${data.train.height}x${data.train.width}x${data.train.channels} ` +
      `(${data.validation.count} for validation), ${'steps' in budget ? `${budget.steps} steps` : `${budget.epochs} epochs`} of batch ${settings.batchSize}, ${backend.detail}`,
  );
  const progress = createProgress(`train ${target.name}`, 0, { quiet: false });
  let validationAccuracy: number | undefined;
  const t0 = performance.now();
  try {
    let result: Awaited<ReturnType<typeof trainer.train>>;
    try {
      result = await trainer.train(net, data.train, {
        ...budget,
        batchSize: settings.batchSize,
        optimizer: settings.optimizer,
        warmupSteps: settings.warmupSteps,
        dropPath: settings.dropPath,
        seed,
        checkpoint,
        checkpointEvery: a.checkpointEvery,
        validation: data.validation,
        onProgress: (p) => {
          if (p.validationAccuracy !== undefined) validationAccuracy = p.validationAccuracy;
          progress.setTotal(p.totalSteps);
          progress.update(p.step, `loss ${p.loss.toFixed(4)}${validationAccuracy === undefined ? '' : ` | val ${validationAccuracy.toFixed(2)}%`} | ${p.msPerStep.toFixed(0)} ms/step`);
        },
      });
    } catch (e) {
      throw divergence(e, checkpoint);
    } finally {
      progress.stop();
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    /** Steps this run trained (0 when the checkpoint already held them all). */
    const ran = result.steps - result.resumedFrom;
    if (result.resumedFrom > 0) log(`resumed from step ${result.resumedFrom} of ${result.steps} (checkpoint ${checkpoint})`);
    // As the train evaluator: BatchNorm statistics from the trained weights before measuring.
    trainer.recalibrate(net, data.train, data.train.count, settings.batchSize);

    const exported = exporter.exportTrained(net, a.out);
    const check = await exporter.checkTrainedExport(net, exported.model.onnx, data.validation);
    const sidecar = sidecarPath(a.out);
    const doc = {
      format: TRAINED_FORMAT,
      version: TRAINED_VERSION,
      onnx: path.basename(a.out),
      name: target.name,
      inputs: exported.model.inputs,
      output: 'output',
      preprocessing: {
        layout: 'NCHW, float32',
        pixels: `bytes / 255${settings.downscale > 1 ? `, averaged over ${settings.downscale}x${settings.downscale} blocks` : ''}, then (x - mean) / std per channel`,
        ...data.normalisation,
      },
      accuracy: { tfjs: check.tfjsAccuracy, onnx: check.onnxAccuracy, metric: 'validation top-1 accuracy (%)', images: check.images },
      exportCheck: { maxAbsDiff: check.maxAbsDiff, maxAbsLogit: check.maxAbsLogit, roundingMaxAbsDiff: check.roundingMaxAbsDiff, tolerance: check.tolerance, disagreements: check.disagreements, passed: check.passed, runtime: 'onnxruntime-node (cpu EP, 1 thread)' },
      data: {
        dataset: set.name,
        source: set.source,
        part: set.part,
        limit: settings.limit,
        validation: settings.validation,
        downscale: settings.downscale,
        split: { seed, train: data.train.count, validation: data.validation.count },
        shape: [data.train.height, data.train.width, data.train.channels],
        classes: set.classNames,
      },
      training: {
        ...budget,
        steps: result.steps,
        resumedFrom: result.resumedFrom,
        batchSize: settings.batchSize,
        optimizer: settings.optimizer ?? {},
        seed,
        dropPath: result.dropPath,
        backend: backend.detail,
        // This run's figures: a resumed run reports the steps it ran itself.
        stepsThisRun: ran,
        finalLoss: ran ? result.loss : null,
        msPerStep: result.msPerStep,
        seconds: trainSeconds,
        bnRecalibrated: true,
        checkpoint,
      },
      source: { name: arch.name, input: arch.input, classes: outputs(arch), adaptedTo: { input: target.input, classes: outputs(target) } },
      architecture: archToJson(target),
    };
    exporter.writeAtomically(sidecar, JSON.stringify(doc, null, 1) + '\n');
    const summary = {
      out: a.out,
      sidecar,
      checkpoint,
      name: target.name,
      bytes: exported.bytes,
      input: exported.input,
      steps: result.steps,
      resumedFrom: result.resumedFrom,
      seconds: trainSeconds,
      stepsThisRun: ran,
      finalLoss: ran ? result.loss : null,
      tfjsAccuracy: check.tfjsAccuracy,
      onnxAccuracy: check.onnxAccuracy,
      maxAbsDiff: check.maxAbsDiff,
      maxAbsLogit: check.maxAbsLogit,
      roundingMaxAbsDiff: check.roundingMaxAbsDiff,
      tolerance: check.tolerance,
      validationImages: check.images,
      passed: check.passed,
      backend: backend.detail,
      dropPath: result.dropPath,
    };
    emit(a, summary, () =>
      [
        ran === 0
          ? `${target.name}: nothing left to train, ${checkpoint} holds all ${result.steps} steps (delete it to train again)`
          : `trained ${target.name}: ${ran} steps${result.resumedFrom ? ` (${result.resumedFrom + 1}-${result.steps})` : ''} in ${trainSeconds.toFixed(1)} s (${result.msPerStep.toFixed(0)} ms/step), mean loss of the last epoch's steps ${result.loss.toFixed(4)}${result.dropPath > 0 ? `, drop-path up to ${result.dropPath}` : ''}`,
        `validation accuracy (${check.images} images): tfjs ${check.tfjsAccuracy.toFixed(2)}%, ONNX (onnxruntime-node) ${check.onnxAccuracy.toFixed(2)}%`,
        `max |Δlogit| tfjs vs ONNX: ${check.maxAbsDiff.toExponential(2)} (bar ${check.tolerance.toExponential(2)}: 1e-4, or ${exporter.ROUNDING_FACTOR}× the ${check.roundingMaxAbsDiff.toExponential(2)} that float32 rounding of the weights alone moves the logits; logits up to ${check.maxAbsLogit.toFixed(1)} in magnitude)`,
        `wrote ${a.out} (${(exported.bytes / 1024).toFixed(0)} KiB, input ${exported.input.join('x')}) and ${sidecar}`,
        '',
      ].join('\n'),
    );
    if (!check.passed)
      throw new UserError(
        `the exported model does not match the trained network: max |Δlogit| ${check.maxAbsDiff} (bar ${check.tolerance}), accuracy ${check.onnxAccuracy}% in ONNX against ${check.tfjsAccuracy}% in tfjs`,
        {
          exitCode: 1,
          hint:
            check.maxAbsDiff <= check.tolerance
              ? `the logits agree within the bar but the accuracies differ: an image near a tie between two classes; the files are kept`
              : `this is a bug in the exporter or the BatchNorm folding for one of the layer kinds of ${target.name}; the files are kept for inspection`,
        },
      );
  } finally {
    net.dispose();
  }
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'train an architecture on an image data set (tfjs), export it to ONNX with BatchNorm folded, and check the ONNX file against it',
  builder: (y) =>
    trainingOptions(archSourceOptions(y, { single: true }))
      .option('out', { type: 'string', demandOption: true, describe: 'ONNX file to write (a sidecar JSON goes beside it)' })
      .option('checkpoint', { type: 'string', describe: 'checkpoint file (default <out>.ckpt); a rerun resumes from it' })
      .option('checkpoint-every', { type: 'number', describe: 'write the checkpoint every N steps (default: each epoch, and at the end)' })
      .example('$0 train --space mbv2 --random --seed 3 --train-epochs 3 --out net.onnx', 'a random mbv2 member retargeted to Fashion-MNIST 28x28')
      .example('$0 train --published MobileNetV2-1.0 --train-images 12000 --train-validation 2000 --train-epochs 3 --out mbv2.onnx', '') as never,
  handler: async (a) => {
    // Two trainings into one checkpoint would resume from each other's steps: the second refuses.
    const { holdLock } = await import('../../core/file-lock.js');
    const unlock = holdLock(a.checkpoint ?? `${a.out}.ckpt`, 'training checkpoint');
    try {
      await runTrain(a);
    } finally {
      unlock();
    }
  },
};
