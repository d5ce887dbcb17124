/**
 * Latency of an ONNX file from a LUT of its units: overhead (or the calibrated base) + Σ unit latencies,
 * each unit counted like an op (its net latency, or its calibrated median when the LUT has a calibration),
 * with a per-unit breakdown sorted by latency.
 */
import { UserError } from '../core/errors.js';
import type { LatencyStats } from '../../devices/types.js';
import type { Lut } from '../../lut/format.js';
import type { OnnxPlan } from './plan.js';
import { onnxMetrics, type OnnxMetrics } from './primitives.js';

export interface UnitPrediction {
  key: string;
  ops: string[];
  /** The file's node names (or #index where a node has none). */
  nodes: string[];
  kernel: string;
  ms: number;
  std: number;
  share: number;
}

export interface OnnxPrediction {
  file: string;
  ms: number;
  std: number;
  ci95: [number, number];
  overheadMs: number;
  calibrated: boolean;
  partition: { source: string; units: number; layoutKernels: number; eliminated: number; folded: number };
  /** MACs, parameters and activations counted through the primitive graph (src/onnx/primitives.ts). */
  metrics: OnnxMetrics;
  /** Every unit, slowest first. */
  units: UnitPrediction[];
}

export class MissingUnitsError extends UserError {
  readonly missing: string[];
  constructor(lut: Lut, missing: { key: string; unsupported?: string }[]) {
    const shown = missing.slice(0, 12).map((m) => `  ${m.key}${m.unsupported ? ` (cannot be timed alone: ${m.unsupported})` : lut.unsupported?.[m.key] ? ` (device: ${lut.unsupported[m.key]})` : ''}`);
    if (missing.length > shown.length) shown.push(`  … and ${missing.length - shown.length} more`);
    super(`LUT ${lut.id} has no entry for ${missing.length} unit(s) of this model:\n${shown.join('\n')}`, {
      hint: 'measure them with --profile-missing --device <the LUT\'s device>, or nas profile --onnx FILE --device D --out LUT',
    });
    this.name = 'MissingUnitsError';
    this.missing = missing.map((m) => m.key);
  }
}

const halfWidth = (s: LatencyStats) => (s.ci95[1] - s.ci95[0]) / 2;

export function predictOnnx(lut: Lut, plan: OnnxPlan): OnnxPrediction {
  const cal = lut.calibration;
  let ms = cal ? cal.baseMs : lut.overhead.median;
  let variance = lut.overhead.std ** 2;
  let ciVariance = halfWidth(lut.overhead) ** 2;
  const units: UnitPrediction[] = [];
  const missing = new Map<string, { key: string; unsupported?: string }>();
  for (const u of plan.units) {
    const entry = Object.hasOwn(lut.entries, u.key) ? lut.entries[u.key] : undefined;
    if (!entry) {
      missing.set(u.key, { key: u.key, unsupported: u.unsupported });
      continue;
    }
    const value = cal ? (cal.scale ?? 1) * entry.stats.median - cal.perOpMs - cal.perByteMs * u.bytes : entry.net;
    ms += value;
    variance += entry.stats.std ** 2;
    ciVariance += halfWidth(entry.stats) ** 2;
    units.push({ key: u.key, ops: u.ops, nodes: u.unit.nodes.map((n) => n.name || `#${n.index}`), kernel: u.unit.kernel.name, ms: value, std: entry.stats.std, share: 0 });
  }
  if (missing.size) throw new MissingUnitsError(lut, [...missing.values()]);
  for (const u of units) u.share = ms > 0 ? u.ms / ms : 0;
  units.sort((a, b) => b.ms - a.ms);
  const hw = Math.sqrt(ciVariance);
  const { partition, graph } = plan;
  return {
    file: graph.file,
    ms,
    std: Math.sqrt(variance),
    ci95: [ms - hw, ms + hw],
    overheadMs: cal ? cal.baseMs : lut.overhead.median,
    calibrated: !!cal,
    partition: {
      source: partition.source,
      units: partition.units.length,
      layoutKernels: partition.layoutKernels.length,
      eliminated: partition.eliminated.length,
      folded: graph.nodes.filter((n) => n.folded).length,
    },
    metrics: onnxMetrics(graph),
    units,
  };
}
