/**
 * A network's weights on disk between NetAdapt iterations, in the training checkpoint format
 * (src/train/checkpoint.ts: written to a temporary file and renamed).
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.js';
import { readCheckpoint, writeCheckpoint, type NamedTensor } from '../../train/checkpoint.js';
import type { Network } from '../../train/nn/network.js';

export function saveWeights(file: string, net: Network, meta: Record<string, unknown>): void {
  const tensors = new Map<string, NamedTensor>();
  for (const p of net.params()) tensors.set(p.name, { shape: p.value.shape, data: (p.value.dataSync() as Float32Array).slice() });
  writeCheckpoint(file, { meta: { ...meta, arch: net.arch.name }, tensors });
}

/** Loads every parameter of `net` from `file`, saved for the network called `saved` (default: net's own name). */
export function loadWeights(file: string, net: Network, hint: string, saved = net.arch.name): void {
  const ck = readCheckpoint(file);
  if (ck.meta.arch !== saved) throw new UserError(`${file} holds the weights of ${String(ck.meta.arch)}, expected ${saved}`, { hint });
  for (const p of net.params()) {
    const t = ck.tensors.get(p.name);
    if (!t || t.data.length !== p.value.size) throw new UserError(`${file} lacks ${p.name} or has it with another shape`, { hint });
    tf.tidy(() => p.variable.assign(tf.tensor(t.data, p.value.shape)));
  }
}
