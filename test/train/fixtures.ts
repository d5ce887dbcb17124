/** Training test data that needs no data set on disk. */
import type { ImageSet } from '../../src/data/types.js';
import { Rng } from '../../src/core/rng.js';

/** 28x28 images of 10 classes: class k has brightness ~ k on a noisy texture (learnable in a few steps). */
export function syntheticSet(count: number, seed = 1): ImageSet {
  const rng = new Rng(seed);
  const pixels = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const k = i % 10;
    labels[i] = k;
    for (let p = 0; p < 784; p++) pixels[i * 784 + p] = Math.floor(10 + 24 * k + rng.next() * 24);
  }
  return { name: 'synthetic', part: 'train', source: 'memory', count, height: 28, width: 28, channels: 1, classes: 10, classNames: [...'0123456789'], pixels, labels };
}
