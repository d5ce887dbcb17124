/**
 * The one training loop, shared by the trainer (one network) and the supernet (sampled paths): budget
 * in epochs or steps, seeded batches (epoch e depends on (seed, e) only), a cosine learning rate with
 * warm-up, checkpoints every `checkpointEvery` steps and at the end that a killed run resumes from bit
 * for bit, and a clean stop on a non-finite loss that never applies the step nor overwrites the last
 * good checkpoint. What a step computes (its gradients) is the caller's; the loop applies them.
 */
import { existsSync } from 'node:fs';
import type { OptimizerConfig, TrainingBudget } from '../core/contracts.js';
import { UserError } from '../core/errors.js';
import { letSignalsIn } from '../core/interrupt.js';
import { batchesPerEpoch, epochBatches, type Batch } from '../data/batches.js';
import type { Samples } from '../data/types.js';
import * as tf from '@tensorflow/tfjs';
import { readCheckpoint, writeCheckpoint, type CheckpointData, type NamedTensor } from './checkpoint.js';
import type { Param } from './nn/module.js';
import { Optimizer, cosineLr, optimizerConfig } from './optimizer.js';

/** The budget (epochs default 1) and where the loop checkpoints. */
export interface LoopOptions extends TrainingBudget {
  /** Checkpoint file: written every `checkpointEvery` steps (default: each epoch) and at the end; resumed from when present. */
  checkpoint?: string;
  checkpointEvery?: number;
}

/** The budget a loop runs, resolved and checked from LoopOptions. */
export interface Budget {
  batchSize: number;
  perEpoch: number;
  total: number;
  seed: number;
  warmupSteps: number;
  optimizer: OptimizerConfig;
}

/** Checks the options against the data; `what` prefixes the messages ('' or 'supernet '). */
export function resolveBudget(data: Samples, o: LoopOptions, what = ''): Budget {
  const batchSize = o.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 2) throw new UserError(`batch size must be a whole number ≥ 2 (BatchNorm needs it), got ${o.batchSize}`);
  const perEpoch = batchesPerEpoch(data.count, batchSize, true);
  if (perEpoch === 0) throw new UserError(`${data.count} training images do not fill one batch of ${batchSize}`, { hint: 'lower the batch size (--train-batch) or use more images (--train-images)' });
  if (o.steps !== undefined && !(Number.isInteger(o.steps) && o.steps > 0)) throw new UserError(`${what}steps must be a positive whole number, got ${o.steps}`);
  if (o.epochs !== undefined && !(o.epochs > 0)) throw new UserError(`${what}epochs must be positive, got ${o.epochs}`);
  return {
    batchSize,
    perEpoch,
    total: o.steps ?? Math.max(1, Math.round((o.epochs ?? 1) * perEpoch)),
    seed: o.seed ?? 0,
    warmupSteps: o.warmupSteps ?? 0,
    optimizer: optimizerConfig(o.optimizer),
  };
}

/** What one step computed: the gradients are on the parameters (Param.grad), not applied. */
export interface StepOutcome {
  /** Sum of the losses of the step's passes (one pass for a network, one per path for a supernet). */
  loss: number;
  /** Passes the loss sums over. */
  passes: number;
  /** Where a non-finite loss arose, added to the message (e.g. ', path 2 of 4'); the step clears its gradients then. */
  where?: string;
}

export interface StepInfo {
  step: number;
  total: number;
  epoch: number;
  /** Mean loss of the step's passes. */
  loss: number;
  lr: number;
  msPerStep: number;
  passes: number;
  endOfEpoch: boolean;
}

export interface LoopSpec {
  /** Names the training in a divergence message: 'training', 'supernet training'. */
  label: string;
  data: Samples;
  budget: Budget;
  /** What is trained, saved and restored (a Network, a supernet's candidate table). */
  model: { params(): Param[] };
  checkpoint?: {
    file: string;
    every?: number;
    /** Recorded with every checkpoint (step and fingerprint included by the caller's `meta`). */
    meta: (step: number) => Record<string, unknown>;
    /** Restores the file onto the model and optimizer, refusing another training's; returns its step. */
    resume(optimizer: Optimizer, file: string): number;
  };
  /** Computes the gradients of one step on `batch`; `step` counts from 0. */
  step(batch: Batch, step: number): StepOutcome;
  /** After each applied step (progress, validation); may throw to stop the run (the checkpoint of the step is not written then). */
  afterStep?(info: StepInfo): void;
}

export interface LoopResult {
  steps: number;
  /** Step the run started from (> 0 when it resumed a checkpoint; = steps when it was finished). */
  resumedFrom: number;
  /** Mean loss over this run's last epoch of passes (NaN when nothing was trained). */
  loss: number;
  msPerStep: number;
}

export async function runLoop(spec: LoopSpec): Promise<LoopResult> {
  const { budget: b, checkpoint: ck } = spec;
  const optimizer = new Optimizer(b.optimizer, spec.model.params());
  try {
    const found = ck !== undefined && existsSync(ck.file);
    let step = found ? ck.resume(optimizer, ck.file) : 0;
    const resumedFrom = step;
    /** Step of the checkpoint on disk; undefined while none has been written (or resumed from). */
    let lastGood: number | undefined = found ? step : undefined;
    const every = ck?.every ?? b.perEpoch;
    let epochLoss = 0;
    let epochPasses = 0;
    const started = performance.now();
    for (const { epoch, newEpoch, batch } of epochBatches(spec.data, b.batchSize, b.seed, step, b.total)) {
      if (newEpoch) {
        epochLoss = 0;
        epochPasses = 0;
      }
      await letSignalsIn(); // Ctrl-C / SIGTERM between steps, not after the run
      const lr = cosineLr(b.optimizer.lr, step, b.total, b.warmupSteps);
      const t0 = performance.now();
      const out = spec.step(batch, step);
      if (!Number.isFinite(out.loss)) {
        throw new UserError(
          `${spec.label} diverged: the loss is ${out.loss} at step ${step + 1} of ${b.total} (epoch ${epoch + 1}${out.where ?? ''}); the step was not applied` +
            keptCheckpoint(ck?.file, lastGood),
          { hint: `lower the learning rate (it was ${lr.toPrecision(3)} at that step) or add warm-up steps` },
        );
      }
      optimizer.apply(lr);
      step++;
      epochLoss += out.loss;
      epochPasses += out.passes;
      const endOfEpoch = step % b.perEpoch === 0 || step === b.total;
      spec.afterStep?.({ step, total: b.total, epoch, loss: out.loss / out.passes, lr, msPerStep: performance.now() - t0, passes: out.passes, endOfEpoch });
      if (ck && (step % every === 0 || step === b.total)) {
        writeCheckpoint(ck.file, snapshot(spec.model, optimizer, ck.meta(step)));
        lastGood = step;
      }
    }
    return {
      steps: step,
      resumedFrom,
      loss: epochPasses ? epochLoss / epochPasses : NaN,
      msPerStep: step > resumedFrom ? (performance.now() - started) / (step - resumedFrom) : 0,
    };
  } finally {
    optimizer.dispose();
  }
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
