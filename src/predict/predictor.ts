/**
 * LUT-based latency prediction: latency(arch) = overhead + Σ net latency of its LUT instances
 * (src/core/decompose.ts says which instances a layer counts as). When the LUT carries a calibration
 * (src/predict/calibrate.ts), each instance counts as its median less the fitted per-op and per-byte
 * costs that only a one-op model pays, plus the fitted cost of reading its weights from farther away inside
 * a network (perWeightByteMs, where the fit kept it), and the base is the fitted per-network cost.
 *
 * Uncertainty: `std` combines the entries' run-to-run spreads as independent variances; `ci95` combines
 * the half-widths of the entries' (and the overhead's) median CIs the same way, i.e. how well the
 * LUT pins the prediction down, not how far the real network may be from it.
 */
import type { Architecture } from '../core/arch.js';
import { lutInstances } from '../core/decompose.js';
import { UserError } from '../core/errors.js';
import { opKey } from '../core/keys.js';
import { activationBytes, type OpInstance } from '../core/ops.js';
import type { LatencyStats } from '../../devices/types.js';
import type { Lut, LutEntry } from '../../lut/format.js';
import { calibrationClass, classScale } from './context.js';
import { instanceWeightBytes } from './net-features.js';

export interface BlockPrediction {
  layerIndex: number;
  role: string;
  key: string;
  ms: number;
  std: number;
}

export interface Prediction {
  name: string;
  ms: number;
  std: number;
  ci95: [number, number];
  /** The per-network base: the calibrated base when the LUT is calibrated, else the measured session overhead. */
  overheadMs: number;
  calibrated: boolean;
  blocks: BlockPrediction[];
}

export class MissingEntriesError extends UserError {
  readonly missing: { key: string; inst: OpInstance }[];
  /** `lut`: where given and imported from a published table, the hint says what to do instead (nothing can be measured into it: src/profile/missing.ts). */
  constructor(lutId: string, missing: { key: string; inst: OpInstance }[], lut?: Pick<Lut, 'imported' | 'spaces'>) {
    const shown = missing.slice(0, 12).map((m) => `  ${m.key}`);
    if (missing.length > shown.length) shown.push(`  … and ${missing.length - shown.length} more`);
    const from = lut?.imported;
    super(`LUT ${lutId} has no entry for ${missing.length} op instance(s) of this architecture:\n${shown.join('\n')}`, {
      hint: from
        ? `the LUT was imported from a published ${from.format} table, for a device this machine does not have: nothing can be measured into it (--profile-missing is refused); predict only architectures it covers (${lut!.spaces.join(', ') || 'the table\'s own space'}), or profile a LUT of a device you have (nas profile --device cpu …) and predict with that`
        : 'measure them with --profile-missing (same device as the LUT), or fill the LUT with nas-profile for this space/resolution',
    });
    this.name = 'MissingEntriesError';
    this.missing = missing;
  }
}

const halfWidth = (s: LatencyStats) => (s.ci95[1] - s.ci95[0]) / 2;

/**
 * Searches predict ~10^5 architectures a second, and building a key string per layer dominates that.
 * Spaces that reuse their spec objects across builds (mbv2 does) get each key built once per input shape.
 */
const keyCache = new WeakMap<object, { input: readonly number[]; key: string }[]>();
function cachedKey(inst: OpInstance): string {
  let seen = keyCache.get(inst.spec);
  if (!seen) keyCache.set(inst.spec, (seen = []));
  const [n, c, h, w] = inst.input;
  for (const e of seen) if (e.input[0] === n && e.input[1] === c && e.input[2] === h && e.input[3] === w) return e.key;
  const key = opKey(inst);
  if (seen.length < 8) seen.push({ input: inst.input, key });
  return key;
}

/** The LUT instances of an architecture that the LUT lacks (deduplicated by key). */
export function missingInstances(lut: Lut, arch: Architecture): { key: string; inst: OpInstance }[] {
  const missing = new Map<string, OpInstance>();
  for (const { inst } of lutInstances(arch)) {
    const key = opKey(inst);
    if (!lut.entries[key]) missing.set(key, inst);
  }
  return [...missing].map(([key, inst]) => ({ key, inst }));
}

export interface PredictOptions {
  /** false skips the per-block list (searches only need the total). */
  breakdown?: boolean;
  /**
   * Count each entry without the NCHWc reorders its one-unit model ran (entry.ownLayout, ort-cpu LUTs that
   * recorded them): 'edges' those at its input and output only (a network of NCHWc units runs none there),
   * 'all' every one. Entries without the record count as measured. Plain sum only: a calibration fitted its
   * own per-op costs. Default 'keep' (docs/benchmarks.md, "Where ort-cpu's over-prediction of the cell spaces
   * comes from", says why it is not the default).
   */
  ownLayout?: OwnLayoutMode;
  /**
   * Plain sum only (a calibration holds its own): add this many ms per byte of each instance's weights, the cost
   * of reading them inside a network beyond its one-op model (src/predict/weight-cost.ts measures it). Default 0.
   */
  perWeightByteMs?: number;
}

export type OwnLayoutMode = 'keep' | 'edges' | 'all';

/** The plain-sum figure an entry counts as: its net, less its own reorders as `ownLayout` says. */
export function entryNet(entry: LutEntry, ownLayout: OwnLayoutMode = 'keep'): number {
  const own = entry.ownLayout;
  if (ownLayout === 'keep' || !own) return entry.net;
  // A record from before edges were told apart: its edge reorders are unknown, so nothing is removed.
  const ms = ownLayout === 'all' ? own.kernelMs : (own.edgeMs ?? 0);
  return Math.max(0, entry.net - ms);
}

/** The NCHWc reorders an entry's one-op model ran at its edges (0 where the LUT did not record them). */
export function ownEdgeMs(entry: LutEntry): number {
  return Math.min(entry.ownLayout?.edgeMs ?? 0, entry.stats.median);
}

export function predict(lut: Lut, arch: Architecture, opts: PredictOptions = {}): Prediction {
  const breakdown = opts.breakdown ?? true;
  const ownLayout = opts.ownLayout ?? 'keep';
  const parts = lutInstances(arch);
  const blocks: BlockPrediction[] = [];
  let variance = lut.overhead.std ** 2;
  let ciVariance = halfWidth(lut.overhead) ** 2;
  const cal = lut.calibration;
  let ms = cal ? cal.baseMs : lut.overhead.median;
  const missing: { key: string; inst: OpInstance }[] = [];
  // With a weight cache share, each op pays the weight cost on its share of the net's weight bytes beyond it.
  const netWeights = cal?.weightCacheBytes ? parts.reduce((t, { inst }) => t + instanceWeightBytes(inst, cachedKey(inst)), 0) : 0;
  const paidShare = cal?.weightCacheBytes ? (netWeights > 0 ? Math.max(0, 1 - cal.weightCacheBytes / netWeights) : 0) : 1;
  for (const { layerIndex, inst } of parts) {
    const key = cachedKey(inst);
    const entry = lut.entries[key];
    if (!entry) {
      if (!missing.some((m) => m.key === key)) missing.push({ key, inst });
      continue;
    }
    const value = cal
      ? classScale(cal, calibrationClass(inst.spec)) * (entry.stats.median - (cal.lessOwnEdges ? ownEdgeMs(entry) : 0)) - cal.perOpMs - cal.perByteMs * activationBytes(inst) + (cal.perWeightByteMs ? cal.perWeightByteMs * paidShare * instanceWeightBytes(inst, key) : 0)
      : entryNet(entry, ownLayout) + (opts.perWeightByteMs ? opts.perWeightByteMs * instanceWeightBytes(inst, key) : 0);
    ms += value;
    variance += entry.stats.std ** 2;
    ciVariance += halfWidth(entry.stats) ** 2;
    if (breakdown) blocks.push({ layerIndex, role: arch.layers[layerIndex].role, key, ms: value, std: entry.stats.std });
  }
  if (missing.length) throw new MissingEntriesError(lut.id, missing, lut);
  const hw = Math.sqrt(ciVariance);
  return { name: arch.name, ms, std: Math.sqrt(variance), ci95: [ms - hw, ms + hw], overheadMs: cal ? cal.baseMs : lut.overhead.median, calibrated: !!cal, blocks };
}
