/**
 * The coordinator's side of a queue: submit jobs with ids derived from their content, get each
 * result back as a promise, once.
 *
 * - Idempotent: submitting an id that is queued, running or finished (by an earlier coordinator that
 *   was killed) waits for that job instead of adding another; a result that arrives twice settles once.
 * - Results come from BullMQ's event stream; a reconciliation pass reads the jobs themselves whenever
 *   the stream has been quiet for a while, so events lost while Redis restarted lose nothing, and jobs
 *   a restarted (empty) Redis forgot are added again.
 * - A job that fails `attempts` times rejects with its reason; a job that failed in an earlier run is
 *   retried afresh.
 * - With no live worker for `noWorkerMs`, every pending job rejects with a DeviceUnavailableError (exit 3) saying so.
 */
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { DeviceUnavailableError, UserError } from '../core/errors.js';
import { duplicate, within } from './connection.js';
import { KEEP_SECONDS } from './jobs.js';

export interface DispatcherOptions {
  /** Tries per job before it is failed (a stalled job, e.g. its worker was killed, counts as one). Default 3. */
  attempts?: number;
  /** How long pending jobs may wait with no worker alive before they are given up. Default 10 s. */
  noWorkerMs?: number;
  /** Live workers that take this queue's jobs. */
  workersAlive(): Promise<number>;
  /** What to tell the user when no worker is left. */
  noWorkerMessage(): string;
  /** The device the jobs are for, in that message (a DeviceUnavailableError, so loops over models stop at once). */
  deviceLabel?: string;
  /** Quiet period after which the jobs themselves are read. Default 3 s. */
  reconcileMs?: number;
  log?(message: string): void;
}

interface Entry {
  id: string;
  name: string;
  data: unknown;
  promise: Promise<unknown>;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

const CHUNK = 500;

export class Dispatcher {
  private readonly pending = new Map<string, Entry>();
  private readonly consumed = new Set<string>();
  private toFlush: Entry[] = [];
  private flushing?: Promise<void>;
  private lastActivity = Date.now();
  private noWorkerSince?: number;
  private ticking = false;
  private readonly timer: NodeJS.Timeout;
  private readonly attempts: number;

  private constructor(
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly eventsConnection: Redis,
    private readonly opts: DispatcherOptions,
  ) {
    this.attempts = opts.attempts ?? 3;
    events.on('completed', ({ jobId, returnvalue }) => {
      this.lastActivity = Date.now();
      this.settle(jobId, { value: returnvalue });
    });
    events.on('failed', ({ jobId }) => {
      this.lastActivity = Date.now();
      if (this.pending.has(jobId)) void this.check(jobId);
    });
    for (const [what, emitter] of [
      ['queue', queue],
      ['events', events],
    ] as const)
      (emitter as unknown as NodeJS.EventEmitter).on('error', (e: Error) => opts.log?.(`farm ${what}: ${e.message}`));
    this.timer = setInterval(() => void this.tick(), 1000);
  }

  static async open(redis: Redis, queueName: string, opts: DispatcherOptions): Promise<Dispatcher> {
    const queue = new Queue(queueName, { connection: redis });
    // QueueEvents blocks on its connection (XREAD BLOCK): it needs one of its own.
    const eventsConnection = duplicate(redis);
    const events = new QueueEvents(queueName, { connection: eventsConnection });
    await events.waitUntilReady();
    return new Dispatcher(queue, events, eventsConnection, opts);
  }

  get size(): number {
    return this.pending.size;
  }

  /** The result of job `id`, adding it unless it exists; the same id always gives the same promise while pending. */
  submit<T>(id: string, name: string, data: unknown): Promise<T> {
    const known = this.pending.get(id);
    if (known) return known.promise as Promise<T>;
    let resolve!: (v: unknown) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<unknown>((res, rej) => ((resolve = res), (reject = rej)));
    // A caller that never awaits a prefetched job that fails must not crash the process.
    promise.catch(() => undefined);
    const entry: Entry = { id, name, data, promise, resolve, reject };
    this.pending.set(id, entry);
    this.toFlush.push(entry);
    this.flushing ??= new Promise<void>((r) => setImmediate(r)).then(() => this.flush());
    return promise as Promise<T>;
  }

  /** Removes the finished jobs whose results were collected (call once they are saved). */
  async forget(): Promise<void> {
    const ids = [...this.consumed];
    this.consumed.clear();
    for (let i = 0; i < ids.length; i += CHUNK) await Promise.all(ids.slice(i, i + CHUNK).map((id) => this.queue.remove(id).catch(() => 0)));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing?.catch(() => undefined);
    await within(this.events.close(), 2000);
    this.eventsConnection.disconnect();
    await within(this.queue.close(), 2000);
  }

  private async flush(): Promise<void> {
    while (this.toFlush.length) {
      const batch = this.toFlush.splice(0, CHUNK);
      const jobs = await Promise.all(batch.map((e) => this.queue.getJob(e.id)));
      const toAdd: Entry[] = [];
      await Promise.all(
        batch.map(async (e, i) => {
          const job = jobs[i];
          if (!job) return toAdd.push(e);
          const state = await job.getState();
          if (state === 'completed') this.settle(e.id, { value: job.returnvalue });
          else if (state === 'failed' || state === 'unknown') {
            // Failed in an earlier run (or removed meanwhile): this run tries it again.
            await job.remove().catch(() => undefined);
            toAdd.push(e);
          }
          // waiting, active, delayed: in flight from an earlier coordinator; its result will come.
        }),
      );
      await this.add(toAdd);
    }
    this.flushing = undefined;
  }

  private async add(entries: Entry[]): Promise<void> {
    if (!entries.length) return;
    await this.queue.addBulk(
      entries.map((e) => ({
        name: e.name,
        data: e.data,
        opts: {
          jobId: e.id,
          attempts: this.attempts,
          backoff: { type: 'fixed', delay: 500 },
          removeOnComplete: { age: KEEP_SECONDS },
          removeOnFail: { age: KEEP_SECONDS },
        },
      })),
    );
  }

  private settle(id: string, outcome: { value: unknown } | { error: Error }): void {
    const e = this.pending.get(id);
    if (!e) return;
    this.pending.delete(id);
    if ('error' in outcome) e.reject(outcome.error);
    else {
      this.consumed.add(id);
      e.resolve(outcome.value);
    }
  }

  /** Reads one job and settles it if it has finished. */
  private async check(id: string, job?: Job | null): Promise<'pending' | 'missing' | 'settled'> {
    job ??= await this.queue.getJob(id);
    if (!job) return 'missing';
    const state = await job.getState();
    if (state === 'completed') this.settle(id, { value: job.returnvalue });
    else if (state === 'failed')
      this.settle(id, {
        error: new UserError(`job '${jobLabel(job)}' failed ${job.attemptsMade} time(s) on the farm: ${job.failedReason}`, {
          exitCode: 1,
          hint: 'everything finished so far is saved; fix the cause and run the same command again (failed jobs are retried then)',
        }),
      });
    else return 'pending';
    return 'settled';
  }

  private async tick(): Promise<void> {
    if (this.ticking || !this.pending.size) return;
    this.ticking = true;
    try {
      const alive = await this.opts.workersAlive();
      const now = Date.now();
      if (alive > 0) this.noWorkerSince = undefined;
      else if ((this.noWorkerSince ??= now) && now - this.noWorkerSince >= (this.opts.noWorkerMs ?? 10_000)) {
        const error = new DeviceUnavailableError(this.opts.deviceLabel ?? 'farm', this.opts.noWorkerMessage(), {
          hint: `${this.pending.size} job(s) stay queued and are taken when a worker starts; everything finished so far is saved, run the same command again then`,
        });
        for (const id of [...this.pending.keys()]) this.settle(id, { error });
        return;
      }
      if (now - this.lastActivity >= (this.opts.reconcileMs ?? 3000) && !this.flushing) await this.reconcile();
    } catch (e) {
      this.opts.log?.(`farm: ${(e as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  private async reconcile(): Promise<void> {
    this.lastActivity = Date.now();
    const ids = [...this.pending.keys()];
    const missing: Entry[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const states = await Promise.all(chunk.map((id) => this.check(id)));
      states.forEach((s, j) => s === 'missing' && this.pending.has(chunk[j]) && missing.push(this.pending.get(chunk[j])!));
    }
    if (missing.length) {
      this.opts.log?.(`farm: ${missing.length} job(s) are no longer in Redis (was it restarted?); queueing them again`);
      await this.add(missing);
    }
  }
}

function jobLabel(job: Job): string {
  const model = (job.data as { model?: { key?: string } }).model;
  return model?.key ?? job.id ?? job.name;
}
