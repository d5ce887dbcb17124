/**
 * The mock device's cost model: a roofline-flavoured sum that behaves like a real runtime in the
 * ways the rest of the toolchain relies on (bigger ops are slower, a network costs about the sum of
 * its ops plus one session overhead, repeated runs scatter a little, a few runs are outliers) while
 * being exactly reproducible.
 */
import { activationBytes, macs, type OpInstance } from '../../src/core/ops.js';
import { hash32, Rng } from '../../src/core/rng.js';
import { contextClass, WIDE } from '../../src/core/context-class.js';

export interface MockCostModel {
  /** Fixed cost of one model run (session/dispatch), ms. */
  overheadMs: number;
  /** Fixed cost of each op (kernel launch), ms. */
  opMs: number;
  /** Compute throughput, multiply-accumulates per ms. */
  macsPerMs: number;
  /** Memory bandwidth, bytes per ms. */
  bytesPerMs: number;
  /** Relative spread of repeated runs (σ of the log of a sample). */
  noise: number;
  /** Share of runs that are outliers (3× slower), as interrupts on a busy machine would make. */
  outlierRate: number;
  /** Changes every sequence of noise while keeping it reproducible. */
  seed: number;
  /**
   * Per context class (src/predict/context.ts, e.g. "se+hswish"), how much more (or less) an op of that
   * class costs inside a network (a model of several ops) than on its own: the effect in-context
   * calibration learns on real runtimes, made exact for tests. Classes not listed: 1 (wide, unlisted: the plain class's).
   */
  contextScales?: Record<string, number>;
}

export const DEFAULT_MOCK_COST: MockCostModel = {
  overheadMs: 0.05,
  opMs: 0.01,
  macsPerMs: 2e6,
  bytesPerMs: 5e6,
  noise: 0.02,
  outlierRate: 0.02,
  seed: 0,
};

/** Noise-free time of one op, ms. */
export function opCostMs(inst: OpInstance, m: MockCostModel): number {
  return m.opMs + macs(inst) / m.macsPerMs + activationBytes(inst) / m.bytesPerMs;
}

/** Noise-free time of one run of a model made of `ops`, ms. */
export function modelCostMs(ops: readonly OpInstance[], m: MockCostModel): number {
  const inContext = ops.length > 1 && m.contextScales;
  // A wide block takes the plain scale unless given its own, as the predictor gives it (src/core/context-class.ts).
  const scale = (op: OpInstance) => {
    if (!inContext) return 1;
    const cls = contextClass(op.spec);
    const own = Object.hasOwn(m.contextScales!, cls) ? cls : cls === WIDE && Object.hasOwn(m.contextScales!, '') ? '' : undefined;
    return own === undefined ? 1 : m.contextScales![own];
  };
  return ops.reduce((sum, op) => sum + scale(op) * opCostMs(op, m), m.overheadMs);
}

/** An endless reproducible stream of synthetic run times around `baseMs`. */
export function noisyTimes(baseMs: number, key: string, m: MockCostModel): () => number {
  const rng = new Rng(hash32(key) ^ m.seed);
  return () => {
    const t = baseMs * Math.exp(m.noise * rng.normal());
    return rng.next() < m.outlierRate ? 3 * t : t;
  };
}
