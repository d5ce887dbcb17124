/**
 * The checkpoint of a differentiable search (fbnet, proxyless, darts): the supernet's weights, α, both
 * optimizers' state and the history of derived candidates, in the training checkpoint format
 * (train/checkpoint.ts). A snapshot refuses non-finite tensors, so a diverged step never replaces the last
 * good checkpoint; a restore refuses a checkpoint of another search. resumeOrStart() is how both strategies
 * begin: from the supernet checkpoint when there is one to resume, else from step 0.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.js';
import { readCheckpoint, writeCheckpoint, type CheckpointData, type NamedTensor } from '../../train/checkpoint.js';
import type { Param } from '../../train/nn/module.js';
import type { Optimizer } from '../../train/optimizer.js';
import type { Candidate, SearchContext } from '../types.js';
import type { ArchParams } from './alpha.js';

/** Version of the state saved through the search job's checkpoint (a pointer to the supernet checkpoint). */
const STATE_VERSION = 1;

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

/** Which search a checkpoint belongs to: the strategy, the fingerprint of its settings, its file (none: no checkpoints). */
export interface SearchIdentity {
  strategy: string;
  fingerprint: string;
  file: string | undefined;
}

/**
 * The identity of a search with these `settings` (everything its result depends on, strategy first); its
 * checkpoint file is `checkpointFile`, else `<--out>.supernet.ckpt` when the command gives --out, else none.
 */
export function searchIdentity(settings: { strategy: string } & Record<string, unknown>, checkpointFile: string | undefined, args: SearchContext['args']): SearchIdentity {
  const fingerprint = createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 16);
  const file = checkpointFile ?? (typeof args?.out === 'string' ? `${args.out}.supernet.ckpt` : undefined);
  return { strategy: settings.strategy, fingerprint, file };
}

/**
 * Restores the state and `history` from `id.file` when the search resumes, and gives the step to start
 * from and `save(step)`, which writes the supernet checkpoint and the search job's pointer to it.
 * Resume: with a search job (ctx.checkpoint), only when its saved pointer names our file; without one,
 * whenever the file is there. A pointer to a file that is gone (or another one) is an error, not a fresh start.
 */
export function resumeOrStart(
  ctx: Pick<SearchContext, 'checkpoint'>,
  id: SearchIdentity,
  s: SearchState,
  history: Candidate[],
): { step: number; save(step: number): void } {
  const { strategy, fingerprint, file } = id;
  const pointer = ctx.checkpoint?.load() as { version?: number; file?: string } | undefined;
  const resume = file !== undefined && existsSync(file) && (ctx.checkpoint === undefined || pointer?.file === file);
  if (ctx.checkpoint && pointer && (pointer.version !== STATE_VERSION || pointer.file !== file || !file || !existsSync(file)))
    throw new UserError(`the search checkpoint points to supernet checkpoint ${pointer.file ?? '(none)'}, which is not there`, { hint: 'delete the search checkpoint (<out>.ckpt.json) to start over' });
  const step = resume ? restoreSearch(file!, fingerprint, s, history) : 0;
  const save = (at: number) => {
    if (!file) return;
    writeCheckpoint(file, snapshotSearch(strategy, s, { fingerprint, step: at, history }));
    // `evaluations` (the derived architectures so far) is what the search job counts as resumed.
    ctx.checkpoint?.save({ version: STATE_VERSION, strategy, file, step: at, evaluations: history.map((c) => [c.encoding, c.accuracy]) });
  };
  return { step, save };
}
