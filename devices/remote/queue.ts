/**
 * The remote device's work queue. Node enqueues tasks and awaits their results; browsers take tasks
 * (long-polling) and post results back.
 *
 * A taken task is leased to the client that took it. If no result arrives before the lease runs out
 * (the phone went to sleep, the tab was closed), or the client says it started over (a reload), the
 * task goes back to the front of the queue and the next poll gets it again: a run survives clients
 * coming and going. The first valid result for a task wins; later ones are refused as duplicates.
 */
import { randomBytes } from 'node:crypto';

export interface Leased<T> {
  id: string;
  task: T;
  /** 1 the first time the task is handed out, 2 when it is re-issued, ... */
  attempt: number;
}

interface Entry<T, R> {
  id: string;
  task: T;
  resolve(result: R): void;
  reject(error: Error): void;
  /** Client holding the lease and when it ends; undefined while queued. */
  client?: string;
  deadline?: number;
  /** How many times the task was handed out. */
  issued: number;
}

interface Waiter<T> {
  client: string;
  deliver(item: Leased<T> | undefined): void;
}

export type CompleteOutcome = 'accepted' | 'unknown';

export class WorkQueue<T, R> {
  private readonly entries = new Map<string, Entry<T, R>>();
  private readonly queued: string[] = [];
  private readonly waiters: Waiter<T>[] = [];
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly leaseMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds a task; resolves with its result, rejects when the task fails or the queue is cleared. */
  enqueue(task: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const id = randomBytes(9).toString('base64url');
      this.entries.set(id, { id, task, resolve, reject, issued: 0 });
      this.queued.push(id);
      this.dispatch();
    });
  }

  /** The next task for `client`, waiting up to `waitMs` for one; undefined when none came. */
  take(client: string, waitMs: number): Promise<Leased<T> | undefined> {
    this.expireLeases();
    const item = this.lease(client);
    if (item || waitMs <= 0) return Promise.resolve(item);
    return new Promise((resolve) => {
      const waiter: Waiter<T> = {
        client,
        deliver: (it) => {
          clearTimeout(timer);
          resolve(it);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        resolve(undefined);
      }, waitMs);
      this.waiters.push(waiter);
    });
  }

  /** The task behind an id still waiting for its result. */
  pending(id: string): T | undefined {
    return this.entries.get(id)?.task;
  }

  /** Settles a task with its result ('unknown' when it is already settled or never existed). */
  complete(id: string, result: R): CompleteOutcome {
    const entry = this.settle(id);
    if (!entry) return 'unknown';
    entry.resolve(result);
    return 'accepted';
  }

  /** Fails a task (the client could not run it); its promise rejects with `error`. */
  fail(id: string, error: Error): CompleteOutcome {
    const entry = this.settle(id);
    if (!entry) return 'unknown';
    entry.reject(error);
    return 'accepted';
  }

  /** A client started over (reloaded): what it had leased is queued again at once. */
  releaseClient(client: string): number {
    let released = 0;
    for (const entry of this.entries.values()) {
      if (entry.client === client) {
        this.requeue(entry);
        released++;
      }
    }
    if (released) this.dispatch();
    return released;
  }

  /** A leased task goes back to the queue at once (its client is known to be gone). */
  giveBack(id: string): void {
    const entry = this.entries.get(id);
    if (entry?.client === undefined) return;
    this.requeue(entry);
    this.dispatch();
  }

  /** Rejects every unsettled task with `error`; the queue stays usable. */
  rejectAll(error: Error): void {
    for (const id of [...this.entries.keys()]) this.fail(id, error);
  }

  /** Tasks enqueued and not yet settled. */
  get size(): number {
    return this.entries.size;
  }

  /** Ends waiting polls (they get no task) and stops the lease timer; tasks are left as they are. */
  close(): void {
    for (const w of this.waiters.splice(0)) w.deliver(undefined);
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private settle(id: string): Entry<T, R> | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    const at = this.queued.indexOf(id);
    if (at >= 0) this.queued.splice(at, 1);
    if (this.entries.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
    return entry;
  }

  private requeue(entry: Entry<T, R>): void {
    entry.client = undefined;
    entry.deadline = undefined;
    // To the front: it was issued before anything still queued.
    this.queued.unshift(entry.id);
  }

  private lease(client: string): Leased<T> | undefined {
    const id = this.queued.shift();
    if (id === undefined) return undefined;
    const entry = this.entries.get(id)!;
    entry.client = client;
    entry.deadline = this.now() + this.leaseMs;
    entry.issued++;
    // Leases must expire even when nobody polls: check once a second while tasks are out.
    this.sweeper ??= setInterval(() => this.expireLeases(), Math.min(1000, this.leaseMs)).unref();
    return { id, task: entry.task, attempt: entry.issued };
  }

  private expireLeases(): void {
    const now = this.now();
    let expired = false;
    for (const entry of this.entries.values()) {
      if (entry.deadline !== undefined && entry.deadline <= now) {
        this.requeue(entry);
        expired = true;
      }
    }
    if (expired) this.dispatch();
  }

  /** Hands queued tasks to waiting clients, oldest waiter first. */
  private dispatch(): void {
    while (this.waiters.length && this.queued.length) {
      const waiter = this.waiters.shift()!;
      waiter.deliver(this.lease(waiter.client));
    }
  }
}
