/**
 * One-shot supernet (SPOS, Guo et al. 2020; FairNAS strict fairness, Chu et al. 2021; BigNAS's
 * sandwich rule with in-place distillation, Yu et al. 2020): one set of
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
 * Training runs in the loop the trainer runs in (loop.ts: budget, batches, cosine rate, divergence,
 * checkpoints); a step here is the sampled paths' gradients. Checkpoints hold every parameter
 * and statistic, the optimizer state, the step, and a fingerprint of the training (space, data shape,
 * weight sharing, budget, sampler, in-place distillation, optimizer, seed, and the caller's data
 * settings). Sharing is recorded only when nested, distillation only when on, so checkpoints written before the option existed (independent) still
 * match; an independent and a nested supernet never take each other's checkpoint. A killed training resumes to the
 * weights of an uninterrupted one: batches come from (seed, epoch), paths from (seed, step). A
 * non-finite loss stops with a UserError and never overwrites the last good checkpoint.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { Architecture } from '../../core/arch.js';
import { UserError } from '../../core/errors.js';
import type { Samples } from '../../data/types.js';
import { readCheckpoint } from '../checkpoint.js';
import { resolveBudget, restore, runLoop, type LoopOptions } from '../loop.js';
import type { Param } from '../nn/module.js';
import { Network } from '../nn/network.js';
import type { Optimizer, OptimizerConfig } from '../optimizer.js';
import { softmaxRows } from '../loss.js';
import { backpropBatch, evaluate, recalibrate, type TrainProgress } from '../trainer.js';
import { CandidateTable } from './candidates.js';
import { needsCosts, samplePaths, type SamplerKind } from './sampler.js';

/** The loop's budget, batches, optimizer and checkpoint (loop.ts; a fair step trains m paths on one batch; the seed also draws the paths), plus: */
export interface SupernetTrainOptions extends LoopOptions {
  sampler?: SamplerKind;
  /**
   * In-place distillation (BigNAS, Once-for-All): every path after the step's first learns the first
   * path's predictions (its softmax on the same batch, taken as constants) instead of the labels; the
   * first path learns the labels. With the sandwich sampler the first path is the largest sub-network.
   * Needs a sampler with several paths per step (sandwich or fair).
   */
  distill?: boolean;
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
  private describe(data: Samples, o: { batchSize: number; seed: number; total: number; warmupSteps: number; optimizer: OptimizerConfig; sampler: SamplerKind; distill: boolean; settings: Record<string, unknown> }) {
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
        // sandwich's random paths were uniform before they were drawn by depth: a checkpoint of the old rule is refused, naming this
        ...(o.sampler === 'sandwich' ? { sandwichRandom: 'depth' } : {}),
        ...(o.distill ? { distill: true } : {}),
        settings: o.settings,
      }),
    ) as Record<string, unknown>;
  }

  async train(data: Samples, opts: SupernetTrainOptions = {}): Promise<SupernetTrainResult> {
    this.checkData(data, 'training');
    const budget = resolveBudget(data, opts, 'supernet ');
    const sampler = opts.sampler ?? 'uniform';
    const distill = opts.distill ?? false;
    if (distill && (sampler === 'uniform' || sampler === 'depth'))
      throw new UserError('in-place distillation needs several paths per step (a teacher and its students)', { hint: 'use the sandwich sampler (the largest path teaches) or fair' });
    const counts = this.table.optionCounts();
    const costs = needsCosts(sampler) ? this.table.optionMacs() : undefined;
    const what = this.describe(data, { ...budget, sampler, distill, settings: opts.settings ?? {} });
    const id = createHash('sha256').update(JSON.stringify(what)).digest('hex').slice(0, 16);
    const params = this.table.params();
    const file = opts.checkpoint;
    const optionCounts = counts.map((n) => new Array<number>(n).fill(0));
    let paths = 0;
    const r = await runLoop({
      label: 'supernet training',
      data,
      budget,
      model: this.table,
      checkpoint: file
        ? { file, every: opts.checkpointEvery, meta: (step) => ({ kind: 'supernet', step, totalSteps: budget.total, fingerprint: id, training: what }), resume: (optimizer, f) => this.resume(optimizer, f, id, what) }
        : undefined,
      step: (batch, step) => {
        const chosen = samplePaths(sampler, counts, budget.seed, step, costs);
        let loss = 0;
        const uses = new Map<Param, number>();
        let teacher: Float32Array | undefined;
        for (const [j, choices] of chosen.entries()) {
          const net = this.network(choices);
          for (const p of net.params()) uses.set(p, (uses.get(p) ?? 0) + 1);
          const pathLoss = backpropBatch(
            net,
            batch,
            !distill ? {} : j === 0 ? { onLogits: (logits) => (teacher = softmaxRows(logits, net.classes)) } : { targets: teacher },
          );
          if (!Number.isFinite(pathLoss)) {
            for (const p of params) p.clearGrad();
            return { loss: pathLoss, passes: j + 1, where: `, path ${j + 1} of ${chosen.length}` };
          }
          loss += pathLoss;
        }
        meanGradients(uses);
        for (const choices of chosen) choices.forEach((o, i) => optionCounts[i][o]++);
        paths += chosen.length;
        return { loss, passes: chosen.length };
      },
      afterStep: (i) => opts.onProgress?.({ step: i.step, totalSteps: i.total, epoch: i.epoch, loss: i.loss, lr: i.lr, msPerStep: i.msPerStep, paths: i.passes }),
    });
    return { steps: r.steps, totalSteps: budget.total, resumedFrom: r.resumedFrom, loss: r.loss, msPerStep: r.msPerStep, paths, optionCounts };
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

