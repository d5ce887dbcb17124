/**
 * Work to save before the process stops on SIGINT/SIGTERM. Library code registers a synchronous
 * flush (a search's evaluations since its last checkpoint) while it runs; the CLI's signal handler
 * runs them all before it exits, so an interrupted command loses nothing it has finished.
 */
const flushers = new Set<() => void>();

/** Registers `flush`; call the returned function when there is nothing left to save. */
export function onInterrupt(flush: () => void): () => void {
  flushers.add(flush);
  return () => flushers.delete(flush);
}

/** Runs every registered flush; returns the errors of those that failed (a full disk, say). */
export function flushBeforeExit(): unknown[] {
  const errors: unknown[] = [];
  for (const flush of [...flushers]) {
    try {
      flush();
    } catch (e) {
      errors.push(e);
    }
  }
  return errors;
}

let lastYield = 0;

/**
 * Signals reach the process only when its event loop gets a turn, and a training loop runs step after
 * step without one (tfjs kernels are synchronous): Ctrl-C would wait for the whole run. Long loops await
 * this between steps; it yields to the event loop once `everyMs` have passed since the last time, so a
 * signal is handled within about a step, at a point where every checkpoint on disk is whole.
 */
export async function letSignalsIn(everyMs = 50): Promise<void> {
  if (performance.now() - lastYield < everyMs) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  lastYield = performance.now();
}
