/** The design-space file ("hw-nas-designspace", version 1) that `nas designspace` writes and `--compare` reads. */
import type { BootstrapResult } from './bootstrap.js';
import type { EdfPoint } from './edf.js';

export const DESIGNSPACE_FORMAT = 'hw-nas-designspace';
export const DESIGNSPACE_VERSION = 1;

export interface DsModel {
  name: string;
  encoding: number[];
  /** The evaluator's score, and the error derived from it (errorMeasure). */
  score: number;
  error: number;
  /** The space's sampled parameters (spaceParameters). */
  params: Record<string, number>;
  macs: number;
  activations: number;
  /** Predicted on the LUT; null without one. */
  latencyMs: number | null;
}

export interface Comparison {
  /** The other design-space file. */
  other: string;
  /** The complexity both populations were re-weighted to match. */
  by: 'macs' | 'latency';
  bins: number;
  edges: number[];
  usedBins: number;
  sides: ComparisonSide[];
  /** Kolmogorov–Smirnov distance of the two error EDFs, before and after normalization. */
  ks: { raw: number; normalized: number };
}

export interface ComparisonSide {
  space: string;
  n: number;
  /** Models outside the complexity bins both populations share (weight 0). */
  dropped: number;
  edf: EdfPoint[];
  normalizedEdf: EdfPoint[];
  /** Weighted mean error after normalization. */
  normalizedMeanError: number;
  /** Weighted error quantiles after normalization. */
  normalizedQuantiles: { q10: number | null; q50: number | null };
}

export interface DesignSpaceDoc {
  format: typeof DESIGNSPACE_FORMAT;
  version: typeof DESIGNSPACE_VERSION;
  space: { id: string; resolution: number };
  evaluator: { id: string; provenance: Record<string, unknown> };
  errorLabel: string;
  selection: { samples: number; seed: number };
  /** The scores file the evaluations were saved to as they came (what a rerun resumes). */
  scores: string;
  lut: { id: string; path: string; device: string } | null;
  budgetMs: number | null;
  models: DsModel[];
  edf: {
    error: EdfPoint[];
    macs: EdfPoint[];
    latency: EdfPoint[] | null;
    /** The error EDF of the models predicted within budgetMs. */
    underBudget: { n: number; error: EdfPoint[] } | null;
  };
  summary: {
    n: number;
    minError: number;
    medianError: number;
    best: string;
    /** Fastest model's predicted latency (with a LUT). */
    minLatencyMs: number | null;
  };
  bootstrap: BootstrapResult | null;
  compare: Comparison | null;
  created: string;
}
