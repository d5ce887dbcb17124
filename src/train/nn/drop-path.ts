/**
 * ScheduledDropPath (Zoph et al. 2018, NASNet; DARTS's drop_path): while training a cell network, each path
 * of a cell block (an op's output summed into a block, identities excepted: Graph.dropPaths, marked by the
 * cell lowering) is zeroed per sample with probability p and kept paths are scaled by 1/(1 − p), so the
 * expected value is unchanged. p rises linearly over training, p_t = p_max · t / T for step t = 0 … T−1
 * (DARTS: drop_path_prob · epoch / epochs; NASNet: the same ratio of steps). Evaluation, BatchNorm
 * recalibration and export never drop: only a training forward given a DropPath draws masks.
 */
import * as tf from '@tensorflow/tfjs';
import type { Architecture } from '../../core/arch.js';
import { UserError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import type { DropPathDraw, Module, TrainContext } from './module.js';
import type { GraphUnit } from './primitives.js';

type T4 = tf.Tensor4D;

/** The drop probability of cell networks when none is given (DARTS's drop_path_prob; NASNet CIFAR's keep 0.6 is stronger). */
export const DEFAULT_DROP_PATH = 0.2;

/** The block kinds whose networks drop paths by default. */
const CELL_KINDS = new Set(['nasnetcell', 'dartscell']);

/** Masks from a seeded Rng: the same (seed, rate) gives the same masks in the same order. */
export class DropPath implements DropPathDraw {
  private readonly rng: Rng;
  constructor(
    readonly rate: number,
    seed: number,
  ) {
    if (!(rate >= 0 && rate < 1)) throw new UserError(`drop-path probability must be in [0, 1), got ${rate}`, { hint: 'e.g. --drop-path 0.2, or --drop-path 0 to turn it off' });
    this.rng = new Rng(seed);
  }
  mask(n: number): T4 {
    const keep = 1 - this.rate;
    const m = new Float32Array(n);
    for (let i = 0; i < n; i++) m[i] = this.rng.next() < keep ? 1 / keep : 0;
    return tf.tensor4d(m, [n, 1, 1, 1]);
  }
}

/** The scheduled probability at step `step` (0-based) of `total`: p_max · step / total. */
export function scheduledDropPath(maxRate: number, step: number, total: number): number {
  return total > 0 ? (maxRate * step) / total : 0;
}

/** The seed of step `step`'s masks: a resumed training draws the masks the uninterrupted one drew. */
export function dropPathSeed(seed: number, step: number): number {
  return (Math.imul(seed ^ 0x2c1b3c6d, 0x297a2d39) + Math.imul(step + 1, 0x6c8e9cf5)) >>> 0;
}

/** The maximum drop probability of a training: `given`, or DEFAULT_DROP_PATH for a NASNet or DARTS cell network, else 0. */
export function dropPathRate(arch: Architecture, given?: number): number {
  const cells = arch.layers.some((l) => CELL_KINDS.has(l.spec.kind));
  if (given === undefined) return cells ? DEFAULT_DROP_PATH : 0;
  if (!(Number.isFinite(given) && given >= 0 && given < 1)) throw new UserError(`--drop-path must be a probability in [0, 1), got ${given}`, { hint: 'e.g. --drop-path 0.2, or --drop-path 0 to turn it off' });
  if (given > 0 && !cells)
    throw new UserError(`drop-path drops the paths of NASNet and DARTS cells; '${arch.name}' has none, so --drop-path ${given} would change nothing`, { hint: 'leave --drop-path out (or 0) for this network' });
  return given;
}

/**
 * `inner` (the unit computing a cell path) with drop-path: its output times the sample mask in a training
 * forward whose context has a DropPath, and the gradient times the same mask before `inner`'s backward.
 */
export function dropPathUnit(inner: GraphUnit & { module?: Module }): GraphUnit & { module?: Module } {
  let mask: T4 | undefined;
  return {
    module: inner.module,
    params: () => inner.params(),
    forward(xs: T4[], ctx?: TrainContext): T4[] {
      const ys = inner.forward(xs, ctx);
      const draw = ctx?.dropPath;
      mask = undefined;
      if (!ctx || !draw || draw.rate === 0) return ys;
      mask = ctx.save(draw.mask(ys[0].shape[0]));
      return [tf.mul(ys[0], mask) as T4];
    },
    backward(dys: (T4 | null)[], need: boolean[]): (T4 | null)[] {
      const m = mask;
      mask = undefined;
      const [dy] = dys;
      if (!m || !dy) return inner.backward(dys, need);
      const masked = tf.mul(dy, m) as T4;
      const grads = inner.backward([masked], need);
      if (!grads.includes(masked)) masked.dispose();
      return grads;
    },
  };
}
