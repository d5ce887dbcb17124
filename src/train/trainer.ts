/**
 * Training one network: mini-batch SGD/Adam on softmax cross-entropy, run by the training loop the
 * supernet shares (loop.ts: budget, seeded batches, cosine rate, checkpoints a killed training resumes
 * from bit for bit, a clean stop on a non-finite loss); evaluation and BatchNorm recalibration.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import type { TrainProgress } from '../core/contracts.js';
import { UserError } from '../core/errors.js';
import { orderedBatches, type Batch } from '../data/batches.js';
import type { Samples } from '../data/types.js';
import type { Optimizer } from './optimizer.js';
import { resolveBudget, restore, runLoop, type Budget, type LoopOptions } from './loop.js';
import { argmaxRows, softmaxCrossEntropy, softTargetCrossEntropy } from './loss.js';
import type { Network } from './nn/network.js';
import { DropPath, dropPathRate, dropPathSeed, scheduledDropPath } from './nn/drop-path.js';
import type { DropPathDraw } from './nn/module.js';

/** Budget, batches, optimizer and checkpoint (loop.ts), plus validation and progress. */
export interface TrainOptions extends LoopOptions {
  /** Evaluated at the end of each epoch and reported through onProgress. */
  validation?: Samples;
  onProgress?: (p: TrainProgress) => void;
  /**
   * ScheduledDropPath's maximum probability (drop-path.ts), reached linearly over the steps; default 0.2 for
   * NASNet and DARTS cell networks, 0 (off) for the rest.
   */
  dropPath?: number;
}

export type { TrainProgress };

export interface TrainResult {
  steps: number;
  /** Step the run started from (> 0 when it resumed a checkpoint). */
  resumedFrom: number;
  /** Mean training loss over the last epoch's steps (or all steps of a shorter run). */
  loss: number;
  msPerStep: number;
  /** ScheduledDropPath's maximum probability this training used (0: off). */
  dropPath: number;
}

export interface Evaluation {
  /** Percent correct. */
  accuracy: number;
  loss: number;
}

/** Accuracy and loss of the network on samples, in inference mode (BatchNorm running statistics). */
export function evaluate(net: Network, s: Samples, batchSize = 256): Evaluation {
  let correct = 0;
  let loss = 0;
  for (const b of orderedBatches(s, batchSize)) {
    const logits = tf.tidy(() => net.forward(tf.tensor4d(b.x, [b.count, s.height, s.width, s.channels]), false).dataSync() as Float32Array);
    const r = softmaxCrossEntropy(logits, b.labels, net.classes);
    correct += argmaxRows(logits, net.classes).reduce((n, p, i) => n + (p === b.labels[i] ? 1 : 0), 0);
    loss += r.loss * b.count;
  }
  return { accuracy: (100 * correct) / s.count, loss: loss / s.count };
}

/** What backpropBatch learns from besides the batch's labels. */
export interface BackpropOptions {
  /** Soft targets, [count, classes] row-major (in-place distillation): the loss is the cross-entropy against them instead of the labels. */
  targets?: Float32Array;
  /** Receives the batch's logits ([count, classes], a copy), e.g. to make a teacher's targets. */
  onLogits?: (logits: Float32Array) => void;
  /** This step's drop-path masks (ScheduledDropPath, nn/drop-path.ts); none: every path kept. */
  dropPath?: DropPathDraw;
}

/**
 * Forward, loss and backward on a batch: the gradients add to Param.grad (nothing is applied).
 * Returns the batch's loss; when it is not finite the pass is dropped (net.cancelStep).
 */
export function backpropBatch(net: Network, batch: Batch, opts: BackpropOptions = {}): number {
  const [h, w, c] = net.imageShape;
  const loss = tf.tidy(() => {
    const logits = net.forward(tf.tensor4d(batch.x, [batch.count, h, w, c]), true, opts.dropPath).dataSync() as Float32Array;
    opts.onLogits?.(logits.slice());
    const r = opts.targets ? softTargetCrossEntropy(logits, opts.targets, net.classes) : softmaxCrossEntropy(logits, batch.labels, net.classes);
    if (Number.isFinite(r.loss)) net.backward(tf.tensor2d(r.grad, [batch.count, net.classes]));
    return r.loss;
  });
  if (!Number.isFinite(loss)) net.cancelStep();
  return loss;
}

/**
 * One optimisation step on a batch as the loop runs it (loop.ts): forward, loss, backward, update at
 * rate `lr`. Returns the batch's loss; when it is not finite nothing is applied. For benchmarks.
 */
export function trainStep(net: Network, optimizer: Optimizer, batch: Batch, lr: number): number {
  const loss = backpropBatch(net, batch);
  if (Number.isFinite(loss)) optimizer.apply(lr);
  return loss;
}

/** BatchNorm recalibration (Network.recalibrate) on up to `maxImages` training images, in stored order. */
export function recalibrate(net: Network, s: Samples, maxImages = 2048, batchSize = 64): void {
  const [h, w, c] = net.imageShape;
  const batches = function* () {
    let seen = 0;
    for (const b of orderedBatches(s, batchSize)) {
      if (seen >= maxImages || b.count < 2) return;
      seen += b.count;
      const x = tf.tensor4d(b.x, [b.count, h, w, c]);
      yield x;
      x.dispose();
    }
  };
  net.recalibrate(batches());
}

function fingerprint(net: Network, data: Samples, o: Pick<Budget, 'batchSize' | 'seed' | 'warmupSteps' | 'total' | 'optimizer'> & { dropPath: number }): string {
  const what = {
    input: net.arch.input,
    layers: net.arch.layers,
    data: [data.count, data.height, data.width, data.channels, data.classes],
    batchSize: o.batchSize,
    seed: o.seed,
    total: o.total,
    warmup: o.warmupSteps,
    optimizer: o.optimizer,
    // Only when on: trainings without drop-path keep the fingerprints they always had.
    ...(o.dropPath > 0 ? { dropPath: o.dropPath } : {}),
  };
  return createHash('sha256').update(JSON.stringify(what)).digest('hex').slice(0, 16);
}

function checkImages(net: Network, s: Samples, what: string): void {
  const [h, w, c] = net.imageShape;
  if (s.height !== h || s.width !== w || s.channels !== c)
    throw new UserError(`${what} images are ${s.height}x${s.width}x${s.channels}, the network takes ${h}x${w}x${c}`, {
      hint: 'build the architecture for the data set (input shape) or down-scale the images',
    });
  if (s.classes > net.classes) throw new UserError(`${what} has ${s.classes} classes, the network outputs ${net.classes}`);
}

export async function train(net: Network, data: Samples, opts: TrainOptions = {}): Promise<TrainResult> {
  checkImages(net, data, 'training');
  if (opts.validation) checkImages(net, opts.validation, 'validation');
  const budget = resolveBudget(data, opts);
  const dropPath = dropPathRate(net.arch, opts.dropPath);
  const id = fingerprint(net, data, { ...budget, optimizer: budget.optimizer, dropPath });
  // Step t's masks come from (seed, t) alone, so a resumed training draws what the uninterrupted one drew.
  const drawAt = (step: number) => (dropPath > 0 ? new DropPath(scheduledDropPath(dropPath, step, budget.total), dropPathSeed(budget.seed, step)) : undefined);
  const file = opts.checkpoint;
  const r = await runLoop({
    label: 'training',
    data,
    budget,
    model: net,
    checkpoint: file ? { file, every: opts.checkpointEvery, meta: (step) => ({ step, fingerprint: id, arch: net.arch.name, seed: budget.seed }), resume: (optimizer, f) => restore(net, optimizer, f, id) } : undefined,
    step: (batch, step) => ({ loss: backpropBatch(net, batch, { dropPath: drawAt(step) }), passes: 1 }),
    afterStep(i) {
      const validationAccuracy = i.endOfEpoch && opts.validation ? evaluate(net, opts.validation).accuracy : undefined;
      opts.onProgress?.({ step: i.step, totalSteps: i.total, epoch: Math.floor((i.step - 1) / budget.perEpoch), loss: i.loss, lr: i.lr, msPerStep: i.msPerStep, validationAccuracy });
    },
  });
  return { steps: r.steps, resumedFrom: r.resumedFrom, loss: r.loss, msPerStep: r.msPerStep, dropPath };
}
