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
import { BUILT_IN_CALIBRATION, type Calibration } from './calibration-nets.js';

// The lists live in ./calibration-nets.ts, which imports nothing: src/onnx/predict.ts names their size.
export { BUILT_IN_CALIBRATION, WALL_CALIBRATION } from './calibration-nets.js';

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
