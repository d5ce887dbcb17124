/**
 * One-shot supernet (SPOS, Guo et al. 2020; FairNAS strict fairness, Chu et al. 2021): one set of
 * weights for every sub-network of a layer-wise space (candidates.ts), trained once by sampling
 * single paths (sampler.ts), then any sub-network is scored by inheriting its path's weights,
 * recalibrating the BatchNorm statistics of that path on a few training batches and measuring
 * validation top-1 accuracy.
 *
 * A path is a Network over the supernet's own modules (NetworkOptions.modules), so the training
 * engine runs it unchanged: backpropBatch per path (the trainer's forward/loss/backward), gradients of
 * a step's paths added up, one optimizer update (SGD/Adam, cosine rate) over the parameters that got
 * a gradient (each gradient the mean over the step's paths that contain the parameter, see
 * meanGradients); parameters off the step's paths are left alone (no decay, no momentum step).
 *
 * Checkpoints use the trainer's format and pieces (snapshot/restore, atomic writes): every parameter
 * and statistic, the optimizer state, the step, and a fingerprint of the training (space, data shape,
 * weight sharing, budget, sampler, optimizer, seed, and the caller's data settings). Sharing is
 * recorded only when nested, so checkpoints written before the option existed (independent) still
 * match; an independent and a nested supernet never take each other's checkpoint. A killed training resumes to the
 * weights of an uninterrupted one: batches come from (seed, epoch), paths from (seed, step). A
 * non-finite loss stops with a UserError and never overwrites the last good checkpoint.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { Architecture } from '../../core/arch.js';
import { UserError } from '../../core/errors.js';
import { batchesPerEpoch, epochBatches } from '../../data/batches.js';
import type { Samples } from '../../data/types.js';
import { readCheckpoint, writeCheckpoint } from '../checkpoint.js';
import type { Param } from '../nn/module.js';
import { Network } from '../nn/network.js';
import { Optimizer, cosineLr, optimizerConfig, type OptimizerConfig } from '../optimizer.js';
import { backpropBatch, evaluate, keptCheckpoint, recalibrate, restore, snapshot, type TrainProgress } from '../trainer.js';
import { CandidateTable } from './candidates.js';
import { samplePaths, type SamplerKind } from './sampler.js';

export interface SupernetTrainOptions {
  /** Budget: epochs (default 1) or, when given, steps. A fair step trains m paths on one batch. */
  epochs?: number;
  steps?: number;
  batchSize?: number;
  optimizer?: Partial<OptimizerConfig>;
  warmupSteps?: number;
  /** Seed of the batch order and of the sampled paths. */
  seed?: number;
  sampler?: SamplerKind;
  /** Checkpoint file: written every `checkpointEvery` steps (default each epoch) and at the end; resumed from when present. */
  checkpoint?: string;
  checkpointEvery?: number;
  /** The caller's settings (data set, images, ...), kept in the checkpoint: a checkpoint of other settings is refused, naming what differs. */
  settings?: Record<string, unknown>;
  onProgress?: (p: SupernetProgress) => void;
}

export interface SupernetProgress extends TrainProgress {
  /** Paths trained in this step. */
  paths: number;
}

export interface SupernetTrainResult {
  steps: number;
  totalSteps: number;
  /** Step the run started from (> 0 when it resumed; = steps when the checkpoint was finished). */
  resumedFrom: number;
  /** Mean loss over this run's last epoch of paths (NaN when nothing was trained). */
  loss: number;
  msPerStep: number;
  /** Paths trained by this run. */
  paths: number;
  /** Times each option of each layer was trained by this run: optionCounts[layer][option]. */
  optionCounts: number[][];
}

export interface SubnetEvaluationOptions {
  /** Training images the BatchNorm statistics are recalibrated on (default 512: 8 batches of 64). */
  calibrationImages?: number;
  batchSize?: number;
}

/**
 * Turns each parameter's gradient, summed over the step's paths, into its mean over the paths that
 * contain it. FairNAS adds the m gradients up; then the stem and head, on every path, step m times as
 * far as any option, and at the default rate (SGD 0.05) mbv2 diverged (loss 16-18 after 4 steps).
 */
/** A fingerprint entry in a refusal; an absent `sharing` is the default, independent. */
function shown(key: string, v: unknown): string {
  return v === undefined && key === 'sharing' ? '"independent"' : JSON.stringify(v) ?? 'absent';
}

function meanGradients(uses: Map<Param, number>): void {
  for (const [p, n] of uses) {
    if (n < 2 || !p.grad) continue;
    const sum = p.grad;
    p.grad = tf.keep(tf.div(sum, n));
    sum.dispose();
  }
}

export class Supernet {
  constructor(readonly table: CandidateTable) {}

  /** The sub-network of a choice vector over the supernet's weights. */
  network(choices: readonly number[]): Network {
    const p = this.table.path(choices);
    return new Network(p.arch, { modules: p.modules });
  }

  private checkData(s: Samples, what: string): void {
    const { image, classes } = this.table;
    if (s.height !== image.height || s.width !== image.width || s.channels !== image.channels)
      throw new UserError(`${what} images are ${s.height}x${s.width}x${s.channels}, the supernet takes ${image.height}x${image.width}x${image.channels}`, {
        hint: 'use the data settings (--downscale, data set) the supernet was built for, or another --supernet file',
      });
    if (s.classes > classes) throw new UserError(`${what} has ${s.classes} classes, the supernet outputs ${classes}`);
  }

  /** What the training is, as recorded in (and compared with) its checkpoint. */
  private describe(data: Samples, o: { batchSize: number; seed: number; total: number; warmupSteps: number; optimizer: OptimizerConfig; sampler: SamplerKind; settings: Record<string, unknown> }) {
    const t = this.table;
    return JSON.parse(
      JSON.stringify({
        space: { id: t.space.id, resolution: t.space.resolution, decisions: t.layers.map((l) => l.options) },
        ...(t.sharing === 'independent' ? {} : { sharing: t.sharing }),
        input: t.input,
        classes: t.classes,
        data: [data.count, data.height, data.width, data.channels, data.classes],
        batchSize: o.batchSize,
        seed: o.seed,
        steps: o.total,
        warmupSteps: o.warmupSteps,
        optimizer: o.optimizer,
        sampler: o.sampler,
        settings: o.settings,
      }),
    ) as Record<string, unknown>;
  }

  async train(data: Samples, opts: SupernetTrainOptions = {}): Promise<SupernetTrainResult> {
    this.checkData(data, 'training');
    const batchSize = opts.batchSize ?? 64;
    if (!Number.isInteger(batchSize) || batchSize < 2) throw new UserError(`batch size must be a whole number ≥ 2 (BatchNorm needs it), got ${opts.batchSize}`);
    const perEpoch = batchesPerEpoch(data.count, batchSize, true);
    if (perEpoch === 0) throw new UserError(`${data.count} training images do not fill one batch of ${batchSize}`, { hint: 'lower the batch size or use more images' });
    if (opts.steps !== undefined && !(Number.isInteger(opts.steps) && opts.steps > 0)) throw new UserError(`supernet steps must be a positive whole number, got ${opts.steps}`);
    if (opts.epochs !== undefined && !(opts.epochs > 0)) throw new UserError(`supernet epochs must be positive, got ${opts.epochs}`);
    const total = opts.steps ?? Math.max(1, Math.round((opts.epochs ?? 1) * perEpoch));
    const seed = opts.seed ?? 0;
    const warmupSteps = opts.warmupSteps ?? 0;
    const sampler = opts.sampler ?? 'uniform';
    const config = optimizerConfig(opts.optimizer);
    const counts = this.table.optionCounts();
    const what = this.describe(data, { batchSize, seed, total, warmupSteps, optimizer: config, sampler, settings: opts.settings ?? {} });
    const id = createHash('sha256').update(JSON.stringify(what)).digest('hex').slice(0, 16);
    const params = this.table.params();
    const optimizer = new Optimizer(config, params);
    const file = opts.checkpoint;
    let step = 0;
    if (file && existsSync(file)) step = this.resume(optimizer, file, id, what);
    const resumedFrom = step;
    /** Step of the checkpoint on disk; undefined while none has been written (or resumed from). */
    let lastGood: number | undefined = file && existsSync(file) ? step : undefined;
    const save = () => {
      if (!file) return;
      writeCheckpoint(file, snapshot(this.table, optimizer, { kind: 'supernet', step, totalSteps: total, fingerprint: id, training: what }));
      lastGood = step;
    };
    const every = opts.checkpointEvery ?? perEpoch;
    const optionCounts = counts.map((n) => new Array<number>(n).fill(0));
    let epochLoss = 0;
    let epochPaths = 0;
    let paths = 0;
    const started = performance.now();
    try {
      for (const { epoch, newEpoch, batch } of epochBatches(data, batchSize, seed, step, total)) {
        if (newEpoch) {
          epochLoss = 0;
          epochPaths = 0;
        }
        const lr = cosineLr(config.lr, step, total, warmupSteps);
        const t0 = performance.now();
        const chosen = samplePaths(sampler, counts, seed, step);
        let stepLoss = 0;
        const uses = new Map<Param, number>();
        for (const [j, choices] of chosen.entries()) {
          const net = this.network(choices);
          for (const p of net.params()) uses.set(p, (uses.get(p) ?? 0) + 1);
          const loss = backpropBatch(net, batch);
          if (!Number.isFinite(loss)) {
            for (const p of params) p.clearGrad();
            throw new UserError(
              `supernet training diverged: the loss is ${loss} at step ${step + 1} of ${total} (epoch ${epoch + 1}, path ${j + 1} of ${chosen.length}); the step was not applied` +
                keptCheckpoint(file, lastGood),
              { hint: `lower the learning rate (it was ${lr.toPrecision(3)} at that step) or add warm-up steps` },
            );
          }
          stepLoss += loss;
        }
        meanGradients(uses);
        optimizer.apply(lr);
        for (const choices of chosen) choices.forEach((o, i) => optionCounts[i][o]++);
        step++;
        paths += chosen.length;
        epochLoss += stepLoss;
        epochPaths += chosen.length;
        opts.onProgress?.({ step, totalSteps: total, epoch, loss: stepLoss / chosen.length, lr, msPerStep: performance.now() - t0, paths: chosen.length });
        if (step % every === 0 || step === total) save();
      }
    } finally {
      optimizer.dispose();
    }
    return {
      steps: step,
      totalSteps: total,
      resumedFrom,
      loss: epochPaths ? epochLoss / epochPaths : NaN,
      msPerStep: step > resumedFrom ? (performance.now() - started) / (step - resumedFrom) : 0,
      paths,
      optionCounts,
    };
  }

  /** Restores a checkpoint of this training; refuses another one, naming what differs. */
  private resume(optimizer: Optimizer, file: string, id: string, what: Record<string, unknown>): number {
    const ck = readCheckpoint(file);
    if (ck.meta.kind !== 'supernet')
      throw new UserError(`${file} is a training checkpoint, not a supernet`, { hint: 'pass another --supernet file (it is created when missing)' });
    if (ck.meta.fingerprint !== id) {
      const saved = (ck.meta.training ?? {}) as Record<string, unknown>;
      const differs = [...new Set([...Object.keys(what), ...Object.keys(saved)])].filter((k) => !isDeepStrictEqual(saved[k], what[k]));
      throw new UserError(
        `supernet ${file} was trained with other settings (${differs.map((k) => `${k}: ${shown(k, saved[k])} there, ${shown(k, what[k])} here`).join('; ') || 'fingerprint differs'})`,
        { hint: 'use the same settings, pass another --supernet file, or delete it to train afresh' },
      );
    }
    return restore(this.table, optimizer, file, id, ck);
  }

  /**
   * Validation top-1 accuracy (%) of a sub-network with the supernet's weights: its path's BatchNorm
   * statistics are reset and re-estimated on the first training images (Network.recalibrate), then it
   * runs on the validation images. UserError when the supernet does not hold the architecture.
   */
  evaluate(arch: Architecture, data: { train: Samples; validation: Samples }, opts: SubnetEvaluationOptions = {}): number {
    const choices = this.table.choicesOf(arch);
    this.checkData(data.train, 'calibration');
    this.checkData(data.validation, 'validation');
    const batchSize = opts.batchSize ?? 64;
    const net = this.network(choices);
    recalibrate(net, data.train, opts.calibrationImages ?? 512, batchSize);
    return evaluate(net, data.validation).accuracy;
  }

  dispose(): void {
    this.table.dispose();
  }
}

