/**
 * The built-in files the in-file correction is fitted on by default (nas profile --onnx on wasm): a few of
 * our own exported networks, so that a LUT gets its fit without the user supplying calibration files, and a
 * user's file is predicted by a fit that never saw it. Random mbv2 networks with fixed seeds (not the ones
 * bench/onnx-fidelity.ts draws), two at 64 px (weights: 14–28 MB, far more than the caches hold) and one at
 * 128 px (activations of 0.25–1.5 MB, some larger than a core's L2), so that both kinds of bytes the model
 * charges (src/onnx/in-file.ts) vary across the samples.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { networkModel } from '../../export/model.js';
import { Rng } from '../core/rng.js';
import { createSpace } from '../spaces/registry.js';
import { planOnnx, type OnnxPlan, type PartitionRule } from './plan.js';

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

type Calibration = { space: string; resolution: number; seed: number | 'min' | 'max' };

/** How the built-in set is named in a LUT's `inFile.fittedOn`. */
export const builtInName = (c: Calibration) => `built-in:${c.space}@${c.resolution}#${c.seed}`;

function choicesOf(space: ReturnType<typeof createSpace>, seed: Calibration['seed']): number[] {
  if (typeof seed === 'number') return space.sample(new Rng(seed));
  return space.decisions().map((d) => {
    const real = d.options.map((o, i) => ({ o, i })).filter(({ o }) => o !== 'skip');
    return (seed === 'min' ? real[0] : real[real.length - 1]).i;
  });
}

/** The built-in files planned for `rule` (written to a temporary folder, removed before returning). */
export async function builtInCalibrationPlans(rule: PartitionRule, set: readonly Calibration[] = BUILT_IN_CALIBRATION): Promise<OnnxPlan[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hwnas-calibration-'));
  try {
    const plans: OnnxPlan[] = [];
    for (const c of set) {
      const space = createSpace(c.space, { resolution: c.resolution });
      const file = path.join(dir, `${builtInName(c).replace(/[^A-Za-z0-9@#.-]/g, '_')}.onnx`);
      writeFileSync(file, networkModel(space.build(choicesOf(space, c.seed)), { seed: typeof c.seed === 'number' ? c.seed : 1 }).onnx);
      const plan = await planOnnx(file, rule);
      plans.push({ ...plan, graph: { ...plan.graph, file: builtInName(c) } });
    }
    return plans;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
