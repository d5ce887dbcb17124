/**
 * Wall-clock timing shared by the benches that time many open sessions side by side (bench/onnx-unit-gap.ts,
 * bench/onnx-unit-split.ts, bench/onnx-segments.ts, bench/onnx-own-reorders.ts, bench/onnx-file-reorders.ts):
 * blocks of runs of one model, the models in a shuffled order over several passes, so that drift and load hit
 * them alike; the machine's load to print beside the figures.
 */
import { readFileSync } from 'node:fs';
import type { Rng } from '../src/core/rng.js';

/** The median (NaN for none). */
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length ? (s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2) : NaN;
};

/** The 1, 5 and 15 minute load averages, as /proc/loadavg has them. */
export const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** One block: `warmup` runs, then runs timed until at least 10 and at least `blockMs` have passed; each run's ms. */
export async function blockTimes(run: () => Promise<unknown>, blockMs: number, warmup = 2): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await run();
  const times: number[] = [];
  const t0 = performance.now();
  while (times.length < 10 || performance.now() - t0 < blockMs) {
    const s = performance.now();
    await run();
    times.push(performance.now() - s);
  }
  return times;
}

/** `passes` passes over `items`, each in an order shuffled by `rng`, `each` called on every item; a line to stderr per pass. */
export async function shuffledPasses<T>(items: readonly T[], passes: number, rng: Rng, each: (item: T) => Promise<void>): Promise<void> {
  for (let p = 0; p < passes; p++) {
    const order = [...items];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const it of order) await each(it);
    process.stderr.write(`pass ${p + 1}/${passes}, load ${loadavg()}\n`);
  }
}
