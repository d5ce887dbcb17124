/**
 * Raw images -> float samples for training: a seeded subset (`limit`), a seeded train/validation
 * split, optional down-scaling by average pooling, and per-channel normalisation with the training
 * part's mean and std (the validation part reuses them, so no information leaks from it).
 */
import { UserError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { ImageSet, Samples } from './types.js';

export interface Normalisation {
  /** Per channel, in units of the 0-1 pixel range. */
  mean: number[];
  std: number[];
}

export interface PrepareOptions {
  /** Images used in all (train + validation), a seeded random subset; default all. */
  limit?: number;
  /** Validation part: a fraction in (0, 1) or a whole number of images; default 0.1. */
  validation?: number;
  /** Seed of the subset and the split. */
  seed?: number;
  /** Integer factor: 2 turns 28x28 into 14x14 by averaging 2x2 blocks; default 1. */
  downscale?: number;
  /** Given statistics (e.g. of a checkpoint's training data); default: those of the training part. */
  normalisation?: Normalisation;
}

export interface Prepared {
  train: Samples;
  validation: Samples;
  normalisation: Normalisation;
  /** Indices into the image set, train then validation: which images were used. */
  trainIndices: Uint32Array;
  validationIndices: Uint32Array;
}

/** A seeded permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, rng: Rng): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

function validationCount(v: number, pool: number): number {
  if (!(v >= 0) || (v >= 1 && !Number.isInteger(v)))
    throw new UserError(`validation must be a fraction in [0, 1) or a whole number of images, got ${v}`);
  const n = v < 1 ? Math.round(v * pool) : v;
  if (n >= pool) throw new UserError(`validation takes ${n} of ${pool} images and leaves none to train on`, { hint: 'lower --validation or raise --limit' });
  return n;
}

/** Gathers images `indices` as floats in [0, 1], average-pooled by `factor`, NHWC. */
function gather(set: ImageSet, indices: Uint32Array, factor: number): Samples {
  const { height: h, width: w, channels: c } = set;
  const oh = h / factor;
  const ow = w / factor;
  const per = oh * ow * c;
  const x = new Float32Array(indices.length * per);
  const labels = new Uint8Array(indices.length);
  const scale = 1 / (255 * factor * factor);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i] * h * w * c;
    labels[i] = set.labels[indices[i]];
    const dst = i * per;
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        const o = dst + (((y / factor) | 0) * ow + ((xx / factor) | 0)) * c;
        const s = src + (y * w + xx) * c;
        for (let ch = 0; ch < c; ch++) x[o + ch] += set.pixels[s + ch];
      }
    }
    for (let j = dst; j < dst + per; j++) x[j] *= scale;
  }
  return { count: indices.length, height: oh, width: ow, channels: c, classes: set.classes, x, labels };
}

export function channelStats(s: Samples): Normalisation {
  const c = s.channels;
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  for (let i = 0; i < s.x.length; i++) {
    const v = s.x[i];
    sum[i % c] += v;
    sq[i % c] += v * v;
  }
  const n = s.x.length / c;
  const mean = [...sum].map((v) => v / n);
  const std = [...sq].map((v, ch) => Math.sqrt(Math.max(v / n - mean[ch] * mean[ch], 0)) || 1);
  return { mean, std };
}

export function normalise(s: Samples, norm: Normalisation): void {
  const c = s.channels;
  if (norm.mean.length !== c || norm.std.length !== c)
    throw new UserError(`normalisation has ${norm.mean.length} channels, the images have ${c}`);
  const inv = norm.std.map((v) => 1 / v);
  for (let i = 0; i < s.x.length; i++) s.x[i] = (s.x[i] - norm.mean[i % c]) * inv[i % c];
}

export function prepare(set: ImageSet, opts: PrepareOptions = {}): Prepared {
  const factor = opts.downscale ?? 1;
  if (!Number.isInteger(factor) || factor < 1 || set.height % factor !== 0 || set.width % factor !== 0)
    throw new UserError(`downscale must be a whole factor of the image size ${set.height}x${set.width}, got ${opts.downscale}`, {
      hint: set.height === 28 ? 'e.g. 2 (28 -> 14) or 4 (28 -> 7)' : 'e.g. 2',
    });
  const limit = opts.limit ?? set.count;
  if (!Number.isInteger(limit) || limit < 2) throw new UserError(`limit must be a whole number of images ≥ 2, got ${opts.limit}`);
  const pool = Math.min(limit, set.count);
  const order = permutation(set.count, new Rng(opts.seed ?? 0)).subarray(0, pool);
  const nVal = validationCount(opts.validation ?? 0.1, pool);
  const validationIndices = order.slice(0, nVal);
  const trainIndices = order.slice(nVal);
  const train = gather(set, trainIndices, factor);
  const validation = gather(set, validationIndices, factor);
  const norm = opts.normalisation ?? channelStats(train);
  normalise(train, norm);
  normalise(validation, norm);
  return { train, validation, normalisation: norm, trainIndices, validationIndices };
}
