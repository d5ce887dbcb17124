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

/** How the built-in set is named in a LUT's `inFile.fittedOn`. */
export const builtInName = (c: (typeof BUILT_IN_CALIBRATION)[number]) => `built-in:${c.space}@${c.resolution}#${c.seed}`;

/** The built-in files planned for `rule` (written to a temporary folder, removed before returning). */
export async function builtInCalibrationPlans(rule: PartitionRule): Promise<OnnxPlan[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hwnas-calibration-'));
  try {
    const plans: OnnxPlan[] = [];
    for (const c of BUILT_IN_CALIBRATION) {
      const space = createSpace(c.space, { resolution: c.resolution });
      const file = path.join(dir, `${builtInName(c).replace(/[^A-Za-z0-9@#.-]/g, '_')}.onnx`);
      writeFileSync(file, networkModel(space.build(space.sample(new Rng(c.seed))), { seed: c.seed }).onnx);
      const plan = await planOnnx(file, rule);
      plans.push({ ...plan, graph: { ...plan.graph, file: builtInName(c) } });
    }
    return plans;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
