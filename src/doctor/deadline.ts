/**
 * The doctor's budget as a deadline: the check stops waiting on anything (a runtime starting, a worker
 * process starting, a measurement) when it comes, and judges what it has (src/doctor/noise-floor.ts).
 */
import { performance } from 'node:perf_hooks';

/** The deadline came before the work it was racing. */
export class OutOfTime extends Error {
  constructor() {
    super('out of time');
  }
}

export class Deadline {
  /** `at`: performance.now() ms by `now` (a test injects its own clock). */
  constructor(
    readonly at: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  leftMs(): number {
    return Math.max(0, this.at - this.now());
  }

  /**
   * Starts `work` unless the deadline has passed, and resolves with it, or rejects with OutOfTime when the
   * deadline comes first. The work is not stopped: the caller ends what it can (a worker process).
   */
  async race<T>(work: () => Promise<T>): Promise<T> {
    const left = this.leftMs();
    if (left <= 0) throw new OutOfTime();
    let timer: NodeJS.Timeout | undefined;
    const out = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new OutOfTime()), left);
    });
    try {
      return await Promise.race([work(), out]);
    } finally {
      clearTimeout(timer);
    }
  }
}
