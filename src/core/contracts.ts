/**
 * The contracts that searches, evaluators, predictors, trainers and devices share. They live here, at the
 * bottom of the dependency order, so each of those folders depends on this module and never on another
 * (no import cycles between folders; test/core/imports.test.ts checks it). Types only.
 */
import type { Architecture } from './arch.js';
import type { Graph } from './graph/index.js';
import type { OpInstance } from './ops.js';

// ---- latency and accuracy: what a search asks of predictors and evaluators -------------------------

export interface LatencyEstimate {
  ms: number;
  /** 95% interval of the estimate, when the source knows it. */
  ci95?: [number, number];
}

/** Where latency comes from: the LUT predictor, a table of measured latencies, ... Synchronous: searches call it ~100k times/s. */
export interface LatencySource {
  readonly id: string;
  /** Provenance for fronts and reports (LUT id and device, table name, ...). */
  readonly provenance: Record<string, unknown>;
  latency(arch: Architecture): LatencyEstimate;
}

/** Accuracy in percent (0-100). Async: it may train, or run a user's command. */
export interface AccuracyEvaluator {
  readonly id: string;
  readonly provenance: Record<string, unknown>;
  evaluate(arch: Architecture): Promise<number>;
  dispose?(): Promise<void>;
}

// ---- devices: what exporters hand to a device to time, and what it measures ------------------------

/** A latency distribution in milliseconds. */
export interface LatencyStats {
  /** Samples kept after IQR outlier rejection. */
  n: number;
  /** Samples dropped as outliers. */
  rejected: number;
  median: number;
  mean: number;
  std: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
  /** 95% confidence interval of the median (distribution-free, order statistics). */
  ci95: [number, number];
  /** True when the CI half-width reached the protocol's target before the count/time limits. */
  converged: boolean;
}

export interface ModelUnderTest {
  /** Canonical op key, or a name for whole networks. */
  key: string;
  onnx: Uint8Array;
  inputs: { name: string; shape: number[] }[];
  /** The op instances the model is made of, in order (one for a one-op model). */
  ops: OpInstance[];
  /** The primitive graph the ONNX bytes were emitted from (backends that do not run ONNX, e.g. tfjs, run it). */
  graph?: Graph;
  /** Why a model that has no `graph` has none (an ONNX unit with nodes no primitive maps): what such backends report. */
  noGraph?: string;
}

// ---- training: the flags every command that trains shares -----------------------------------------

export const TRAIN_BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type TrainBackendName = (typeof TRAIN_BACKENDS)[number];
export type BackendPreference = TrainBackendName | 'auto';

export interface OptimizerConfig {
  kind: 'sgd' | 'adam';
  /** Peak learning rate (the schedule scales it). */
  lr: number;
  weightDecay?: number;
  /** sgd */
  momentum?: number;
  nesterov?: boolean;
  /** adam */
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface TrainProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  lr: number;
  msPerStep: number;
  /** At the end of an epoch when validation data was given, percent. */
  validationAccuracy?: number;
}

/** A training's budget and schedule: what the training loop (src/train/loop.ts) runs, each reader with its own defaults. */
export interface TrainingBudget {
  /** Whole epochs or, when given, a number of steps. */
  epochs?: number;
  steps?: number;
  batchSize?: number;
  optimizer?: Partial<OptimizerConfig>;
  /** Linear warm-up steps before the cosine decay. */
  warmupSteps?: number;
  /** Seed of the batch order (and of whatever else the trainer draws). */
  seed?: number;
}

/**
 * Data and budget of a training (`--data`, `--train-images`, `--train-epochs`, …), read by every evaluator
 * or strategy that trains; the budget is per candidate (default 2 epochs).
 */
export interface TrainEvaluatorOptions extends TrainingBudget {
  /** Data set name (default fashion-mnist) and folder (--data DIR). */
  dataset?: string;
  dataDir?: string;
  /** Images used, train + validation (default 2560). */
  limit?: number;
  /** Validation images: a count or a fraction of `limit` (default 512). */
  validation?: number;
  /** Down-scaling factor for the images (default 1). */
  downscale?: number;
  backend?: BackendPreference;
  /** Retarget input shape and classes to the data (default true). */
  adapt?: boolean;
  /** Recalibrate BatchNorm statistics on the training images before measuring (default true). */
  recalibrate?: boolean;
  /** ScheduledDropPath's maximum probability (default 0.2 for NASNet and DARTS cell networks, else 0). */
  dropPath?: number;
  onProgress?: (arch: string, p: TrainProgress) => void;
}
