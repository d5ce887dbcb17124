/**
 * A finished `bench/onnx-fidelity.ts` run read back for the replay benches (bench/onnx-replay-fit.ts,
 * bench/onnx-replay-robust.ts): its LUT, its whole-file measurements, the built-in nets it timed whole
 * (`wallFiles`), and every file planned again for the LUT's partition (bench/onnx-replay-layout.ts too). Nothing is timed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Lut } from '../lut/format.js';
import { builtInCalibrationPlans, BUILT_IN_CALIBRATION, WALL_CALIBRATION } from '../src/onnx/calibration-set.js';
import { partitionRuleFor, planOnnx, type OnnxPlan, type PartitionRule } from '../src/onnx/plan.js';
import { OCR_MODELS, packedModels } from './npm-models.js';

export type RunPoint = { name: string; set: string; measured: number; m1?: number; m2?: number; selfPct?: number };
export type WallFile = { name: string; measuredMs: number; unitsMs: number; rounds?: number[]; spread?: number };

export interface ReplayRun {
  dir: string;
  lutFile: string;
  lut: Lut;
  run: { points: RunPoint[]; wallFiles?: WallFile[]; load?: Record<string, string> };
  runtime: 'wasm' | 'ort-cpu';
  rule: PartitionRule;
  /** The run's files that are still on disk, and their plans. */
  points: RunPoint[];
  plans: OnnxPlan[];
}

/** Every net a wall fit has been read from: the seventh pass's seven, of which WALL_CALIBRATION keeps four. */
export const EVERY_NET = [
  ...BUILT_IN_CALIBRATION,
  { space: 'mbv2', resolution: 64, seed: 'min' as const },
  { space: 'mbv2', resolution: 64, seed: 'max' as const },
  { space: 'mnasnet', resolution: 64, seed: 'max' as const },
  ...WALL_CALIBRATION,
].filter((c, i, all) => all.findIndex((d) => d.space === c.space && d.resolution === c.resolution && d.seed === c.seed) === i);

/** The run in `dir` (its first onnx-fidelity LUT; with `device`, its first of that --device: 'cpu' is ort-cpu). */
export async function loadReplayRun(dir: string, npmDir: string, device?: 'cpu' | 'wasm'): Promise<ReplayRun> {
  const lutFile = readdirSync(dir).find((f) => f.startsWith(`onnx-fidelity-${device ?? ''}`) && f.endsWith('.lut.json') && !f.includes('clock'));
  if (!lutFile) throw new Error(`no ${device === 'cpu' ? 'ort-cpu ' : device ? `${device} ` : ''}onnx-fidelity LUT in ${dir}`);
  const lut = JSON.parse(readFileSync(path.join(dir, lutFile), 'utf8')) as Lut;
  const run = JSON.parse(readFileSync(path.join(dir, lutFile.replace('.lut.json', '.json')), 'utf8')) as ReplayRun['run'];
  const runtime = lut.device.device === 'wasm' ? 'wasm' : 'ort-cpu';
  const rule = partitionRuleFor(lut.device);
  const third: Record<string, { file: string; inputShapes: Record<string, number[]> }> = Object.fromEntries(Object.values(OCR_MODELS).map((m) => [m.name, { file: m.file, inputShapes: { ...m.inputShapes } }]));
  const named = new Set(run.points.map((p) => p.name));
  for (const m of packedModels(npmDir, (m) => named.has(m.name))) third[m.name] = { file: m.file, inputShapes: m.inputShapes };
  const files = path.join(dir, 'onnx-fidelity-files');
  const fileOf = (p: RunPoint) => {
    if (third[p.name]) return third[p.name];
    const base = p.name.startsWith('mbv2 random #') ? `rand-${p.name.slice(13)}` : p.name.startsWith('nb201 random #') ? `nb201-${p.name.slice(14)}` : `pub-${p.name}`;
    return { file: path.join(files, `${base.replace(/[^A-Za-z0-9_.-]/g, '_')}.onnx`), inputShapes: undefined };
  };
  const points = run.points.filter((p) => existsSync(fileOf(p).file));
  const plans: OnnxPlan[] = [];
  for (const p of points) plans.push(await planOnnx(fileOf(p).file, { inputShapes: fileOf(p).inputShapes, ...rule }));
  return { dir, lutFile, lut, run, runtime, rule, points, plans };
}

/** The built-in nets (every one of EVERY_NET) planned for `rule`, by their built-in name. */
export async function everyNetPlan(rule: PartitionRule): Promise<Map<string, OnnxPlan>> {
  return new Map((await builtInCalibrationPlans(rule, EVERY_NET)).map((p) => [p.graph.file, p]));
}
