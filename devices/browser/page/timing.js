// Timing helpers shared by the local bench page and the remote client page (plain browser JS, not
// compiled: the server serves this folder as is).

/** Smallest positive step of performance.now(): 5 µs in a cross-origin-isolated Chrome, 100 µs or 1 ms elsewhere. */
export function timerTickMs() {
  let tick = Infinity;
  let last = performance.now();
  for (let steps = 0, spins = 0; steps < 20 && spins < 1e6; spins++) {
    const t = performance.now();
    if (t > last) {
      tick = Math.min(tick, t - last);
      last = t;
      steps++;
    }
  }
  return tick;
}

/** A run shorter than this many timer ticks is timed in a group of runs (the group's mean is one sample). */
export const MIN_TICKS_PER_SAMPLE = 100;

/**
 * A sampler over `run` (one inference, resolved when its work is done).
 *
 * wall: performance.now() around each run; when a run is shorter than MIN_TICKS_PER_SAMPLE timer ticks,
 * each sample is the mean of a group of back-to-back runs sized to last that long, so coarse timers
 * (Safari, Firefox, non-isolated pages) still give usable numbers.
 * gpu: `run` returns the run's GPU time itself (summed kernel timestamps), taken as is.
 */
export function makeSampler(run, { tickMs, mode = 'wall' }) {
  let perRunMs = 0;
  async function timed() {
    const t0 = performance.now();
    const gpu = await run();
    const wall = performance.now() - t0;
    perRunMs = wall;
    return mode === 'gpu' ? gpu : wall;
  }
  return {
    /** The first run: compilation, allocation, uploads. */
    cold: () => timed(),
    async samples(count) {
      const out = new Array(count);
      if (mode === 'gpu') {
        for (let i = 0; i < count; i++) out[i] = await timed();
        return out;
      }
      const group = Math.max(1, Math.ceil((MIN_TICKS_PER_SAMPLE * tickMs) / Math.max(perRunMs, tickMs / 10)));
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        for (let j = 0; j < group; j++) await run();
        const ms = (performance.now() - t0) / group;
        out[i] = ms;
        perRunMs = ms;
      }
      return out;
    },
  };
}
