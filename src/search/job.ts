/**
 * A search as a job on disk: resumes from `<out>.ckpt.json` when a compatible checkpoint is there,
 * checkpoints as it goes, writes the front file and removes the checkpoint once the front is safe.
 *
 * A checkpoint belongs to one exact search (space and options, strategy, seed, budget, target,
 * latency source, evaluator); any other search refuses it rather than mixing results.
 */
import { existsSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic-file.js';
import { holdLock } from '../core/file-lock.js';
import { isDeepStrictEqual } from 'node:util';
import { readJsonFile } from '../core/arch-file.js';
import { UserError } from '../core/errors.js';
import type { SearchSpace, SpaceOptions } from '../core/space.js';
import { frontMember, FRONT_FORMAT, FRONT_VERSION, writeFrontFile, type FrontFile } from './front-file.js';
import { checkReachable, describeLimits, hasLimits, normalizeLimits, type CostLimits } from './constraints.js';
import type { AccuracyEvaluator, LatencySource, SearchContext, SearchProgress, SearchResult, Searcher } from './types.js';

export const CHECKPOINT_FORMAT = 'hw-nas-search-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** A kind of job whose ledger is saved in the checkpoint file format below (a search, nas scale's grid). */
export interface CheckpointKind {
  /** How errors name the job ("search", "compound scaling"). */
  job: string;
  /** The document's "format" field. */
  format: string;
  /** Formats also read as this kind: what its files said before it had a format of its own. */
  legacyFormats?: readonly string[];
}

export const SEARCH_CHECKPOINT: CheckpointKind = { job: 'search', format: CHECKPOINT_FORMAT };

export interface SearchJob {
  space: SearchSpace;
  spaceOptions: SpaceOptions;
  latency: LatencySource;
  evaluator: AccuracyEvaluator;
  strategy: Searcher;
  budget: number;
  seed: number;
  targetMs?: number;
  /** --max-macs/--max-params/--max-activations (constraints.ts). */
  limits?: CostLimits;
  /** Front file path; the checkpoint is `<out>.ckpt.json`. */
  out: string;
  onProgress?(p: SearchProgress): void;
  /** Passed through to the strategy (see SearchContext). */
  training?: SearchContext['training'];
  lutFile?: string;
  args?: SearchContext['args'];
}

export interface SearchJobResult {
  result: SearchResult;
  front: FrontFile;
  /** Evaluations taken from a checkpoint instead of being run again. */
  resumed: number;
}

export function checkpointPath(out: string): string {
  return `${out}.ckpt.json`;
}

/** What a checkpoint must match to be resumed. */
function fingerprint(job: SearchJob): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify({
      space: { id: job.space.id, options: job.spaceOptions },
      strategy: job.strategy.name,
      seed: job.seed,
      budget: job.budget,
      targetMs: job.targetMs ?? null,
      // Only when set, so checkpoints written before limits existed still resume.
      ...(hasLimits(job.limits) ? { limits: normalizeLimits(job.limits) } : {}),
      latency: { id: job.latency.id, provenance: job.latency.provenance },
      evaluator: { id: job.evaluator.id, provenance: job.evaluator.provenance },
    }),
  ) as Record<string, unknown>;
}

/** The saved ledger state, undefined when there is no checkpoint; errors when it is corrupt or foreign. */
export function loadCheckpoint(file: string, search: Record<string, unknown>, kind: CheckpointKind = SEARCH_CHECKPOINT): { evaluations: unknown[] } | undefined {
  if (!existsSync(file)) return undefined;
  const { job, format } = kind;
  const hint = `delete ${file} to start the ${job} over`;
  let doc: Record<string, unknown>;
  try {
    doc = readJsonFile(file, `${job} checkpoint`) as Record<string, unknown>;
  } catch (e) {
    throw new UserError(`${job} checkpoint ${file} is corrupt: ${(e as Error).message}`, { hint, cause: e });
  }
  const state = doc?.state as { evaluations?: unknown } | undefined;
  const known = doc?.format === format || (kind.legacyFormats ?? []).includes(doc?.format as string);
  if (!known || doc.version !== CHECKPOINT_VERSION || typeof doc.search !== 'object' || !Array.isArray(state?.evaluations))
    throw new UserError(`${job} checkpoint ${file} is corrupt: expected a "${format}" version ${CHECKPOINT_VERSION} document with "search" and "state"`, { hint });
  if (!isDeepStrictEqual(doc.search, search)) {
    const saved = doc.search as Record<string, unknown>;
    const differs = Object.keys(search).filter((k) => !isDeepStrictEqual(saved[k], search[k]));
    throw new UserError(
      `${job} checkpoint ${file} belongs to another ${job} (${differs.map((k) => `${k}: ${JSON.stringify(saved[k])} there, ${JSON.stringify(search[k])} here`).join('; ')})`,
      { hint: `${hint}, or write to another --out` },
    );
  }
  return state as { evaluations: unknown[] };
}

/** Writes a checkpoint atomically: `search` is the fingerprint loadCheckpoint compares, `state` what is resumed. */
export function saveCheckpoint(file: string, search: Record<string, unknown>, state: unknown, kind: CheckpointKind = SEARCH_CHECKPOINT): void {
  writeFileAtomic(file, JSON.stringify({ format: kind.format, version: CHECKPOINT_VERSION, search, state, savedAt: new Date().toISOString() }) + '\n', `${kind.job} checkpoint ${file}`);
}

export async function runSearchJob(job: SearchJob): Promise<SearchJobResult> {
  // Two searches writing one --out would overwrite each other's checkpoint: the second refuses.
  const unlock = holdLock(job.out, 'front file');
  try {
    return await runLocked(job);
  } finally {
    unlock();
  }
}

async function runLocked(job: SearchJob): Promise<SearchJobResult> {
  const limits = normalizeLimits(job.limits);
  if (limits && !job.strategy.costLimits)
    throw new UserError(`strategy '${job.strategy.name}' cannot honour cost limits (${describeLimits(limits)}): its objective is latency alone`, {
      hint: 'use random, evolution, nsga2 or mnasnet with --max-macs/--max-params/--max-activations, or leave the limits out',
    });
  checkReachable(job.space, limits, job.seed);
  const file = checkpointPath(job.out);
  const search = fingerprint(job);
  const saved = loadCheckpoint(file, search);
  const result = await job.strategy.run({
    space: job.space,
    latency: job.latency,
    evaluator: job.evaluator,
    budget: job.budget,
    targetMs: job.targetMs,
    limits,
    seed: job.seed,
    onProgress: job.onProgress,
    training: job.training,
    lutFile: job.lutFile,
    args: job.args,
    checkpoint: {
      load: () => saved,
      save: (state) => saveCheckpoint(file, search, state),
    },
  });
  const front: FrontFile = {
    format: FRONT_FORMAT,
    version: FRONT_VERSION,
    space: { id: job.space.id, options: job.spaceOptions },
    latency: { id: job.latency.id, provenance: job.latency.provenance },
    evaluator: { id: job.evaluator.id, provenance: job.evaluator.provenance },
    target: job.targetMs === undefined ? null : { latencyMs: job.targetMs },
    ...(limits ? { limits } : {}),
    strategy: job.strategy.name,
    seed: job.seed,
    budget: job.budget,
    evaluations: result.history.length,
    best: result.best?.name ?? null,
    members: result.front.map((c) => frontMember(c.architecture ?? job.space.build(c.encoding), c.accuracy, c.latency)),
    created: new Date().toISOString(),
  };
  writeFrontFile(job.out, front);
  rmSync(file, { force: true });
  return { result, front, resumed: saved?.evaluations.length ?? 0 };
}
