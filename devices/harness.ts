/**
 * The one timing loop every device uses. A device only says how to run its model once (cold) and k
 * times (samples); this file decides how many runs to make and when the median is known well enough.
 *
 * Devices differ in where the loop must live: an in-process runtime times each run here (timedLoop),
 * a browser page runs a whole batch and sends the durations back in one round trip, a GPU device may
 * report timer-query durations. All of them are driven through SampleSource.
 */
import { performance } from 'node:perf_hooks';
import { UserError } from '../src/core/errors.js';
import { summarize } from './stats.js';
import type { LatencyStats, TimingProtocol } from './types.js';

export interface SampleSource {
  /** Runs once, the first run after setup, and returns its duration in ms. */
  cold(): Promise<number>;
  /** Runs `count` timed runs and returns their `count` durations in ms. */
  samples(count: number): Promise<number[]>;
}

export interface Measurement {
  stats: LatencyStats;
  coldMs: number;
  /** Every warm sample taken (before outlier rejection), in order. */
  samples: number[];
}

/** Smallest batch after the first: below this the convergence check costs more than it saves. */
const MIN_BATCH = 10;
/** Share of the time budget the warm-up may use when the model is slow. */
const WARMUP_TIME_SHARE = 0.25;

/** Where a `between` call falls in a measurement: before the warm-up (right after the cold run), before a timed batch, after the last. */
export type BetweenPosition = 'warmup' | 'batch' | 'after';

/** What runs beside the measured model (a timing reference: devices/reference.ts). */
export interface MeasureHooks {
  /**
   * Runs before every batch of the model after its cold run (warm-up included) and once after the last:
   * a timing reference interleaved with it. Its time is not counted in the model's per-run estimate or
   * its maxTimeMs budget.
   */
  between?(position: BetweenPosition): Promise<void>;
}

/**
 * Cold run, warm-up, then growing batches (minRepeats first, then doubling the sample count) until
 * at least minRepeats samples were taken and the median's CI is within targetCI, or maxRepeats or
 * maxTimeMs is reached. Batches are sized from the observed per-run time so that a slow model does
 * not overshoot maxTimeMs by a whole batch. At least one sample is always taken.
 */
export async function measure(source: SampleSource, protocol: TimingProtocol, hooks: MeasureHooks = {}): Promise<Measurement> {
  checkProtocol(protocol);
  const start = performance.now();
  // Time spent in hooks.between, left out of the model's budget.
  let besideMs = 0;
  const between = async (position: BetweenPosition) => {
    if (!hooks.between) return;
    const t = performance.now();
    await hooks.between(position);
    besideMs += performance.now() - t;
  };
  const coldMs = await source.cold();
  let perRunMs = Math.max(coldMs, 1e-6);

  // The cold run counts as the first warm-up run. Slow models get fewer warm-up runs (the cold run
  // over-estimates a warm one, so this never cuts warm-up short for fast models).
  const warmupRuns = Math.min(protocol.warmup - 1, Math.floor((protocol.maxTimeMs * WARMUP_TIME_SHARE) / perRunMs));
  if (warmupRuns > 0) {
    await between('warmup');
    const t0 = performance.now();
    await source.samples(warmupRuns);
    perRunMs = Math.max((performance.now() - t0) / warmupRuns, 1e-6);
  }

  const samples: number[] = [];
  let stats: LatencyStats | undefined;
  for (;;) {
    const remainingMs = protocol.maxTimeMs - (performance.now() - start - besideMs);
    if (samples.length > 0 && remainingMs <= 0) break;
    const wanted = samples.length === 0 ? Math.max(1, protocol.minRepeats) : Math.max(MIN_BATCH, samples.length);
    const affordable = Math.max(1, Math.floor(remainingMs / perRunMs));
    const count = Math.min(wanted, affordable, protocol.maxRepeats - samples.length);
    await between('batch');
    const t0 = performance.now();
    const batch = await source.samples(count);
    perRunMs = Math.max((performance.now() - t0) / count, 1e-6);
    if (batch.length !== count) throw new Error(`SampleSource.samples(${count}) returned ${batch.length} durations`);
    for (const x of batch) samples.push(x);
    stats = summarize(samples, protocol.targetCI);
    if (samples.length >= protocol.maxRepeats) break;
    if (samples.length >= protocol.minRepeats && stats.converged) break;
  }
  await between('after');
  // Fewer runs than the protocol's minimum (a slow model that used up maxTimeMs) never count as converged.
  const final = samples.length < protocol.minRepeats ? { ...stats!, converged: false } : stats!;
  return { stats: final, coldMs, samples };
}

function checkProtocol(p: TimingProtocol): void {
  const ok =
    Number.isInteger(p.warmup) &&
    p.warmup >= 0 &&
    Number.isInteger(p.minRepeats) &&
    p.minRepeats >= 1 &&
    Number.isInteger(p.maxRepeats) &&
    p.maxRepeats >= p.minRepeats &&
    p.maxTimeMs > 0 &&
    p.targetCI > 0;
  if (!ok)
    throw new UserError(`invalid timing protocol ${JSON.stringify(p)}`, {
      hint: 'warmup must be an integer ≥ 0, minRepeats and maxRepeats integers with 1 ≤ minRepeats ≤ maxRepeats, maxTimeMs and targetCI > 0',
    });
}

/**
 * A SampleSource for in-process runtimes: times each call of `run` with performance.now() and does
 * nothing else per iteration (no allocation beyond the preallocated result array), so the harness
 * adds no measurable cost over a bare loop (see bench/overhead.ts).
 */
export function timedLoop(run: () => Promise<unknown> | unknown): SampleSource {
  return {
    async cold() {
      const t0 = performance.now();
      await run();
      return performance.now() - t0;
    },
    async samples(count: number) {
      const out = new Array<number>(count);
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        await run();
        out[i] = performance.now() - t0;
      }
      return out;
    },
  };
}
