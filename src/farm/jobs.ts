/**
 * What travels through the queue. A model is sent as a recipe a worker can rebuild it from (a one-op
 * model: its op key and weight seed; the overhead model: its shape) or, for anything else (whole
 * networks), as bytes stored once in Redis under their hash. Every recipe carries the SHA-256 of the
 * coordinator's ONNX bytes and the worker checks it, so a worker whose exporter builds another model
 * (another hw-nas version) fails the job instead of measuring something else.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { opModel, overheadModel } from '../../export/model.js';
import { opKey, parseOpKey } from '../core/keys.js';
import type { Shape } from '../core/ops.js';
import type { Architecture } from '../core/arch.js';
import type { ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { referenceModel } from '../../devices/reference.js';
import { REFERENCE_NAMES } from '../../devices/reference-choice.js';
import { UserError } from '../core/errors.js';
import { stableStringify } from '../../lut/compare.js';
import { KEY_PREFIX } from './registry.js';

export const JOB_TIME = 'time';
export const JOB_SUPPORTS = 'supports';
/** The calibration's weight cost (src/predict/weight-cost.ts), profiled on the worker's own onnxruntime-node. */
export const JOB_WEIGHT_COST = 'weight-cost';

/** How long model bytes and finished jobs stay in Redis when no coordinator collects them. */
export const KEEP_SECONDS = 7 * 24 * 3600;

/** `zeroWeights`: a one-op model built with zero weights (src/profile/entry-model.ts: for a device that never runs a model). */
export type Build = { kind: 'op'; seed: number; zeroWeights?: true } | { kind: 'overhead' } | { kind: 'bytes' };

export interface ModelRecipe {
  key: string;
  sha: string;
  inputs: { name: string; shape: number[] }[];
  /** Canonical keys of the model's ops, in order (devices that do not run ONNX rebuild from them). */
  ops: string[];
  build: Build;
}

/** A timing reference (devices/reference.ts) a worker interleaves with the model: by name, the worker builds it itself. */
export interface ReferenceSpec {
  /** A reference name (devices/reference-choice.ts). */
  name: string;
  /** SHA-256 of the coordinator's reference ONNX bytes: a worker that builds another model fails the job. */
  sha: string;
  /** Untimed reference runs before each timed batch of it, where not the device's default (REFERENCE_WARM_RUNS). */
  warmRuns?: number;
}

export interface TimeJobData {
  model: ModelRecipe;
  protocol: TimingProtocol;
  /**
   * The coordinator run that queued the job: a worker answers a job from its memory only when the same run
   * queues it again (Redis came back empty), never another run's (--force, a recalibration). Absent from older coordinators.
   */
  run?: string;
  /**
   * With a timing reference: the worker times it beside the model in its device's kept session
   * (timeWithReference) and the result carries the reference's median (referenceMs); the round comes back as
   * timed, the coordinator scales it (devices/rounds.ts timeRound).
   */
  reference?: ReferenceSpec;
}

export interface SupportsJobData {
  keys: string[];
}

export interface SupportsResult {
  /** Reason by key, for the keys the device cannot run. */
  unsupported: Record<string, string>;
}

/**
 * The calibration's weight cost measured on a worker (src/profile/calibration-weight-cost.ts): profiled where the
 * LUT's entries are timed, on the first `n` of the calibration networks, never on the coordinator's CPU.
 */
export interface WeightCostJobData {
  archs: Architecture[];
  n: number;
  /** The coordinator run that asks: each run measures it anew (a calibration is measured again, not collected). */
  run: string;
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const modelKey = (sha: string) => `${KEY_PREFIX}:model:${sha}`;

/**
 * The recipe of `model`, trying the cheap ones first; `seed` is the weight seed one-op models were built with,
 * `zeroWeights` whether they were built with zero weights instead (timingExportOptions of a device that runs none).
 */
export function recipeFor(model: ModelUnderTest, seed: number, zeroWeights = false): ModelRecipe {
  const sha = sha256(model.onnx);
  const base = { key: model.key, sha, inputs: model.inputs.map((i) => ({ name: i.name, shape: [...i.shape] })), ops: model.ops.map(opKey) };
  if (model.ops.length === 1 && model.key === base.ops[0] && sha256(opModel(model.ops[0], { seed, ...(zeroWeights ? { zeroWeights } : {}) }).onnx) === sha)
    return { ...base, build: { kind: 'op', seed, ...(zeroWeights ? { zeroWeights: true as const } : {}) } };
  if (model.ops.length === 0 && model.inputs.length === 1 && sha256(overheadModel(model.inputs[0].shape as unknown as Shape).onnx) === sha)
    return { ...base, build: { kind: 'overhead' } };
  return { ...base, build: { kind: 'bytes' } };
}

/** Stores the bytes a 'bytes' recipe refers to (once per hash; they expire after KEEP_SECONDS). */
export async function storeModelBytes(redis: Redis, recipe: ModelRecipe, model: ModelUnderTest): Promise<void> {
  if (recipe.build.kind !== 'bytes') return;
  await redis.set(modelKey(recipe.sha), Buffer.from(model.onnx), 'EX', KEEP_SECONDS, 'NX');
}

export async function removeModelBytes(redis: Redis, shas: readonly string[]): Promise<void> {
  for (let i = 0; i < shas.length; i += 500) await redis.del(...shas.slice(i, i + 500).map(modelKey));
}

/** Rebuilds (or fetches) the model of a recipe on a worker and checks that it is the coordinator's. */
export async function modelFromRecipe(redis: Redis, r: ModelRecipe): Promise<ModelUnderTest> {
  const ops = r.ops.map(parseOpKey);
  let model: ModelUnderTest;
  if (r.build.kind === 'op') model = opModel(ops[0], { seed: r.build.seed, ...(r.build.zeroWeights ? { zeroWeights: true } : {}) });
  else if (r.build.kind === 'overhead') model = overheadModel(r.inputs[0].shape as unknown as Shape);
  else {
    const bytes = await redis.getBuffer(modelKey(r.sha));
    if (!bytes) throw new RecipeError(`the ONNX bytes of '${r.key}' (sha256 ${r.sha.slice(0, 12)}) are no longer in Redis; run the coordinator again`);
    model = { key: r.key, onnx: new Uint8Array(bytes), inputs: r.inputs, ops };
  }
  const got = sha256(model.onnx);
  if (got !== r.sha)
    throw new RecipeError(
      `this worker builds '${r.key}' as other ONNX bytes than the coordinator (sha256 ${got.slice(0, 12)} vs ${r.sha.slice(0, 12)}): ` +
        'coordinator and worker run different hw-nas versions; install the same version on both',
    );
  return model;
}

/** A job that cannot succeed on any worker (BullMQ then fails it at once instead of retrying). */
export class RecipeError extends Error {}

const shas = new WeakMap<ModelUnderTest, string>();
/** The SHA-256 of a model's bytes, once per model object (the reference models are built once per process). */
function shaOf(model: ModelUnderTest): string {
  let sha = shas.get(model);
  if (!sha) shas.set(model, (sha = sha256(model.onnx)));
  return sha;
}

/** The spec of a reference model the coordinator is handed (timeRound passes the model, not its name). */
export function referenceSpec(reference: ModelUnderTest, warmRuns?: number): ReferenceSpec {
  const sha = shaOf(reference);
  const name = REFERENCE_NAMES.find((n) => shaOf(referenceModel(n)) === sha);
  if (!name)
    throw new UserError(`a farm's workers time only the named timing references (${REFERENCE_NAMES.join(', ')}); '${reference.key}' is none of them`, {
      hint: 'name one with --reference, or measure without --redis',
    });
  return { name, sha, ...(warmRuns !== undefined ? { warmRuns } : {}) };
}

/** The spec of the reference a protocol names. */
export function protocolReferenceSpec(name: string): ReferenceSpec {
  return { name, sha: shaOf(referenceModel(name)) };
}

/** The reference model of a spec, built on the worker and checked against the coordinator's bytes. */
export function referenceFromSpec(spec: ReferenceSpec): ModelUnderTest {
  let model: ModelUnderTest;
  try {
    model = referenceModel(spec.name);
  } catch {
    throw new RecipeError(`this worker does not know the timing reference '${spec.name}': coordinator and worker run different hw-nas versions; install the same version on both`);
  }
  const got = shaOf(model);
  if (got !== spec.sha)
    throw new RecipeError(
      `this worker builds the timing reference '${spec.name}' as other ONNX bytes than the coordinator (sha256 ${got.slice(0, 12)} vs ${spec.sha.slice(0, 12)}): ` +
        'coordinator and worker run different hw-nas versions; install the same version on both',
    );
  return model;
}

/**
 * The job id of measuring one model under one protocol on one fingerprint: the same work always has the same id,
 * so a coordinator run that resumes a killed one collects what the workers measured for it. `round`: the k-th
 * timing of the same model under the same protocol (rounds of devices/rounds.ts are separate measurements).
 * `run`: for a measurement that must be this coordinator run's own (never one an earlier run left in Redis).
 * `reference`: a round timed with a reference is another job than one without (ids without one are unchanged).
 */
export function timeJobId(fp: string, protocol: TimingProtocol, modelSha: string, round: number, run?: string, reference?: ReferenceSpec): string {
  const ref = reference ? `\nreference ${reference.name} ${reference.sha}${reference.warmRuns !== undefined ? ` ${reference.warmRuns}` : ''}` : '';
  return `t-${sha256(`${fp}\n${stableStringify(protocol)}\n${modelSha}\n${round}${run === undefined ? '' : `\n${run}`}${ref}`).slice(0, 40)}`;
}

export function weightCostJobId(fp: string, data: WeightCostJobData): string {
  return `w-${sha256(`${fp}\n${stableStringify(data)}`).slice(0, 40)}`;
}

export function supportsJobId(fp: string, keys: readonly string[]): string {
  return `s-${sha256(`${fp}\n${[...keys].sort().join('\n')}`).slice(0, 40)}`;
}
