/**
 * The built-in calibration nets (src/onnx/calibration-set.ts plans them), in a module that imports nothing, so that
 * a prediction can say how many nets a fit times without loading the spaces and the exporter.
 */
export const BUILT_IN_CALIBRATION = [
  { space: 'mbv2', resolution: 64, seed: 1701 },
  { space: 'mbv2', resolution: 64, seed: 1702 },
  { space: 'mbv2', resolution: 128, seed: 1703 },
] as const;

/**
 * The built-in files the wall-clock fit reads (src/onnx/wall-fit.ts, the default on ort-cpu and wasm), chosen for
 * the spread of their weights, which is what the fit's cache size is read from (files from 3 to 35 MiB): the
 * second random mbv2 net above (15.6 MiB), the smallest member of mbv2 at 64 px (every block k3e3: 12.1 MiB, a
 * file near the cache that pays little), the largest member of mnasnet (35.3 MiB, 167 units) and a random
 * NAS-Bench-201 cell network at 32 px (3.0 MiB: a file that keeps everything in cache; 120 units, 29 distinct).
 * Four of the seven nets of the first wall fit (which also had seeds 1701 and 1703 and the largest mbv2 member):
 * replayed on eight finished fidelity runs (bench/onnx-replay-fit.ts --wall-subsets), these four put as many of
 * each run's files within ±10% as the seven or more, with 166 distinct units to profile instead of 222
 * (docs/benchmarks.md, "Issue 17, eighth pass"; one live ort-cpu run since was moved by one net's noise: with four
 * nets one net weighs more). Leaving out the small NAS-Bench-201 net let the wasm fit pick a
 * 1 MiB cache and over-charge small files; leaving out mnasnet or seed 1702 lost ort-cpu files.
 * `choice`: 'min' and 'max' take every layer's first or last option other than skip; a seed samples.
 */
export const WALL_CALIBRATION = [
  { space: 'mbv2', resolution: 64, seed: 1702 },
  { space: 'mbv2', resolution: 64, seed: 'min' },
  { space: 'mnasnet', resolution: 64, seed: 'max' },
  { space: 'nb201', resolution: 32, seed: 1704 },
] as const;

export type Calibration = { space: string; resolution: number; seed: number | 'min' | 'max' };
