/**
 * Mini-batches. The order of epoch e depends only on (seed, e), so a resumed training sees exactly
 * the batches the killed one would have seen, without replaying earlier epochs.
 */
import { Rng } from '../core/rng.js';
import { permutation } from './prepare.js';
import type { Samples } from './types.js';

export interface Batch {
  /** count x height x width x channels floats (NHWC). */
  x: Float32Array;
  labels: Uint8Array;
  count: number;
}

/** Mixes the seed and the epoch into one 32-bit seed (different epochs, unrelated orders). */
function epochSeed(seed: number, epoch: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(epoch + 1, 0x165667b1)) >>> 0;
}

/** Steps in one epoch; the last, partial batch is dropped when `dropLast` (training keeps BatchNorm statistics on full batches). */
export function batchesPerEpoch(count: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

export function gatherBatch(s: Samples, indices: ArrayLike<number>): Batch {
  const per = s.height * s.width * s.channels;
  const x = new Float32Array(indices.length * per);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    x.set(s.x.subarray(j * per, (j + 1) * per), i * per);
    labels[i] = s.labels[j];
  }
  return { x, labels, count: indices.length };
}

/** The shuffled order of the samples in epoch `epoch`. */
export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  return permutation(count, new Rng(epochSeed(seed, epoch)));
}

/** Indices of batch `step` (0-based) within an epoch's order. */
export function batchIndices(order: Uint32Array, batchSize: number, step: number): Uint32Array {
  return order.subarray(step * batchSize, Math.min((step + 1) * batchSize, order.length));
}

/**
 * The training batches of steps `from` … `total − 1` (full batches, epoch orders from (seed, epoch)), each
 * with its epoch and whether it is the first of an epoch in this run (a resumed run starts mid-epoch).
 */
export function* epochBatches(s: Samples, batchSize: number, seed: number, from: number, total: number): Generator<{ step: number; epoch: number; newEpoch: boolean; batch: Batch }> {
  const perEpoch = batchesPerEpoch(s.count, batchSize, true);
  let order: Uint32Array = new Uint32Array(0);
  let orderEpoch = -1;
  for (let step = from; step < total; step++) {
    const epoch = Math.floor(step / perEpoch);
    const newEpoch = epoch !== orderEpoch;
    if (newEpoch) {
      order = epochOrder(s.count, seed, epoch);
      orderEpoch = epoch;
    }
    yield { step, epoch, newEpoch, batch: gatherBatch(s, batchIndices(order, batchSize, step % perEpoch)) };
  }
}

/** Consecutive batches in stored order (evaluation). */
export function* orderedBatches(s: Samples, batchSize: number): Generator<Batch> {
  for (let start = 0; start < s.count; start += batchSize) {
    const end = Math.min(start + batchSize, s.count);
    const idx = new Uint32Array(end - start);
    for (let i = 0; i < idx.length; i++) idx[i] = start + i;
    yield gatherBatch(s, idx);
  }
}
