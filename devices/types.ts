/**
 * The device plug-in contract. An implementation lives in devices/<name>/ and registers in
 * devices/registry.ts. Heavy runtimes (onnxruntime, Chromium, tfjs) are imported lazily inside
 * init(), so importing the registry is cheap.
 */
import type { LatencyStats, ModelUnderTest } from '../src/core/contracts.js';
import type { OpInstance } from '../src/core/ops.js';
import type { NoiseReading } from './noise.js';

export interface TimingProtocol {
  /** Untimed runs before measuring (the first one is reported separately as the cold time). */
  warmup: number;
  minRepeats: number;
  maxRepeats: number;
  /** Stop measuring one model after this much wall time (ms), converged or not. */
  maxTimeMs: number;
  /** Target relative half-width of the median's 95% CI, e.g. 0.02 for ±2%. */
  targetCI: number;
  /**
   * Rounds per model (devices/rounds.ts): each model is timed this many times, the rounds spread over
   * the run in a shuffled order, and the rounds' figures combined by `estimator`. The count, time and CI
   * limits above are for all rounds together. Absent = 1: one measure() per model, as before rounds existed.
   */
  rounds?: number;
  /**
   * Rounds per whole network (the nets a LUT is calibrated on, `nas verify`'s members, the benches' test nets),
   * in place of `rounds`, which then holds for the LUT's entries alone (devices/rounds.ts, netProtocol). A whole
   * net's figure is what a prediction is judged on, and its rounds disagree by a few % for reasons no reference or
   * gate marks: on ort-cpu at 128 px, 6 rounds instead of 3 lowered the spread of a net's second measurement
   * against its first in 5 of 6 alternated comparisons (devices/reference-choice.ts, DEFAULT_NET_ROUNDS;
   * docs/benchmarks.md, issue 13, "two measurements of the same net"). A record of how nets
   * are measured, not a setting of the entries: left out of the LUT's id. Absent = `rounds`.
   */
  netRounds?: number;
  /** How round figures combine into the model's figure (absent = 'median', the median of the round medians). */
  estimator?: Estimator;
  /** A model whose round medians spread more than this share of its figure ((max − min) / figure) is measured again. */
  maxSpread?: number;
  /** At most this many extra rounds for a model whose rounds disagree (absent = 0). */
  extraRounds?: number;
  /** Every pass of rounds in a fresh worker process, as pyperf does (devices/round-worker.ts); absent = this process. */
  freshProcess?: boolean;
  /**
   * Time the fixed conv unit of devices/anchor.ts after every round and record its fastest run
   * (noise.anchorMs): a yardstick of the runtime's own kernels beside each round, for telling a round
   * slowed by the machine from one that is not (bench/fidelity-rounds.ts). Costs a few ms and a session per round.
   */
  anchor?: boolean;
  /**
   * With `anchor`: a round whose anchor ran more than this many times slower than the fastest anchor of
   * the process so far is set aside (left out of the model's figure, recorded), and a model all of whose
   * rounds were set aside is timed again, up to extraRounds more (devices/rounds.ts). E.g. 1.15.
   */
  anchorGate?: number;
  /**
   * Rounds set aside as disturbed and retaken (devices/rounds.ts, `roundGate`): a round whose measuring thread
   * waited for a CPU more than `waitPct` % of the round (another process had its CPU), or, with a reference,
   * whose reference read more than `referenceRatio` × R (the reference itself was disturbed, so its scaling is
   * wrong) is left out of the model's figure (recorded, with why) and another round is taken in a later pass,
   * within extraRounds. A setting of the LUT (part of its id, like the estimator). Absent = no such gate (LUTs
   * measured before it existed).
   */
  roundGate?: RoundGate;
  /**
   * A reference model (devices/reference.ts: 'mbconv56' or 'conv') timed in short batches interleaved with
   * every round of every model, in one session kept for the process; each round's figures are multiplied
   * by referenceMs / (the reference's median in that round), so drift of the machine's speed over seconds
   * cancels out. Absent = off (the figures as timed).
   */
  reference?: string;
  /**
   * With `reference`: R, the reference's figure every round is scaled to, fixed for a whole LUT (so later
   * measurements in other processes scale to the same R). A record of the LUT, not a setting: left out of
   * its id and of the check that a resumed run measures alike; the profiler measures it, and adopts a final
   * one at the end of the run that created the LUT (lut/reference.ts).
   */
  referenceMs?: number;
  /**
   * With `reference`: β, how strongly a round follows its reference: each round is multiplied by
   * (referenceMs / the reference's median in that round)^β. Fitted for a whole LUT like R, from its own
   * rounds (devices/reference.ts, slopeFromRounds): on the development VM the reference moved 2.3× as far
   * as the nets beside it (β 0.43), and scaling by the full ratio over-corrected. Absent = 1 (LUTs measured
   * before it existed). A record of the LUT, not a setting, like referenceMs.
   */
  referenceSlope?: number;
  /**
   * With `reference`: a round's scale splits the reference's reading into the machine's slow drift (the median of
   * the last `readings` readings of this process, this round's included) and the round's own deviation from it:
   * item × (R / drift)^βs × (drift / reading)^β, β the LUT's referenceSlope, βs `slope` for a round that ran at most
   * `fromMs` as timed, β from `toMs` on, log-linear between (devices/reference.ts, driftFactor). Small models follow
   * the reference's slow drift further than large ones (docs/benchmarks.md, issue 13, "the reference's slow drift").
   * A setting of the LUT (part of its id, like the estimator). Absent = every round scaled by its own reading alone.
   */
  referenceDrift?: ReferenceDrift;
  /**
   * Pin the measuring process and its round workers to CPUs (devices/pin.ts): 'auto' (the fastest by the
   * speed probe, chosen when measuring starts) or a CPU list ("1", "0,2"); absent = wherever the
   * scheduler runs it. Linux only.
   */
  cpu?: string;
  /**
   * Where a LUT's rounds ran under `cpu` (devices/pin.ts), written by the profiler: a record of the run,
   * not a setting (left out of the LUT's id and of the check that a resumed run measures alike).
   */
  placement?: CpuPlacement;
}

/**
 * Where a run's processes were pinned (recorded in a LUT's protocol.placement). In-process rounds run on
 * `measuring` in the measuring thread of the process itself, its other threads on `helpers`; under freshProcess the round workers run on `measuring`
 * and the parent that starts them and waits for their rounds on `parent`, apart from them.
 */
export interface CpuPlacement {
  measuring: number[];
  /** freshProcess only: the parent's CPUs. */
  parent?: number[];
  /** In-process only: the CPUs the measuring process's other threads (V8's helpers, libuv's pool) were moved to. */
  helpers?: number[];
  /** Set where the parent could not be kept apart (every allowed CPU measures): why. */
  shared?: string;
}

/** protocol.referenceDrift: how far a round follows the reference's slow drift (devices/reference.ts). */
export interface ReferenceDrift {
  /** The drift is the median of this process's last `readings` reference readings (this round's included). */
  readings: number;
  /** βs for a round that ran at most `fromMs` as timed. */
  slope: number;
  fromMs: number;
  /** From this time on (as timed) βs is the LUT's β; log-linear between fromMs and toMs. */
  toMs: number;
  /**
   * The drift, as a multiple of R, at which the rule scales a round as its own reading alone would: the machine's
   * typical state (R is a fast one, the 10% quantile of the readings), so that the LUT's figures at that state are
   * those of the rule before.
   */
  level: number;
}

/** The thresholds of protocol.roundGate; a threshold left out is not applied. */
export interface RoundGate {
  /** Set aside a round whose measuring thread waited for a CPU more than this share of it, % (noise.waitPct). */
  waitPct?: number;
  /** With a reference: set aside a round whose reference read more than this many times R (protocol.referenceMs). */
  referenceRatio?: number;
}

/** How a model's round figures combine (devices/rounds.ts; chosen by measurement, docs/benchmarks.md). */
export type Estimator = 'median' | 'trimmed-mean' | 'low-quantile' | 'min' | 'lower-half';
export const ESTIMATORS: readonly Estimator[] = ['median', 'trimmed-mean', 'low-quantile', 'min', 'lower-half'];

/** The one-round protocol used before rounds existed (bench/fidelity.ts --protocols legacy compares with it). */
export const LEGACY_PROTOCOL: TimingProtocol = {
  warmup: 10,
  minRepeats: 20,
  maxRepeats: 2000,
  maxTimeMs: 3000,
  targetCI: 0.02,
};

/**
 * Three rounds per model, the limits above shared between them; the lowest round median as the model's
 * figure; up to two extra rounds for a model whose round medians spread by more than 10%. Why these:
 * docs/benchmarks.md, "Timing in rounds" (bench/estimators.ts, bench/lut-cost.ts).
 */
export const DEFAULT_PROTOCOL: TimingProtocol = { ...LEGACY_PROTOCOL, rounds: 3, estimator: 'min', maxSpread: 0.1, extraRounds: 2 };

export interface HostInfo {
  cpu: string;
  cores: number;
  os: string;
  node: string;
}

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  description?: string;
  isFallback: boolean;
}

/** Everything that decides what a latency number means; recorded in every LUT. */
export interface DeviceInfo {
  /** Registry name, e.g. "ort-cpu". */
  device: string;
  runtime: string;
  runtimeVersion: string;
  /** Execution provider / backend, e.g. "cpu", "wasm", "webgpu". */
  ep: string;
  /** Options that change latency (threads, graph optimisation level, SIMD, bundle...). */
  options: Record<string, string | number | boolean>;
  host: HostInfo;
  adapter?: AdapterInfo;
  /** How a run is timed, e.g. "wall clock per session.run". */
  timing: string;
  warnings?: string[];
}

/**
 * A model to time (ONNX bytes plus what it contains, so devices that do not run ONNX can rebuild it) and
 * the latency distribution a device measures; both live in src/core/contracts.ts, where src/ reads them.
 */
export type { LatencyStats, ModelUnderTest };

export interface TimingResult {
  stats: LatencyStats;
  /** First run after session creation (shader compilation, allocation), ms. */
  coldMs: number;
  /** Session creation time, ms. */
  setupMs: number;
  /**
   * The machine's state over the run as read where the model was timed, when that is another process than the
   * caller's (a farm worker: src/farm/worker.ts). timeRound then keeps it instead of reading its own, which would
   * describe the waiting coordinator (its thread's wait for a CPU ≈ 0: the round gate's wait threshold never fired).
   */
  noise?: NoiseReading;
}

/** A timing result as stored (LUT entries, verify's state file): with the time it was taken. */
export interface Measurement extends TimingResult {
  /** ISO 8601. */
  measuredAt: string;
}

export interface Device {
  readonly name: string;
  init(): Promise<DeviceInfo>;
  /** true, or the reason this instance cannot run here. */
  supports(inst: OpInstance): true | string;
  time(model: ModelUnderTest, protocol: TimingProtocol): Promise<TimingResult>;
  dispose(): Promise<void>;
  /**
   * false for a device that never runs a model and reads only its ops and the length of its ONNX bytes (the mock):
   * a model built only to be timed on it may carry zero weights, the same tensors and so the same length, instead
   * of generated ones (src/profile/entry-model.ts). Absent = true: the model's own weights.
   */
  readonly needsWeights?: boolean;
}

/** Device options from the CLI/config; each device reads the ones it understands. */
export type DeviceOptions = Record<string, string | number | boolean | undefined>;

export interface DeviceFactory {
  name: string;
  description: string;
  /** Whether it can run on this machine; a string says why not and how to fix it. Must be cheap. */
  available(): Promise<true | string>;
  create(options: DeviceOptions): Device;
  /** The option keys create() reads (`--device-opt key=value` is checked against them). */
  options?: readonly string[];
  /**
   * Options DeviceInfo records today that LUTs measured before they were recorded lack, with the value
   * those measurements had (e.g. ort-cpu's outputs: 'full', webgpu-native's inputs: 'cpu'). lut/validate.ts
   * fills them in on reading, so an old LUT reads as what it was measured with and is told apart from one
   * measured the new way. A device that declares one must record it in every DeviceInfo it makes.
   */
  legacyOptions?: Readonly<Record<string, string | number | boolean>>;
  /**
   * The timing reference (devices/reference.ts) its measurements interleave unless told otherwise
   * (`--reference auto`); absent = none. Chosen by measurement per device (docs/devices.md).
   */
  defaultReference?: string;
}
