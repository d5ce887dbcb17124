/**
 * A fixed arithmetic kernel timed on the CPU this thread is on: a calibrated yardstick of that CPU's speed
 * now, independent of any runtime. Recorded after every round (devices/noise.ts) and used to pick the
 * CPU to pin to (devices/pin.ts).
 */
import { performance } from 'node:perf_hooks';

/**
 * The probe's unit of work: 4 independent chains of 100,000 floating-point multiply-adds each, all in
 * registers. Register-only on purpose: a first version (a 64×64 matrix product over typed arrays) ran
 * 0.35 ms in some fresh processes and 0.50 ms in others on the same CPU, steady within each process (its
 * memory layout or JIT tier), which would have read as a CPU-speed change (docs/benchmarks.md).
 */
function probeKernel(): number {
  let a = 1.0001;
  let b = 0.9999;
  let c = 1.00005;
  let d = 0.99995;
  for (let i = 0; i < 100_000; i++) {
    a = a * 0.9999999 + 1e-7;
    b = b * 0.9999999 + 1e-7;
    c = c * 0.9999999 + 1e-7;
    d = d * 0.9999999 + 1e-7;
  }
  return a + b + c + d;
}

/**
 * How fast the CPU this thread is on runs a fixed kernel now: `reps` timed runs after `warmup` untimed ones
 * (JIT), the fastest and the median, ms. The fastest is the CPU's own speed (a run that was preempted only
 * adds time); the median also shows other processes sharing the CPU. A few ms in all.
 */
export function speedProbe(reps = 9, warmup = 3): { minMs: number; medianMs: number } {
  let sink = 0;
  for (let i = 0; i < warmup; i++) sink += probeKernel();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    sink += probeKernel();
    t.push(performance.now() - t0);
  }
  if (sink === -1) t.push(0); // keeps the kernel's result alive
  t.sort((a, b) => a - b);
  return { minMs: t[0], medianMs: t[t.length >> 1] };
}

