/**
 * The training loop: mini-batch SGD/Adam on softmax cross-entropy with a cosine learning rate,
 * seeded shuffling (the batches of epoch e depend on (seed, e) only), checkpoints a killed training
 * resumes from bit for bit, and a clean stop on a non-finite loss.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../core/errors.js';
import { batchesPerEpoch, epochBatches, orderedBatches, type Batch } from '../data/batches.js';
import type { Samples } from '../data/types.js';
import { readCheckpoint, writeCheckpoint, type CheckpointData, type NamedTensor } from './checkpoint.js';
import { argmaxRows, softmaxCrossEntropy } from './loss.js';
import type { Param } from './nn/module.js';
import type { Network } from './nn/network.js';
import { Optimizer, cosineLr, optimizerConfig, type OptimizerConfig } from './optimizer.js';

export interface TrainOptions {
  /** Budget: whole epochs (default 1) or, when given, a number of steps. */
  epochs?: number;
  steps?: number;
  batchSize?: number;
  optimizer?: Partial<OptimizerConfig>;
  /** Linear warm-up steps before the cosine decay. */
  warmupSteps?: number;
  /** Seed of the batch order. */
  seed?: number;
  /** Checkpoint file: written every `checkpointEvery` steps (default: each epoch) and at the end; resumed from when present. */
  checkpoint?: string;
  checkpointEvery?: number;
  /** Evaluated at the end of each epoch and reported through onProgress. */
  validation?: Samples;
  onProgress?: (p: TrainProgress) => void;
}

export interface TrainProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  lr: number;
  msPerStep: number;
  /** At the end of an epoch when validation data was given, percent. */
  validationAccuracy?: number;
}

export interface TrainResult {
  steps: number;
  /** Step the run started from (> 0 when it resumed a checkpoint). */
  resumedFrom: number;
  /** Mean training loss over the last epoch's steps (or all steps of a shorter run). */
  loss: number;
  msPerStep: number;
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

/**
 * Forward, loss and backward on a batch: the gradients add to Param.grad (nothing is applied).
 * Returns the batch's loss; when it is not finite the pass is dropped (net.cancelStep).
 */
export function backpropBatch(net: Network, batch: Batch): number {
  const [h, w, c] = net.imageShape;
  const loss = tf.tidy(() => {
    const logits = net.forward(tf.tensor4d(batch.x, [batch.count, h, w, c]), true);
    const r = softmaxCrossEntropy(logits.dataSync() as Float32Array, batch.labels, net.classes);
    if (Number.isFinite(r.loss)) net.backward(tf.tensor2d(r.grad, [batch.count, net.classes]));
    return r.loss;
  });
  if (!Number.isFinite(loss)) net.cancelStep();
  return loss;
}

/**
 * One optimisation step on a batch: forward, loss, backward, parameter update at rate `lr`.
 * Returns the batch's loss; when it is not finite nothing is applied (weights, BatchNorm statistics
 * and optimizer state stay as they were).
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

function fingerprint(net: Network, data: Samples, o: Required<Pick<TrainOptions, 'batchSize' | 'seed' | 'warmupSteps'>> & { total: number; optimizer: OptimizerConfig }): string {
  const what = {
    input: net.arch.input,
    layers: net.arch.layers,
    data: [data.count, data.height, data.width, data.channels, data.classes],
    batchSize: o.batchSize,
    seed: o.seed,
    total: o.total,
    warmup: o.warmupSteps,
    optimizer: o.optimizer,
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
  const batchSize = opts.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 2) throw new UserError(`batch size must be a whole number ≥ 2 (BatchNorm needs it), got ${opts.batchSize}`);
  const perEpoch = batchesPerEpoch(data.count, batchSize, true);
  if (perEpoch === 0) throw new UserError(`${data.count} training images do not fill one batch of ${batchSize}`, { hint: 'lower --batch or raise --limit' });
  if (opts.steps !== undefined && !(Number.isInteger(opts.steps) && opts.steps > 0)) throw new UserError(`steps must be a positive whole number, got ${opts.steps}`);
  if (opts.epochs !== undefined && !(opts.epochs > 0)) throw new UserError(`epochs must be positive, got ${opts.epochs}`);
  const total = opts.steps ?? Math.max(1, Math.round((opts.epochs ?? 1) * perEpoch));
  const seed = opts.seed ?? 0;
  const warmupSteps = opts.warmupSteps ?? 0;
  const config = optimizerConfig(opts.optimizer);
  const optimizer = new Optimizer(config, net.params());
  const id = fingerprint(net, data, { batchSize, seed, warmupSteps, total, optimizer: config });
  const every = opts.checkpointEvery ?? perEpoch;
  let step = 0;
  if (opts.checkpoint && existsSync(opts.checkpoint)) step = restore(net, optimizer, opts.checkpoint, id);
  const resumedFrom = step;
  /** Step of the checkpoint on disk; undefined while none has been written (or resumed from). */
  let lastGood: number | undefined = opts.checkpoint && existsSync(opts.checkpoint) ? step : undefined;
  const save = () => {
    if (!opts.checkpoint) return;
    writeCheckpoint(opts.checkpoint, snapshot(net, optimizer, { step, fingerprint: id, arch: net.arch.name, seed }));
    lastGood = step;
  };

  let epochLoss = 0;
  let epochSteps = 0;
  const started = performance.now();
  try {
    for (const { epoch, newEpoch, batch } of epochBatches(data, batchSize, seed, step, total)) {
      if (newEpoch) {
        epochLoss = 0;
        epochSteps = 0;
      }
      const lr = cosineLr(config.lr, step, total, warmupSteps);
      const t0 = performance.now();
      const loss = trainStep(net, optimizer, batch, lr);
      if (!Number.isFinite(loss)) {
        throw new UserError(
          `training diverged: the loss is ${loss} at step ${step + 1} of ${total} (epoch ${epoch + 1}); the step was not applied` +
            keptCheckpoint(opts.checkpoint, lastGood),
          { hint: `lower the learning rate (it was ${lr.toPrecision(3)} at that step) or add warm-up steps` },
        );
      }
      step++;
      epochLoss += loss;
      epochSteps++;
      const endOfEpoch = step % perEpoch === 0 || step === total;
      const validationAccuracy = endOfEpoch && opts.validation ? evaluate(net, opts.validation).accuracy : undefined;
      opts.onProgress?.({ step, totalSteps: total, epoch: Math.floor((step - 1) / perEpoch), loss, lr, msPerStep: performance.now() - t0, validationAccuracy });
      if (step % every === 0 || step === total) save();
    }
  } finally {
    optimizer.dispose();
  }
  return {
    steps: step,
    resumedFrom,
    loss: epochSteps ? epochLoss / epochSteps : NaN,
    msPerStep: step > resumedFrom ? (performance.now() - started) / (step - resumedFrom) : 0,
  };
}

/** The end of a divergence message: which checkpoint is kept (none without a file, or before the first write). */
export function keptCheckpoint(file: string | undefined, lastGood: number | undefined): string {
  if (!file) return '';
  return lastGood === undefined ? '; no checkpoint had been written yet' : `, the last good checkpoint (step ${lastGood}) is kept in ${file}`;
}

/** What a checkpoint holds: every parameter and statistic, the optimizer state, and `meta`. */
export function snapshot(net: { params(): Param[] }, optimizer: Optimizer, meta: Record<string, unknown>): CheckpointData {
  const tensors = new Map<string, NamedTensor>();
  const add = (name: string, t: tf.Tensor) => {
    const data = (t.dataSync() as Float32Array).slice();
    // A non-finite weight must never replace the last good checkpoint.
    if (!data.every(Number.isFinite)) throw new UserError(`training diverged: ${name} is not finite at step ${meta.step}; the checkpoint was not overwritten`, { hint: 'lower the learning rate' });
    tensors.set(name, { shape: t.shape, data });
  };
  for (const p of net.params()) add(p.name, p.value);
  for (const [name, t] of optimizer.stateTensors()) add(`optimizer.${name}`, t);
  return { meta: { ...meta, optimizerSteps: optimizer.steps }, tensors };
}

/** Loads a checkpoint written by snapshot() for the training with fingerprint `id`; returns its step. */
export function restore(net: { params(): Param[] }, optimizer: Optimizer, file: string, id: string, ck: CheckpointData = readCheckpoint(file)): number {
  if (ck.meta.fingerprint !== id)
    throw new UserError(`checkpoint ${file} belongs to another training (different network, data, budget or options)`, {
      hint: 'delete it, or pass another --checkpoint path, to start this training afresh',
    });
  for (const p of net.params()) {
    const t = ck.tensors.get(p.name);
    if (!t || t.data.length !== p.value.size) throw new UserError(`checkpoint ${file} lacks ${p.name} or has it with another shape`);
    tf.tidy(() => p.variable.assign(tf.tensor(t.data, p.value.shape)));
  }
  const state = new Map<string, tf.Tensor>();
  for (const [name, t] of ck.tensors) if (name.startsWith('optimizer.')) state.set(name.slice('optimizer.'.length), tf.tensor(t.data, t.shape));
  optimizer.load(state, Number(ck.meta.optimizerSteps ?? 0));
  return Number(ck.meta.step);
}
