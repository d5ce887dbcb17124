/**
 * Measuring the in-file correction (src/onnx/in-file.ts) with the runtime's own profiler: every file is
 * profiled whole twice (before and after its units) and every distinct unit alone; the units' compute kernels
 * inside the files against alone are the samples the model is fitted on (the reuse model: each kernel's median
 * run; the weight line it replaced: the fastest). onnxruntime-node for ort-cpu, onnxruntime-web's WebAssembly
 * build for wasm (both 1 thread): the two runtimes whose profile can be read in this process. The default fit
 * (nas profile --onnx on wasm) runs on the built-in calibration nets (src/onnx/calibration-set.ts).
 */
import { readFileSync } from 'node:fs';
import type { InFileCorrection } from '../../lut/format.js';
import { unitModel } from './extract.js';
import { builtInCalibrationPlans } from './calibration-set.js';
import { computeMs, fitInFile, fitReuse, inFileSamples, type InFileSample, type MissCurve } from './in-file.js';
import { ortProfileModel, wasmProfileModel } from './ort-profile.js';
import { ortVersion, renamedModelBytes } from './partition.js';
import type { OnnxPlan, PartitionRule } from './plan.js';

export type ProfiledRuntime = 'ort-cpu' | 'wasm';

export async function measureInFile(
  plans: readonly OnnxPlan[],
  runtime: ProfiledRuntime,
  opts: { runs?: number; model?: 'reuse' | 'line'; curve?: MissCurve; builtIn?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ samples: InFileSample[]; correction: InFileCorrection }> {
  const runs = opts.runs ?? 20;
  const model = opts.model ?? 'reuse';
  // The reuse model stands for what a wall-clock median sees: each kernel's median run; the line, as it was
  // fitted before it, each kernel's fastest run.
  const stat = model === 'reuse' ? 'med' : 'min';
  const profile = runtime === 'wasm' ? wasmProfileModel : ortProfileModel;
  const alone = new Map<string, number>();
  const samples: InFileSample[] = [];
  const total = plans.length + new Set(plans.flatMap((p) => p.units.map((u) => u.key))).size;
  let done = 0;
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const load0 = load();
  const t0 = Date.now();
  for (const plan of plans) {
    const whole = () => profile(renamedModelBytes(plan.graph), plan.graph.inputs, plan.level, runs);
    const first = await whole();
    for (const u of plan.units) {
      if (alone.has(u.key) || u.unsupported) continue;
      const m = unitModel(plan.graph, u.unit);
      alone.set(u.key, computeMs(await profile(m.onnx, m.inputs, plan.level, runs), stat));
      opts.onProgress?.(++done, total);
    }
    samples.push(...inFileSamples(plan, [first, await whole()], alone, stat));
    opts.onProgress?.(++done, total);
  }
  if (!samples.length) throw new Error('no unit of these files was found in their profiles');
  const who = runtime === 'wasm' ? 'onnxruntime-web (wasm)' : `onnxruntime-node ${await ortVersion()}`;
  const source = `${who} kernel profile, 1 thread, level ${plans[0].level}, ${stat === 'med' ? 'median' : 'fastest'} of ${runs} runs; ${((Date.now() - t0) / 1000).toFixed(1)} s; load ${load0} → ${load()}`;
  const fittedOn = plans.map((p) => p.graph.file);
  const correction = model === 'reuse' ? fitReuse(samples, fittedOn, source, { curve: opts.curve }) : fitInFile(samples, fittedOn, source);
  return { samples, correction: opts.builtIn ? { ...correction, builtIn: true } : correction };
}

/** The default fit: on the built-in calibration nets (src/onnx/calibration-set.ts), planned as `rule` says. */
export async function measureBuiltInFit(runtime: ProfiledRuntime, rule: PartitionRule, opts: { runs?: number; onProgress?: (done: number, total: number) => void } = {}) {
  return measureInFile(await builtInCalibrationPlans(rule), runtime, { ...opts, model: 'reuse', builtIn: true });
}
