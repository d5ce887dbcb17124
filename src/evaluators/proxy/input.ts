/**
 * The minibatch a data-driven proxy sees: seeded standard-normal noise (with random labels), or real
 * training images (Fashion-MNIST from Debian's package, CIFAR-10 from --data) resized to the proxy's
 * resolution and channel count. One batch per evaluator, the same for every architecture, as in the
 * papers; its description goes into the evaluator's provenance so a score says what input it came from.
 */
import { existsSync } from 'node:fs';
import { UserError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { loadImageSet } from '../../data/datasets.js';
import { FASHION_MNIST_DIR } from '../../data/fashion-mnist.js';
import { channelStats, normalise, permutation } from '../../data/prepare.js';
import type { ImageSet } from '../../data/types.js';

export const PROXY_DATA = ['normal', 'fashion-mnist', 'cifar10'] as const;
export type ProxyData = (typeof PROXY_DATA)[number];

/**
 * `auto` (the default): real images where there are some, Fashion-MNIST from `dir` or Debian's
 * package, else noise. Real images rank NB201 cells better for NASWOT and jacob_cov (docs/benchmarks.md).
 */
export function resolveProxyData(data: ProxyData | 'auto', dir?: string): ProxyData {
  if (data !== 'auto') return data;
  return existsSync(dir ?? FASHION_MNIST_DIR) ? 'fashion-mnist' : 'normal';
}

export interface ProxyBatchOptions {
  data: ProxyData;
  /** Folder of the data set files (default: the data set's own; CIFAR-10 has none). */
  dir?: string;
  batch: number;
  resolution: number;
  channels: number;
  /** Labels are drawn in [0, classes) for noise and wrapped into it for images. */
  classes: number;
  seed: number;
}

export interface ProxyBatch {
  /** batch × resolution × resolution × channels floats (NHWC). */
  x: Float32Array;
  labels: Int32Array;
  shape: [number, number, number, number];
  /** What the batch is, in words (for provenance). */
  description: string;
}

export function proxyBatch(o: ProxyBatchOptions): ProxyBatch {
  const shape: ProxyBatch['shape'] = [o.batch, o.resolution, o.resolution, o.channels];
  if (o.data === 'normal') {
    // Images first, from the seed itself: the draw NASWOT has always used, so its scores are unchanged.
    const rng = new Rng(o.seed);
    const x = Float32Array.from({ length: o.batch * o.resolution * o.resolution * o.channels }, () => rng.normal());
    const labelRng = new Rng(o.seed + 2);
    const labels = Int32Array.from({ length: o.batch }, () => labelRng.int(o.classes));
    return { x, labels, shape, description: `standard normal noise, ${o.batch} × ${o.resolution}×${o.resolution}×${o.channels}, random labels (seed ${o.seed})` };
  }
  if (!(PROXY_DATA as readonly string[]).includes(o.data))
    throw new UserError(`unknown proxy data '${o.data}'`, { hint: `choose one of: ${PROXY_DATA.join(', ')}` });
  const set = loadImageSet({ dataset: o.data, dir: o.dir, part: 'train' });
  if (set.count < o.batch) throw new UserError(`${set.name} at ${set.source} has ${set.count} images, the proxy batch needs ${o.batch}`);
  const indices = permutation(set.count, new Rng(o.seed)).subarray(0, o.batch);
  const x = resizeImages(set, indices, o.resolution, o.channels);
  const samples = { count: o.batch, height: o.resolution, width: o.resolution, channels: o.channels, classes: set.classes, x, labels: new Uint8Array(0) };
  normalise(samples, channelStats(samples));
  const labels = Int32Array.from(indices, (i) => set.labels[i] % o.classes);
  const channelNote = set.channels === o.channels ? '' : set.channels === 1 ? `, grey copied to ${o.channels} channels` : `, ${set.channels} channels averaged to grey`;
  return {
    x,
    labels,
    shape,
    description:
      `${set.name} training images from ${set.source}: ${o.batch} (seed ${o.seed}), ${set.height}×${set.width} → ${o.resolution}×${o.resolution} bilinear` +
      `${channelNote}, normalised by the batch's per-channel mean and std`,
  };
}

/** Bilinear resize (half-pixel centres) of the chosen images to side × side, in [0, 1], with `channels` channels. */
function resizeImages(set: ImageSet, indices: ArrayLike<number>, side: number, channels: number): Float32Array {
  const { height: h, width: w, channels: c } = set;
  const out = new Float32Array(indices.length * side * side * channels);
  const sample = (base: number, y: number, x: number, ch: number) => set.pixels[base + (y * w + x) * c + ch] / 255;
  for (let i = 0; i < indices.length; i++) {
    const base = indices[i] * h * w * c;
    for (let oy = 0; oy < side; oy++) {
      const fy = Math.min(Math.max(((oy + 0.5) * h) / side - 0.5, 0), h - 1);
      const y0 = Math.floor(fy);
      const y1 = Math.min(y0 + 1, h - 1);
      const dy = fy - y0;
      for (let ox = 0; ox < side; ox++) {
        const fx = Math.min(Math.max(((ox + 0.5) * w) / side - 0.5, 0), w - 1);
        const x0 = Math.floor(fx);
        const x1 = Math.min(x0 + 1, w - 1);
        const dx = fx - x0;
        const value = (ch: number) =>
          (1 - dy) * ((1 - dx) * sample(base, y0, x0, ch) + dx * sample(base, y0, x1, ch)) + dy * ((1 - dx) * sample(base, y1, x0, ch) + dx * sample(base, y1, x1, ch));
        const o = ((i * side + oy) * side + ox) * channels;
        if (c === channels) for (let ch = 0; ch < c; ch++) out[o + ch] = value(ch);
        else {
          let grey = 0;
          for (let ch = 0; ch < c; ch++) grey += value(ch) / c;
          for (let ch = 0; ch < channels; ch++) out[o + ch] = grey;
        }
      }
    }
  }
  return out;
}
