/**
 * Progress for long work, on stderr: a cli-progress bar with ETA on a terminal, and a plain line every
 * few seconds otherwise (CI logs, pipes), so long runs never look hung.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, info?: string): void;
  setTotal(total: number): void;
  stop(): void;
}

export function createProgress(label: string, total: number, opts: { quiet?: boolean } = {}): Progress {
  if (opts.quiet) return { update() {}, setTotal() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} {percentage}% | ETA {eta_formatted} | {info}`, stream: process.stderr, hideCursor: true, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { info: '' });
    return {
      update: (done, info = '') => bar.update(done, { info }),
      setTotal: (t) => bar.setTotal(t),
      stop: () => bar.stop(),
    };
  }
  const start = Date.now();
  let last = 0;
  let lastDone = -1;
  let max = total;
  const print = (done: number, info: string) => {
    const elapsed = (Date.now() - start) / 1000;
    const eta = done > 0 ? (elapsed / done) * (max - done) : NaN;
    process.stderr.write(`${label}: ${done}/${max} (${max ? Math.round((100 * done) / max) : 100}%) elapsed ${elapsed.toFixed(0)}s ETA ${Number.isFinite(eta) ? eta.toFixed(0) + 's' : '?'} ${info}\n`);
  };
  return {
    update(done, info = '') {
      const now = Date.now();
      if (done !== lastDone && (now - last > 5000 || done === max)) {
        last = now;
        print(done, info);
      }
      lastDone = done;
    },
    setTotal: (t) => (max = t),
    stop() {},
  };
}
