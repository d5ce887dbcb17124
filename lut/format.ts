/**
 * LUT format v1: one JSON file per (device, runtime options, protocol). Entries are keyed by the
 * canonical op key (src/core/keys.ts). Latencies are in milliseconds. `net` is the entry's median
 * minus the measured per-session overhead, so a network's latency predicts as
 * overhead.median + Σ net.
 */
import type { NoiseReading } from '../devices/noise.js';
import type { SetAsideRound, UnsteadyWhy } from '../devices/rounds.js';
import type { DeviceInfo, LatencyStats, Measurement, TimingProtocol } from '../devices/types.js';

export const LUT_FORMAT = 'hw-nas-lut';
export const LUT_VERSION = 1;

export interface LutEntry extends Measurement {
  /** stats.median − overhead.median, clamped at 0. */
  net: number;
  /**
   * The medians of the entry's rounds, in the order taken (protocol.rounds > 1, devices/rounds.ts);
   * absent in LUTs measured in one round. stats.median is the protocol's estimator over them.
   */
  rounds?: number[];
  /** (max − min) of `rounds` over stats.median: how far the rounds disagreed. */
  spread?: number;
  /**
   * Rounds a gate (protocol.roundGate, anchorGate) left out of stats and `rounds`, in the order taken: each
   * one's median (scaled like `rounds`) and why (devices/rounds.ts asideWhy). Absent when none was.
   */
  roundsSetAside?: SetAsideRound[];
  /**
   * Set when the entry completed while its rounds still called for another one (devices/rounds.ts unsteadyWhy): the
   * gate kept fewer rounds than asked for ('set-aside'; `setAside` of its rounds were, all of them possibly, and the
   * figure then uses every round) or its rounds spread past protocol.maxSpread ('spread'), when its own or the run's
   * extra rounds ran out (`nas profile --extra-round-budget`, `--retake-wait`). `nas profile --retake` measures such
   * entries again. Absent: its rounds were steady.
   */
  unsteady?: { why: UnsteadyWhy; setAside: number };
  /** The machine while the entry was measured: worst load and steal over its rounds, mean clock. */
  noise?: NoiseReading;
  /**
   * The per-session overhead its `net` subtracts, ms, where it is not the LUT's: an entry added by a later run than
   * the one that set the LUT's overhead is net of the overhead timed in its own run's passes (lut/overhead.ts).
   * Absent: net of `overhead.median`.
   */
  overheadMs?: number;
  /**
   * Set while the run that measured the entry (added to a LUT whose overhead was already final) has not yet timed
   * the overhead in its passes: its `net` subtracts the LUT's overhead until that run, or the one resuming it, does.
   */
  overheadOwed?: true;
  /** Only on ONNX unit entries (key onnx:…): what the unit runs, so a LUT says what its unit keys are. */
  unit?: LutUnit;
  /**
   * ort-cpu at level `all`, 1 thread (src/profile/own-layout.ts): the NCHWc reorders the entry's one-unit
   * model ran, which its figure includes. Absent in LUTs measured before it was recorded and on other devices.
   */
  ownLayout?: LutOwnLayout;
}

/** A unit's own NCHWc layout conversions (ReorderInput / ReorderOutput kernels) as onnxruntime's profiler timed them. */
export interface LutOwnLayout {
  /** Reorder kernels in the one-unit model (0: it ran none). */
  reorders: number;
  /** Σ of their times, each its fastest of `runs` profiled runs, ms. */
  kernelMs: number;
  /** Those at the model's edges (reading a graph input, writing a graph output): what only a unit alone pays. Absent in records before they were told apart. */
  edgeReorders?: number;
  edgeMs?: number;
  runs: number;
}

/** A unit of an ONNX file (src/onnx/): the file's ops in one runtime kernel, with its tensors' shapes. */
export interface LutUnit {
  ops: string[];
  inputs: number[][];
  outputs: number[][];
  /**
   * The keys of the NCHWc reorders the unit's one-unit model ran around its kernel (src/onnx/layout.ts), which
   * its figure includes and a whole file pays only at layout changes; [] when it ran none. Absent in entries
   * measured before it was recorded: a prediction then leaves the layout uncorrected and says so.
   */
  layout?: string[];
}

export interface Lut {
  format: typeof LUT_FORMAT;
  version: typeof LUT_VERSION;
  /** Stable id derived from device + protocol (not from entries), e.g. "ort-cpu-3f2a9c1b". */
  id: string;
  createdAt: string;
  updatedAt: string;
  device: DeviceInfo;
  protocol: TimingProtocol;
  /** Per-session fixed cost: the latency of a model that does nothing (one Identity). */
  overhead: LatencyStats;
  /** Spaces this LUT was filled for, informational, e.g. ["mbv2@96"]. */
  spaces: string[];
  entries: Record<string, LutEntry>;
  /** Fitted per-op costs that a one-op measurement has and a whole network does not (see src/predict/calibrate.ts). */
  calibration?: LutCalibration;
  /**
   * ONNX units only (src/onnx/in-file.ts): what a unit costs inside its file beyond its figure alone (its
   * weights no longer warm in cache), a line in its weight bytes fitted on the runtime's kernel profiles.
   * Absent in LUTs without it: units then predict as timed alone.
   */
  inFile?: InFileCorrection;
  /**
   * Set when the last calibration measured was not kept (the plain sum predicted its networks as well out
   * of sample): why, with the figures, so a LUT without `calibration` says whether one was tried.
   */
  calibrationRefused?: { reason: string; createdAt: string };
  /**
   * Set while protocol.referenceMs is the provisional R measured before the first round (lut/reference.ts):
   * the run that created the LUT was interrupted before it adopted R from its rounds; the run that completes
   * the LUT adopts it and removes this.
   */
  referenceProvisional?: true;
  /**
   * Set while `overhead` is the figure timed alone before the first run's entries (lut/overhead.ts): the run that
   * completes the LUT's first run replaces it with the one timed in its passes and recomputes every entry that is
   * net of it. Absent: the overhead is final (LUTs from before this field: unless a rounds file says it is owed).
   */
  overheadProvisional?: true;
  /** Op keys the device cannot run, with the reason its supports() gave (so a predictor can say why one is missing). */
  unsupported?: Record<string, string>;
  /** Set when the LUT was converted from a published table (lut/import/): what it came from and what its figures are. */
  imported?: LutImport;
}

/** Provenance of an imported LUT: its entries are someone else's published figures, not our measurements. */
export interface LutImport {
  /** The importer, e.g. "proxyless" or "ofa". */
  format: string;
  file: string;
  /** The source the file names (repository, commit, path). */
  source: string;
  /** How the published figures were mapped onto our entries (which fields are copies, what is 0 and why). */
  notes: string[];
}

/**
 * A one-op model pays, on every run, costs that the same op inside a network does not: its own
 * dispatch, copying its output out of the runtime, layout reorders around it. Calibration fits them on
 * networks measured end to end:
 *   network ≈ baseMs + Σ_i (scale · median_i − perOpMs − perByteMs · bytes_i + perWeightByteMs · weightBytes_i)
 * where bytes_i is the op's input + output activation bytes, weightBytes_i its parameters' bytes, and scale (default 1) the share of its one-op
 * time an op takes inside a network (below 1 when per-run costs grow with the op; above 1 when a network
 * runs it with colder caches than a one-op loop).
 */
export interface LutCalibration {
  baseMs: number;
  perOpMs: number;
  perByteMs: number;
  /**
   * What a network pays per byte of its ops' weights beyond their one-op models (those keep their weights warm
   * in the core's caches; a network reads each op's weights one whole run after their last use). Absent = 0
   * (LUTs calibrated before it existed, and fits that did not need it).
   */
  perWeightByteMs?: number;
  /**
   * Every op counts without the NCHWc reorders its one-op model ran at its input and output (entry.ownLayout.edgeMs,
   * ort-cpu LUTs that record them): a network of NCHWc ops runs none there. Then `scale · (median_i − edgeMs_i)`.
   * Absent = false (LUTs calibrated before it existed, fits that did not need it, LUTs without the record).
   */
  lessOwnEdges?: boolean;
  /** The weight cost is paid on a network's weight bytes beyond this many only (each op's share of them); absent = 0. */
  weightCacheBytes?: number;
  /** Multiplies every op's median; absent in LUTs calibrated before it existed (= 1). */
  scale?: number;
  /**
   * Per context class (src/predict/context.ts: SE and non-ReLU activation, e.g. "se+hswish"; "" plain),
   * the scale of that class's ops, learnt from networks whose blocks carry it; classes not listed use `scale`.
   */
  classScales?: Record<string, number>;
  /** Networks the fit used, and how well it fits them (RMS of relative residuals, %). */
  fittedOn: number;
  rmsErrorPct: number;
  /** The same figure for the uncalibrated sum (overhead + Σ net) on the same networks. */
  plainRmsErrorPct?: number;
  /**
   * How the fit predicts calibration networks it was not fitted on (RMS of relative errors, %): fitted
   * without each network (leave-one-out) or without each family (leave-one-family-out, when the networks
   * come from several), and the families with their network counts. Absent in LUTs calibrated before it
   * existed (they were kept on `rmsErrorPct` alone).
   */
  heldOut?: { method: 'leave-one-out' | 'leave-one-family-out'; rmsErrorPct: number; families: Record<string, number> };
  /** Why this calibration was kept over the plain sum (and over the other fit, if any), with the figures. */
  reason?: string;
  /** What the networks were, e.g. "mbv2@96 random seed 1000 ×24 + 13 published". */
  source: string;
  createdAt: string;
  /** Set when in-context variants were measured too (nas profile): which fit was kept and why. */
  context?: CalibrationContext;
}

/**
 * The choice between the fit on the plain calibration networks and their in-context variants together
 * (per-class scales allowed) and the fit on the plain networks alone (src/predict/context-fit.ts).
 */
export interface CalibrationContext {
  /** The context classes whose variants were measured, e.g. ["se", "se+hswish"]. */
  classes: string[];
  /** How many in-context variant networks were measured. */
  variantNets: number;
  kept: 'context' | 'plain-nets';
  reason: string;
  /** RMS relative error (%) over every measured network (plain and variants) of each fit and of the plain sum. */
  rmsErrorPct: { context?: number; plainNets?: number; plainSum: number };
  /** The same, each network predicted by a fit that did not see it (its fold); absent in LUTs from before held-out checks. */
  heldOutRmsPct?: { context?: number; plainNets?: number; plainSum: number };
}

/**
 * The in-file correction of ONNX units (src/onnx/in-file.ts): a unit that reads weights costs in its file
 * ≈ alone + perWeightedUnitMs + perWeightByteMs · weight bytes; a unit without weights, as alone; a unit of a
 * file whose weights all fit in `warmBytes`, as alone.
 */
export interface InFileCorrection {
  perWeightedUnitMs: number;
  perWeightByteMs: number;
  /**
   * A file whose weights (Σ over its units) are at most this many bytes keeps them warm in the core's caches
   * between runs, as a unit alone does: none of its units is corrected. Absent in corrections fitted before
   * this rule (those apply to every file).
   */
  warmBytes?: number;
  /** The files whose kernels it was fitted on, and how many unit samples. */
  fittedOn: string[];
  samples: number;
  /** Root mean square of the per-unit residuals, ms. */
  rmsMs: number;
  /** Whose profile and under what load, e.g. "onnxruntime-node 1.22.0 profile, level all; load 3.1 2.0 1.5". */
  source: string;
  /**
   * 'reuse' (src/onnx/reuse.ts): a unit pays perMissedByteMs per byte it reads whose reuse distance exceeds
   * cacheBytes in the file, less the same alone; perWeightedUnitMs and perWeightByteMs are then 0. Absent:
   * the weight line above (corrections fitted before the reuse model).
   */
  model?: 'reuse';
  cacheBytes?: number;
  perMissedByteMs?: number;
  /** How a byte beyond cacheBytes misses (src/onnx/in-file.ts, missShare): absent = 'step' (fits made before the choice). */
  curve?: 'step' | 'fraction';
  /** What it was fitted on: 'wall' whole files timed end to end against their units (fitReuseOnFiles); absent: kernel profiles. */
  clock?: 'wall';
  /** Fitted on the built-in calibration nets (src/onnx/calibration-set.ts) rather than on the user's files. */
  builtIn?: boolean;
}
