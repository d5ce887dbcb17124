/**
 * How a profiling run spends its extra rounds (a round the gate set aside retaken, a spread measured again): at most a
 * share of the rounds asked for, and each pass's only after a bounded wait for a moment when a thread gets its CPU as
 * the round gate wants. Under a load that lasts, retakes taken at once were set aside again and every entry took all
 * its extra rounds (docs/benchmarks.md, issue 13, "heavy load"); measured choice: docs/benchmarks.md, "bounded
 * extra rounds".
 */
import { waitForCpu } from '../../devices/noise.js';
import { DEFAULT_ROUND_GATE } from '../../devices/reference-choice.js';
import { extraRoundBudget, roundCount, type ExtraRounds } from '../../devices/rounds.js';
import type { TimingProtocol } from '../../devices/types.js';

/** The run's extra rounds by default: a third of the rounds asked for (with 3 rounds, one extra round per item on average). */
export const DEFAULT_EXTRA_ROUND_SHARE = 1 / 3;
/** How long a pass's extra rounds wait for a quieter moment by default (ms). */
export const DEFAULT_RETAKE_WAIT_MS = 30_000;

/** The profiler's options that shape its extra rounds (src/profile/profiler.ts ProfileOptions says what each does). */
export interface ExtraRoundOptions {
  protocol: TimingProtocol;
  extraRoundShare?: number;
  retakeWaitMs?: number;
  cpuWait?: () => number | undefined;
  /** The run's measuring time per round so far, ms: a pass's wait is at most what its extra rounds would take. */
  roundMs?: () => number | undefined;
  onNoise?: (message: string) => void;
  signal?: AbortSignal;
}

/** What a run did with its extra rounds (ProfileSummary.extraRounds). */
export interface ExtraRoundsReport {
  /** The bound (absent: none but each item's extraRounds). */
  budget?: number;
  taken: number;
  /** Items completed without the extra rounds their rounds called for: the bound reached, or still busy after the wait. */
  cut: { budget: number; busy: number };
  waitedMs: number;
}

/**
 * The run's policy for extra rounds (devices/rounds.ts ExtraRounds): at most options.extraRoundShare of the rounds
 * asked for, each pass's after a bounded wait for a thread to get its CPU (options.retakeWaitMs); none with one round.
 */
export function extraRoundsOf(options: ExtraRoundOptions, items: number, report: (r: ExtraRoundsReport) => void): ExtraRounds | undefined {
  const { protocol } = options;
  if (roundCount(protocol) < 2) return undefined;
  const share = options.extraRoundShare ?? DEFAULT_EXTRA_ROUND_SHARE;
  const budget = Number.isFinite(share) ? extraRoundBudget(share, items, protocol) : undefined;
  const maxWaitMs = options.retakeWaitMs ?? DEFAULT_RETAKE_WAIT_MS;
  let waitedMs = 0;
  return {
    budget,
    beforeExtras:
      maxWaitMs > 0
        ? async (count) => {
            // Never longer than taking the rounds would be: under a load that lasts the wait is all cost (docs/benchmarks.md, "bounded extra rounds").
            const perRound = options.roundMs?.();
            const r = await waitForCpu({
              // A gate without a wait threshold (a reference-only one) still waits by the default gate's.
              waitPct: protocol.roundGate?.waitPct ?? DEFAULT_ROUND_GATE.waitPct!,
              maxWaitMs: perRound !== undefined && perRound > 0 ? Math.min(maxWaitMs, count * perRound) : maxWaitMs,
              log: options.onNoise,
              signal: options.signal,
              probe: options.cpuWait,
              what: `${count} extra round${count === 1 ? '' : 's'}`,
            });
            waitedMs += r.waitedMs;
            if (r.stillWaitPct === undefined) return true;
            options.onNoise?.(`  still busy after ${Math.round(r.waitedMs / 1000)} s (a thread waits ${r.stillWaitPct.toFixed(0)}% for a CPU): ${count} item${count === 1 ? '' : 's'} kept as measured (unsteady); --retake measures them again later`);
            return false;
          }
        : undefined,
    onDone: ({ taken, cut }) => report({ ...(budget !== undefined ? { budget } : {}), taken, cut, waitedMs }),
  };
}

