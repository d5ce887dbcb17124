/**
 * The result of verifying a front ("hw-nas-verify", version 1): what `nas verify --json` prints and
 * what the HTML and CSV reports are drawn from. Every figure carries where it came from (front, LUT,
 * device, protocol), so a report read months later still says what was compared with what.
 */
import type { Agreement } from '../core/agreement.js';
import type { GraphMetrics } from '../core/arch-metrics.js';
import type { DeviceInfo, TimingProtocol } from '../../devices/types.js';
import type { LutCalibration } from '../../lut/format.js';
import type { Provenanced } from '../search/front-file.js';

export const VERIFY_FORMAT = 'hw-nas-verify';
export const VERIFY_VERSION = 1;

export interface PredictedLatency {
  ms: number;
  ci95: [number, number] | null;
  /** Per-network base (calibrated base or session overhead); null when predicted by the front's own figures. */
  baseMs: number | null;
  /** The predictor's per-block breakdown (empty when the prediction is the front's recorded figure). */
  blocks: { layerIndex: number; role: string; key: string; ms: number }[];
}

export interface MeasuredLatency {
  median: number;
  ci95: [number, number];
  mean: number;
  std: number;
  p10: number;
  p90: number;
  n: number;
  converged: boolean;
  coldMs: number;
  setupMs: number;
  measuredAt: string;
  /** True when the figure comes from the state file of an earlier run, not from this one. */
  resumed: boolean;
}

export interface MemberFailure {
  stage: 'export' | 'run';
  message: string;
}

export interface VerifiedMember {
  /** 1-based position in the front (fastest first), as `nas search` prints it. */
  index: number;
  name: string;
  encoding: number[];
  accuracy: number;
  predicted: PredictedLatency;
  /** MACs, parameters, activations of the member's graph (src/core/arch-metrics.ts). */
  metrics: GraphMetrics;
  measured: MeasuredLatency | null;
  failure: MemberFailure | null;
  /** (predicted − measured) / measured, %; null when not measured. */
  errorPct: number | null;
  /** Still non-dominated when every measured member is placed at its measured latency. */
  onMeasuredFront: boolean;
  /** Measured latency within the target; null without a target or a measurement. */
  withinTarget: boolean | null;
}

export interface ThresholdCheck {
  limit: number;
  actual: number | null;
  pass: boolean;
}

export interface VerifyResult {
  format: typeof VERIFY_FORMAT;
  version: typeof VERIFY_VERSION;
  front: {
    path: string;
    space: { id: string; options: Record<string, unknown> };
    strategy: string;
    seed: number;
    evaluations: number;
    latency: Provenanced;
    evaluator: Provenanced;
    best: string | null;
    created: string;
  };
  /** Where predictions come from: a LUT (with per-block breakdown) or the front's recorded latencies. */
  prediction:
    | { source: 'lut'; lutId: string; path: string; device: DeviceInfo; protocol: TimingProtocol; calibration: LutCalibration | null }
    | { source: 'front'; latency: Provenanced };
  device: DeviceInfo;
  protocol: TimingProtocol;
  /** Set when the device measured here is not the one the predictions describe: the errors then include the transfer. */
  transfer: { from: string; to: string; differences: string[] } | null;
  /** "accuracy (%)" or what the evaluator's score is. */
  accuracyLabel: string;
  targetMs: number | null;
  statePath: string;
  members: VerifiedMember[];
  summary: {
    measured: number;
    resumed: number;
    failed: number;
    agreement: Agreement | null;
    measuredFront: string[];
    /** On the predicted front but dominated once measured. */
    dropped: string[];
    /** Most accurate member within the target on measured latency (overall without a target). */
    bestMeasured: string | null;
  };
  checks: { maxErrorPct: ThresholdCheck | null; minTau: ThresholdCheck | null; pass: boolean };
  created: string;
}
