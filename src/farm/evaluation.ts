/**
 * Accuracy evaluations on the farm (train, proxy, command evaluators).
 *
 * A worker serves one evaluator, configured by its own flags (`nas worker --evaluator …`), never by the
 * queue: a worker only runs the command it was started with, so nothing from Redis is ever executed.
 * Evaluators are matched like devices: by a fingerprint, the hash of the evaluator's id and provenance
 * as created (command, timeout and range; proxy, batch, seed, data, backend; training settings…), so
 * every worker on one evaluation queue gives the answers the coordinator's own evaluator would.
 *
 * On the coordinator a FarmEvaluator stands in for the local evaluator (same id and provenance, so a
 * search checkpoint written by a local run resumes on the farm and back): evaluate() submits a job whose
 * id is derived from the evaluator's fingerprint and the architecture, so a rerun after a killed
 * coordinator collects the evaluations that finished meanwhile instead of running them again.
 */
import type { Redis } from 'ioredis';
import type { Architecture } from '../core/arch.js';
import { archToJson, validateArchitecture } from '../core/arch-file.js';
import type { AccuracyEvaluator } from '../core/contracts.js';
import { UserError } from '../core/errors.js';
import { stableStringify } from '../../lut/compare.js';
import { connectRedis, parseRedisUrl, within } from './connection.js';
import { Dispatcher } from './dispatcher.js';
import { sha256 } from './jobs.js';
import { listWorkers, type EvaluatorRecord, type WorkerRecord } from './registry.js';

export const JOB_EVALUATE = 'evaluate';

/** The evaluators workers run: those that compute (the table is a lookup, the supernet is trained by its search). */
export const FARM_EVALUATORS: readonly string[] = ['train', 'proxy', 'command'];

export interface EvaluateJobData {
  /** The architecture as an hw-nas-arch document (archToJson). */
  arch: object;
}

export interface EvaluateResult {
  accuracy: number;
  /** The worker's evaluator provenance after the evaluation (what it resolved lazily: backend, data…). */
  provenance: Record<string, unknown>;
}

/** 16 hex digits of an evaluator's id and provenance (as created, before any evaluation). */
export function evaluatorFingerprint(e: AccuracyEvaluator): string {
  return sha256(`${e.id}\n${stableStringify(e.provenance)}`).slice(0, 16);
}

export function evaluatorRecord(e: AccuracyEvaluator): EvaluatorRecord {
  return { id: e.id, fingerprint: evaluatorFingerprint(e), provenance: structuredClone(e.provenance) };
}

/** The BullMQ queue of one evaluator fingerprint. */
export function evaluationQueueName(fp: string): string {
  return `nas-eval-${fp}`;
}

/** The same evaluator and architecture always make the same job id. */
export function evaluateJobId(fp: string, arch: Architecture): string {
  return `e-${sha256(`${fp}\n${stableStringify(archToJson(arch))}`).slice(0, 40)}`;
}

/** The worker's side: evaluates the architecture of a job with its own evaluator. */
export async function runEvaluateJob(evaluator: AccuracyEvaluator, data: EvaluateJobData): Promise<EvaluateResult> {
  validateArchitecture(data.arch, 'the architecture of an evaluate job');
  // Evaluated as the coordinator built it, key order included (validateArchitecture's copy orders keys
  // its own way): a command evaluator's architecture file is then byte for byte a local run's.
  const { format: _format, version: _version, ...arch } = data.arch as Record<string, unknown>;
  const accuracy = await evaluator.evaluate(arch as unknown as Architecture);
  return { accuracy, provenance: structuredClone(evaluator.provenance) };
}

export interface FarmEvaluatorOptions {
  redis: string;
  /** The evaluator the coordinator would run itself; its id and provenance pick the workers. */
  local: AccuracyEvaluator;
  /** Wait this long for a worker serving the evaluator (at the start and when all have left), ms. Default 10 s. */
  waitMs?: number;
  /** Tries per job. Default 3. */
  attempts?: number;
  log?(message: string): void;
}

export class FarmEvaluator implements AccuracyEvaluator {
  readonly id: string;
  readonly provenance: Record<string, unknown>;
  private provenanceSeen?: string;

  private constructor(
    local: AccuracyEvaluator,
    readonly fingerprint: string,
    private readonly redis: Redis,
    private readonly dispatcher: Dispatcher,
    private readonly log?: (message: string) => void,
  ) {
    this.id = local.id;
    // The local evaluator's object: whatever the workers report is merged into it, so the front file
    // records what evaluated (backend, data source…) as a local run does.
    this.provenance = local.provenance;
  }

  /** Connects and waits (at most waitMs) for a worker serving this evaluator. */
  static async open(o: FarmEvaluatorOptions): Promise<FarmEvaluator> {
    const target = parseRedisUrl(o.redis);
    const redis = await connectRedis(target, { onError: o.log });
    try {
      const fp = evaluatorFingerprint(o.local);
      const serving = async () => (await listWorkers(redis)).filter((w) => w.evaluator?.fingerprint === fp);
      const deadline = Date.now() + (o.waitMs ?? 10_000);
      let found: WorkerRecord[];
      while (!(found = await serving()).length) {
        if (Date.now() >= deadline) throw noWorker(await listWorkers(redis), o.local, fp, target.display);
        await new Promise((r) => setTimeout(r, 250));
      }
      o.log?.(`farm: ${found.length} worker(s) evaluate with ${o.local.id} (evaluator fingerprint ${fp})`);
      const dispatcher = await Dispatcher.open(redis, evaluationQueueName(fp), {
        attempts: o.attempts,
        noWorkerMs: Math.max(1000, o.waitMs ?? 10_000),
        workersAlive: async () => (await serving()).length,
        noWorkerMessage: () => `no worker serving evaluator ${o.local.id} (fingerprint ${fp}) is left in the pool at ${target.display}`,
        deviceLabel: `evaluator ${o.local.id} on the farm`,
        log: o.log,
      });
      return new FarmEvaluator(o.local, fp, redis, dispatcher, o.log);
    } catch (e) {
      redis.disconnect();
      throw e;
    }
  }

  async evaluate(arch: Architecture): Promise<number> {
    const data: EvaluateJobData = { arch: archToJson(arch) };
    const r = await this.dispatcher.submit<EvaluateResult>(evaluateJobId(this.fingerprint, arch), JOB_EVALUATE, data);
    this.adopt(r.provenance);
    return r.accuracy;
  }

  /** Takes what a worker resolved lazily; says so once if workers resolved it differently. */
  private adopt(reported: Record<string, unknown>): void {
    const text = stableStringify(reported);
    if (this.provenanceSeen === undefined) {
      this.provenanceSeen = text;
      for (const [k, v] of Object.entries(reported)) if (!Object.hasOwn(this.provenance, k)) this.provenance[k] = v;
    } else if (text !== this.provenanceSeen && this.provenanceSeen !== 'warned') {
      this.provenanceSeen = 'warned';
      this.log?.(`farm: workers of evaluator ${this.fingerprint} report different settings after evaluating (e.g. another tfjs backend); pin them (--train-backend, --proxy-backend, --data) for results that do not depend on the worker`);
    }
  }

  /** Removes the collected jobs from Redis: call once the results are saved. */
  async forget(): Promise<void> {
    await this.dispatcher.forget();
  }

  async dispose(): Promise<void> {
    await within(this.dispatcher.close(), 5000);
    await within(this.redis.quit(), 1000);
    this.redis.disconnect();
  }
}

function noWorker(all: WorkerRecord[], local: AccuracyEvaluator, fp: string, where: string): UserError {
  const offered = all.filter((w) => w.evaluator).map((w) => `  ${w.evaluator!.fingerprint}: ${w.evaluator!.id} ${stableStringify(w.evaluator!.provenance)} on ${w.hostname}`);
  const seen = offered.length ? `workers evaluate with:\n${[...new Set(offered)].join('\n')}` : all.length ? `${all.length} worker(s) in the pool, none started with --evaluator` : 'no worker is in the pool';
  return new UserError(`no worker evaluates with ${local.id} ${stableStringify(local.provenance)} (fingerprint ${fp}) at ${where} (${seen})`, {
    exitCode: 3,
    hint: 'start workers with the same evaluator flags as the search: nas worker --redis URL --evaluator … (and the same --proxy…, --eval-command, training flags and --seed)',
  });
}
