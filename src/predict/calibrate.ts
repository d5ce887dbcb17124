/**
 * Calibration of the LUT sum against networks measured end to end (see LutCalibration in
 * lut/format.ts for the model). Three physical parameters, fitted by least squares: a per-network
 * base cost, a per-op cost and a per-byte cost of the op's activations (none negative). Measured, never guessed: the
 * networks are exported and timed on the LUT's own device with the LUT's protocol.
 */
import type { Architecture } from '../core/arch.js';
import { lutInstances } from '../core/decompose.js';
import { UserError } from '../core/errors.js';
import { opKey } from '../core/keys.js';
import { activationBytes } from '../core/ops.js';
import type { Device } from '../../devices/types.js';
import type { Lut, LutCalibration } from '../../lut/format.js';
import { predict } from './predictor.js';

/** Per network: Σ medians, op count and Σ activation bytes of its LUT instances. */
export function lutSums(lut: Lut, arch: Architecture): { sumMedian: number; ops: number; bytes: number } {
  let sumMedian = 0;
  let bytes = 0;
  const parts = lutInstances(arch);
  for (const { inst } of parts) {
    const entry = lut.entries[opKey(inst)];
    if (!entry) throw new UserError(`calibration: LUT ${lut.id} lacks ${opKey(inst)} (network ${arch.name})`, { hint: 'profile the networks first (nas profile --arch/--published/--space S --random N)' });
    sumMedian += entry.stats.median;
    bytes += activationBytes(inst);
  }
  return { sumMedian, ops: parts.length, bytes };
}

/** Least squares over the chosen columns (others fixed at 0), with a tiny ridge so collinear inputs stay solvable. */
function leastSquares(rows: number[][], targets: number[], columns: number[]): number[] {
  const k = columns.length;
  const scale = columns.map((j) => Math.max(1e-12, Math.sqrt(rows.reduce((s, r) => s + r[j] * r[j], 0) / rows.length)));
  const x = rows.map((r) => columns.map((j, c) => r[j] / scale[c]));
  const a = x[0].map((_, i) => x[0].map((_, j) => x.reduce((s, r) => s + r[i] * r[j], 0) + (i === j ? 1e-9 * rows.length : 0)));
  const b = x[0].map((_, i) => x.reduce((s, r, n) => s + r[i] * targets[n], 0));
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    [b[c], b[p]] = [b[p], b[c]];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let q = c; q < k; q++) a[r][q] -= f * a[c][q];
      b[r] -= f * b[c];
    }
  }
  const out = [0, 0, 0];
  columns.forEach((j, c) => (out[j] = b[c] / a[c][c] / scale[c]));
  return out;
}

/**
 * The costs are physical, so they cannot be negative: fit all three, and if noise drives the per-op or
 * per-byte cost below zero, keep the best fit among those that leave such a cost out.
 */
function nonNegativeFit(rows: number[][], targets: number[]): number[] {
  const sse = (p: number[]) => rows.reduce((s, r, i) => s + (r[0] * p[0] + r[1] * p[1] + r[2] * p[2] - targets[i]) ** 2, 0);
  const candidates = [[0, 1, 2], [0, 1], [0, 2], [0]].map((cols) => leastSquares(rows, targets, cols)).filter((p) => p[1] >= 0 && p[2] >= 0);
  return candidates.reduce((best, p) => (sse(p) < sse(best) ? p : best));
}

/** Fits the calibration to (network, measured ms) pairs. */
export function fitCalibration(lut: Lut, measured: { arch: Architecture; ms: number }[], source: string): LutCalibration {
  if (measured.length < 3) throw new UserError(`calibration needs at least 3 measured networks, got ${measured.length}`);
  const sums = measured.map((m) => lutSums(lut, m.arch));
  // measured − Σ median = base − perOp·ops − perByte·bytes
  const rows = sums.map((s) => [1, -s.ops, -s.bytes]);
  const targets = measured.map((m, i) => m.ms - sums[i].sumMedian);
  const [baseMs, perOpMs, perByteMs] = nonNegativeFit(rows, targets);
  const calibration: LutCalibration = { baseMs, perOpMs, perByteMs, fittedOn: measured.length, rmsErrorPct: 0, source, createdAt: new Date().toISOString() };
  calibration.rmsErrorPct = rmsPct(measured.map((m, i) => [calibratedSum(calibration, sums[i]), m.ms]));
  // The uncalibrated prediction on the same networks, so a fit that does not help can be refused.
  const plain = { ...lut, calibration: undefined };
  calibration.plainRmsErrorPct = rmsPct(measured.map((m) => [predict(plain, m.arch, { breakdown: false }).ms, m.ms]));
  return calibration;
}

function rmsPct(pairs: [number, number][]): number {
  return 100 * Math.sqrt(pairs.reduce((s, [p, m]) => s + ((p - m) / m) ** 2, 0) / pairs.length);
}

/** A calibration is worth keeping only when it fits the measured networks better than the plain sum does. */
export function calibrationHelps(c: LutCalibration): boolean {
  return c.plainRmsErrorPct === undefined || c.rmsErrorPct < c.plainRmsErrorPct;
}

export function calibratedSum(c: LutCalibration, s: { sumMedian: number; ops: number; bytes: number }): number {
  return c.baseMs + s.sumMedian - c.perOpMs * s.ops - c.perByteMs * s.bytes;
}

/** Measures `archs` end to end on `device` (the LUT's device) and fits the calibration. */
export async function calibrate(
  lut: Lut,
  device: Device,
  archs: Architecture[],
  source: string,
  onProgress?: (done: number, total: number) => void,
): Promise<{ calibration: LutCalibration; measured: { arch: Architecture; ms: number }[] }> {
  const { networkModel } = await import('../../export/model.js');
  const measured: { arch: Architecture; ms: number }[] = [];
  for (const [i, arch] of archs.entries()) {
    const { stats } = await device.time(networkModel(arch), lut.protocol);
    measured.push({ arch, ms: stats.median });
    onProgress?.(i + 1, archs.length);
  }
  return { calibration: fitCalibration(lut, measured, source), measured };
}
