/**
 * The checkpoint of a differentiable search (fbnet, proxyless, darts): the supernet's weights, α, both
 * optimizers' state and the history of derived candidates, in the training checkpoint format
 * (train/checkpoint.ts). A snapshot refuses non-finite tensors, so a diverged step never replaces the last
 * good checkpoint; a restore refuses a checkpoint of another search.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.js';
import { readCheckpoint, type CheckpointData, type NamedTensor } from '../../train/checkpoint.js';
import type { Param } from '../../train/nn/module.js';
import type { Optimizer } from '../../train/optimizer.js';
import type { Candidate } from '../types.js';
import type { ArchParams } from './alpha.js';

/** What is saved: the network's parameters, α and the weight and α optimizers. */
export interface SearchState {
  net: { params(): Param[] };
  alpha: ArchParams;
  wOpt: Optimizer;
  aOpt: Optimizer;
}

export function snapshotSearch(strategy: string, s: SearchState, meta: { fingerprint: string; step: number; history: Candidate[] }): CheckpointData {
  const tensors = new Map<string, NamedTensor>();
  const add = (name: string, t: tf.Tensor) => {
    const data = (t.dataSync() as Float32Array).slice();
    if (!data.every(Number.isFinite))
      throw new UserError(`the ${strategy} search diverged: ${name} is not finite at step ${meta.step}; the checkpoint was not overwritten`, { hint: 'lower --train-lr or --arch-lr, or raise --train-batch' });
    tensors.set(name, { shape: t.shape, data });
  };
  for (const p of [...s.net.params(), ...s.alpha.params]) add(p.name, p.value);
  for (const [name, t] of s.wOpt.stateTensors()) add(`optimizer.weights.${name}`, t);
  for (const [name, t] of s.aOpt.stateTensors()) add(`optimizer.alpha.${name}`, t);
  return { meta: { ...meta, strategy, weightSteps: s.wOpt.steps, alphaSteps: s.aOpt.steps }, tensors };
}

/** Loads `file` into the state, appends its history; returns the step it was taken at. */
export function restoreSearch(file: string, fingerprint: string, s: SearchState, history: Candidate[]): number {
  const ck = readCheckpoint(file);
  if (ck.meta.fingerprint !== fingerprint)
    throw new UserError(`supernet checkpoint ${file} belongs to another search (other strategy, flags, data, LUT or seed)`, {
      hint: `delete ${file} (and the search checkpoint next to it) to start this search afresh`,
    });
  for (const p of [...s.net.params(), ...s.alpha.params]) {
    const t = ck.tensors.get(p.name);
    if (!t || t.data.length !== p.value.size) throw new UserError(`supernet checkpoint ${file} lacks ${p.name} or has it with another shape`, { hint: `delete ${file}` });
    tf.tidy(() => p.variable.assign(tf.tensor(t.data, p.value.shape)));
  }
  const state = (prefix: string) => {
    const m = new Map<string, tf.Tensor>();
    for (const [name, t] of ck.tensors) if (name.startsWith(prefix)) m.set(name.slice(prefix.length), tf.tensor(t.data, t.shape));
    return m;
  };
  s.wOpt.load(state('optimizer.weights.'), Number(ck.meta.weightSteps ?? 0));
  s.aOpt.load(state('optimizer.alpha.'), Number(ck.meta.alphaSteps ?? 0));
  history.push(...((ck.meta.history as Candidate[] | undefined) ?? []));
  return Number(ck.meta.step);
}
