/**
 * SGD with momentum (PyTorch semantics, optional Nesterov, L2 weight decay on conv/linear weights)
 * and Adam (decoupled weight decay, i.e. AdamW when weightDecay > 0). State is one tensor per slot
 * and parameter, named `<slot>.<param name>` so checkpoints can save and restore it.
 */
import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig } from '../core/contracts.js';
import { UserError } from '../core/errors.js';
import type { Param } from './nn/module.js';

export type { OptimizerConfig };

export const DEFAULT_OPTIMIZER: OptimizerConfig = { kind: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-5 };
export const DEFAULT_ADAM: OptimizerConfig = { kind: 'adam', lr: 3e-3, weightDecay: 5e-5 };

/** The defaults of the chosen kind (SGD unless `kind: 'adam'`) overridden by what is given. */
export function optimizerConfig(given: Partial<OptimizerConfig> = {}): OptimizerConfig {
  return { ...(given.kind === 'adam' ? DEFAULT_ADAM : DEFAULT_OPTIMIZER), ...given };
}

export function checkOptimizerConfig(c: OptimizerConfig): void {
  if (c.kind !== 'sgd' && c.kind !== 'adam') throw new UserError(`unknown optimizer '${c.kind}'`, { hint: 'choose sgd or adam' });
  if (!(c.lr > 0) || !Number.isFinite(c.lr)) throw new UserError(`learning rate must be a positive number, got ${c.lr}`);
  if ((c.weightDecay ?? 0) < 0) throw new UserError(`weight decay must be ≥ 0, got ${c.weightDecay}`);
  const m = c.momentum ?? 0;
  if (m < 0 || m >= 1) throw new UserError(`momentum must be in [0, 1), got ${m}`);
}

export class Optimizer {
  private readonly state = new Map<string, tf.Tensor>();
  /** Updates applied so far (Adam's bias correction needs it). */
  steps = 0;

  constructor(
    readonly config: OptimizerConfig,
    private readonly params: Param[],
  ) {
    checkOptimizerConfig(config);
  }

  private slot(name: string, like: tf.Tensor): tf.Tensor {
    return this.state.get(name) ?? tf.zerosLike(like);
  }

  private set(name: string, value: tf.Tensor): void {
    this.state.get(name)?.dispose();
    this.state.set(name, tf.keep(value));
  }

  /** Applies each trainable parameter's gradient at learning rate `lr`, then clears the gradients. */
  apply(lr: number): void {
    const c = this.config;
    const wd = c.weightDecay ?? 0;
    this.steps++;
    tf.tidy(() => {
      for (const p of this.params) {
        if (!p.trainable || !p.grad) continue;
        const w = p.variable;
        if (c.kind === 'sgd') {
          const g = wd > 0 && p.decays ? tf.add(p.grad, tf.mul(w, wd)) : p.grad;
          const mu = c.momentum ?? 0;
          if (mu === 0) {
            w.assign(tf.sub(w, tf.mul(g, lr)));
            continue;
          }
          const v = tf.add(tf.mul(this.slot(`momentum.${p.name}`, w), mu), g);
          this.set(`momentum.${p.name}`, v);
          const step = c.nesterov ? tf.add(g, tf.mul(v, mu)) : v;
          w.assign(tf.sub(w, tf.mul(step, lr)));
        } else {
          const b1 = c.beta1 ?? 0.9;
          const b2 = c.beta2 ?? 0.999;
          const m = tf.add(tf.mul(this.slot(`adam_m.${p.name}`, w), b1), tf.mul(p.grad, 1 - b1));
          const v = tf.add(tf.mul(this.slot(`adam_v.${p.name}`, w), b2), tf.mul(tf.square(p.grad), 1 - b2));
          this.set(`adam_m.${p.name}`, m);
          this.set(`adam_v.${p.name}`, v);
          const mHat = tf.div(m, 1 - b1 ** this.steps);
          const vHat = tf.div(v, 1 - b2 ** this.steps);
          let next = tf.sub(w, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), c.eps ?? 1e-8)), lr));
          if (wd > 0 && p.decays) next = tf.sub(next, tf.mul(w, lr * wd));
          w.assign(next);
        }
      }
    });
    for (const p of this.params) p.clearGrad();
  }

  /** State tensors by name (for checkpoints). */
  stateTensors(): Map<string, tf.Tensor> {
    return this.state;
  }

  /** Restores state saved by stateTensors(). */
  load(state: Map<string, tf.Tensor>, steps: number): void {
    for (const t of this.state.values()) t.dispose();
    this.state.clear();
    for (const [k, v] of state) this.state.set(k, tf.keep(v));
    this.steps = steps;
  }

  dispose(): void {
    for (const t of this.state.values()) t.dispose();
    this.state.clear();
  }
}

/** Cosine decay from the peak rate to 0 over `total` steps, after a linear warm-up of `warmup` steps. */
export function cosineLr(peak: number, step: number, total: number, warmup = 0): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const t = total > warmup ? (step - warmup) / (total - warmup) : 1;
  return 0.5 * peak * (1 + Math.cos(Math.PI * Math.min(1, t)));
}
