/**
 * Progress for long work, on stderr: a cli-progress bar with ETA on a terminal, and a plain line every
 * few seconds otherwise (CI logs, pipes), so long runs never look hung.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** `etaMs`: the caller's own estimate of the time left (e.g. the profiler's, by rounds); else one from the share done. */
  update(done: number, info?: string, etaMs?: number): void;
  setTotal(total: number): void;
  stop(): void;
}

/** An ETA in seconds as the lines print it, rounded up: "0s" only when nothing is left, never for a round still to come. */
const etaText = (seconds: number) => (Number.isFinite(seconds) ? `${Math.ceil(Math.max(0, seconds))}s` : '?');

/**
 * `callerEta`: the caller passes its own estimate to update() (the share done says little where items complete only
 * in a run's last pass, as entries timed in rounds do, or where the run pauses, as `--wait-quiet` does).
 */
export function createProgress(label: string, total: number, opts: { quiet?: boolean; callerEta?: boolean } = {}): Progress {
  if (opts.quiet) return { update() {}, setTotal() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} {percentage}% | ETA ${opts.callerEta ? '{etaText}' : '{eta_formatted}'} | {info}`, stream: process.stderr, hideCursor: true, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { info: '', etaText: '?' });
    return {
      update: (done, info = '', etaMs) => bar.update(done, { info, etaText: etaMs === undefined ? '?' : etaText(etaMs / 1000) }),
      setTotal: (t) => bar.setTotal(t),
      stop: () => bar.stop(),
    };
  }
  const start = Date.now();
  let last = 0;
  let lastDone = -1;
  let max = total;
  const print = (done: number, info: string, etaMs?: number) => {
    const elapsed = (Date.now() - start) / 1000;
    const eta = etaMs !== undefined ? etaMs / 1000 : opts.callerEta ? NaN : done > 0 ? (elapsed / done) * (max - done) : NaN;
    process.stderr.write(`${label}: ${done}/${max} (${max ? Math.round((100 * done) / max) : 100}%) elapsed ${elapsed.toFixed(0)}s ETA ${etaText(eta)} ${info}\n`);
  };
  return {
    update(done, info = '', etaMs) {
      const now = Date.now();
      // A line when the count moves (every 5 s at most), and every 30 s while it does not (rounds before an item completes).
      if ((done !== lastDone && (now - last > 5000 || done === max)) || now - last > 30_000) {
        last = now;
        print(done, info, etaMs);
      }
      lastDone = done;
    },
    setTotal: (t) => (max = t),
    stop() {},
  };
}
