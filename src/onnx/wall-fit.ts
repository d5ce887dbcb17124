/**
 * The in-file fit read from whole files timed end to end (the default of nas profile --onnx on ort-cpu and wasm):
 * the built-in calibration nets (src/onnx/calibration-set.ts, WALL_CALIBRATION) are planned for the LUT's
 * partition, their units profiled into the LUT like any file's, each net timed whole on the same device with the
 * same protocol, and the reuse model (src/onnx/in-file.ts, the 'fraction' miss curve) fitted on what every net
 * took beyond its units' sum (fitReuseOnFiles). It needs no profiler: only the device's own timing, the clock
 * the LUT and the user's measurements use. Why not the runtime's kernel profiles: on ort-cpu a whole file's
 * profiled kernels run slower than the file does unprofiled, and a fit on them charged our own nets 2–4× what
 * they pay (docs/benchmarks.md, "Issue 17, seventh pass").
 */
import { timeModelsInRounds } from '../../devices/measurables.js';
import type { RoundedResult } from '../../devices/rounds.js';
import type { Device, TimingProtocol } from '../../devices/types.js';
import type { InFileCorrection } from '../../lut/format.js';
import { inLutUnit } from '../../lut/reference.js';
import { readLut } from '../../lut/store.js';
import { builtInCalibrationPlans, WALL_CALIBRATION } from './calibration-set.js';
import { fitReuseOnFiles, leaveOneOut, type FileResidual, type LeaveOneOut } from './in-file.js';
import { renamedModelBytes } from './partition.js';
import type { OnnxPlan, PartitionRule } from './plan.js';
import { predictOnnx } from './predict.js';
import { profileUnits, type UnitProfileSummary } from './profile-units.js';
import { unitReuse } from './reuse.js';

export interface WallFit {
  correction: InFileCorrection;
  /**
   * Every net's leave-one-out check (src/onnx/in-file.ts, leaveOneOut), for the record: no net is left out of the
   * fit — replayed on 25 runs, leaving out the net a check flags lost files on ort-cpu, in runs used to choose and
   * in runs not used (docs/benchmarks.md, "Issue 17, ninth pass").
   */
  loo: LeaveOneOut[];
  /** The units' profiling (opts.plans' and the nets'). */
  profile: UnitProfileSummary;
  /** Per built-in net: measured whole (its rounds' figures, and their spread) and its units' sum without the fit, ms. */
  /** `retimed`: its rounds disagreed beyond the protocol's spread limit, so it was timed again (netsToRetime). */
  files: { name: string; measuredMs: number; unitsMs: number; rounds: number[]; spread: number; retimed?: boolean }[];
}

export async function measureWallFit(opts: {
  device: Device;
  protocol: TimingProtocol;
  lutPath: string;
  rule: PartitionRule;
  /**
   * The user's files: their units are profiled in the same passes as the built-in nets' units and the nets
   * themselves (nas profile --onnx does so), so that the fit and the units it corrects see the same minutes of
   * the machine, and a unit the two share is measured once. None: only the nets'.
   */
  plans?: OnnxPlan[];
  seed?: number;
  /** Start a new LUT even if lutPath holds one measured under other settings. */
  force?: boolean;
  onProgress?: (done: number, total: number, key: string, ms?: number) => void;
  onWarning?: (message: string) => void;
}): Promise<WallFit> {
  const started = Date.now();
  const plans = await builtInCalibrationPlans(opts.rule, WALL_CALIBRATION);
  // The nets are timed in the same shuffled passes as the units (theirs and `opts.plans`'), so that a net and
  // the units it is compared with see the same minutes of the machine; nets whose units were all in the LUT
  // already are timed on their own afterwards, with the LUT's protocol (its timing reference included).
  const whole = (p: (typeof plans)[number]) => ({ key: p.graph.file, onnx: renamedModelBytes(p.graph), inputs: p.graph.inputs.map((x) => ({ name: x.name, shape: x.shape })), ops: [] });
  const prof = await profileUnits({
    device: opts.device,
    plans: opts.plans ?? [],
    fitPlans: plans,
    protocol: opts.protocol,
    lutPath: opts.lutPath,
    seed: opts.seed,
    force: opts.force,
    onProgress: opts.onProgress,
    onWarning: opts.onWarning,
    alsoTime: plans.map((p) => ({ key: p.graph.file, build: () => whole(p) })),
  });
  const lut = readLut(opts.lutPath);
  // In the LUT's unit: its reference, R and β (lut/reference.ts), as the nets timed in the units' passes are.
  const protocol: TimingProtocol = inLutUnit(opts.protocol, lut.protocol);
  const missing = plans.filter((p) => !prof.timed.has(p.graph.file));
  const later = missing.length ? await timeModelsInRounds(opts.device, missing.map((p) => ({ id: p.graph.file, build: () => whole(p) })), protocol, { seed: opts.seed }) : [];
  const first = plans.map((p) => prof.timed.get(p.graph.file) ?? later[missing.indexOf(p)]);
  // A net whose rounds still disagree after the protocol's extra rounds is timed again, later, and the
  // measurement whose rounds agree better is kept: the fit has four nets, and one net read 36% above its units'
  // sum with its rounds 28% apart charged every file of a loaded run +10–30% (docs/benchmarks.md, "Issue 17").
  const again = netsToRetime(first, protocol);
  const retimed = again.length ? await timeModelsInRounds(opts.device, again.map((i) => ({ id: plans[i].graph.file, build: () => whole(plans[i]) })), protocol, { seed: (opts.seed ?? 0) + 1 }) : [];
  const results = first.map((r, i) => (again.includes(i) ? steadier(r, retimed[again.indexOf(i)]) : r));
  for (const i of again) {
    const r = results[i];
    if (protocol.maxSpread !== undefined && r.spread > protocol.maxSpread) {
      opts.onWarning?.(`in-file fit: built-in net ${plans[i].graph.file} timed twice, its rounds still ${(r.spread * 100).toFixed(0)}% apart (limit ${(protocol.maxSpread * 100).toFixed(0)}%); the fit uses the steadier measurement, and may be off on a busy machine (nas doctor says how busy)`);
    }
  }
  const noFit = { ...lut, inFile: undefined };
  const residuals: FileResidual[] = plans.map((p, i) => ({
    name: p.graph.file,
    measuredMs: results[i].stats.median,
    unitsMs: predictOnnx(noFit, p).ms,
    units: unitReuse(p).map((reuse, k) => ({ reuse, weightBytes: p.units[k].weightBytes })),
  }));
  const source = `${lut.device.device} wall clock (${lut.device.runtime} ${lut.device.runtimeVersion}), ${plans.length} built-in nets timed whole against their units; ${((Date.now() - started) / 1000).toFixed(1)} s`;
  const fitOpts = { curve: 'fraction' as const };
  const correction = fitReuseOnFiles(residuals, source, fitOpts);
  return {
    correction: { ...correction, builtIn: true },
    loo: leaveOneOut(residuals, fitOpts, correction),
    profile: prof,
    files: residuals.map((r, i) => ({ name: r.name, measuredMs: r.measuredMs, unitsMs: r.unitsMs, rounds: results[i].rounds, spread: results[i].spread, ...(again.includes(i) ? { retimed: true } : {}) })),
  };
}

/** The built-in nets (indices) whose rounds disagree beyond the protocol's spread limit: timed again. */
export function netsToRetime(results: readonly Pick<RoundedResult, 'spread'>[], protocol: Pick<TimingProtocol, 'maxSpread'>): number[] {
  if (protocol.maxSpread === undefined) return [];
  return results.flatMap((r, i) => (r.spread > protocol.maxSpread! ? [i] : []));
}

/** Of two measurements of one net, the one whose rounds agree better (the first on a tie). */
export function steadier<T extends Pick<RoundedResult, 'spread'>>(a: T, b: T | undefined): T {
  return b && b.spread < a.spread ? b : a;
}
