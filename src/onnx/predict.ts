/**
 * Latency of an ONNX file from a LUT of its units: overhead (or the calibrated base) + Σ unit latencies,
 * each unit counted like an op (its net latency, or its calibrated median when the LUT has a calibration),
 * with a per-unit breakdown sorted by latency.
 */
import { UserError } from '../core/errors.js';
import type { LatencyStats } from '../../devices/types.js';
import type { Lut, LutEntry } from '../../lut/format.js';
import type { OnnxPlan } from './plan.js';
import { IN_FILE_BY_DEFAULT, inFileMs, missedBytes, planWeightBytes } from './in-file.js';
import { unitReuse } from './reuse.js';
import { onnxMetrics, type OnnxMetrics } from './primitives.js';
import { staleLayoutEntry } from './layout.js';
import { WALL_CALIBRATION } from './calibration-nets.js';
import { copiedInputBytes, FEEDS_BY_DEFAULT, perInputByteMs, perInputMs, type CopyRule } from './feeds.js';
import { chainMaxBytes } from './extract.js';

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
  /**
   * NCHWc layout (ort-cpu): each unit counted without the reorders its one-unit model ran (`ownMs` in all),
   * the file's own reorders added once each (`fileMs`, also listed among the units). `corrected` is false when
   * a unit's LUT entry predates the record of its reorders (then the sum is the plain one and `note` says why).
   */
  layout: { corrected: boolean; fileKernels: number; fileMs: number; ownMs: number; note?: string };
  /**
   * In-chain figures (src/onnx/extract.ts, chainedModel): the chainable weight-free units counted at what the
   * second of two copies of them costs (its input just written by the kernel before it, as in the file) instead of
   * their figure alone; `units` of the file's `chainable` had one in the LUT, `savedMs` is alone − in chain, in all.
   */
  chain: { units: number; chainable: number; savedMs: number; note?: string };
  /**
   * Feeds (src/onnx/feeds.ts): every unit counted without what the harness charged it for its run-time inputs
   * beyond the first (`perInputMs` each, from the LUT's two feed entries; 0 and `applied` false when it has not
   * both) and, where its activations fit in a core's L2, for copying its input bytes (`perInputByteMs`, from the
   * copy entry; 0 without it); `inputs` how many such inputs, `inputBytes` how many such bytes the file's units
   * have, `savedMs` what was taken off in all.
   */
  feeds: { applied: boolean; perInputMs: number; perInputByteMs: number; inputs: number; inputBytes: number; savedMs: number };
  /**
   * The in-file correction (the LUT's `inFile`, src/onnx/in-file.ts): what the compute units were charged for
   * running inside the file (weights no longer warm), in all; absent when the LUT has none or it was turned off.
   * `warm`: the file's weights (`fileWeightBytes`) fit in the correction's warmBytes, so nothing was added.
   */
  inFile?: { ms: number; fittedOn: string[]; fileWeightBytes: number; warm: boolean; model: 'reuse' | 'line'; builtIn: boolean };
  /**
   * Which correction the figure has beyond the plain sum of units, in words (the layout's, the in-file fit's,
   * or none), and when the LUT could have one it lacks, how to add it.
   */
  correction: { applied: string[]; note?: string };
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
    // Units the LUT's device already refused (a tfjs device and a node with no primitive, an op its provider lacks)
    // cannot be measured into it: --profile-missing would record the same refusal.
    const refused = missing.filter((m) => !m.unsupported && lut.unsupported?.[m.key] !== undefined).length;
    super(`LUT ${lut.id} has no entry for ${missing.length} unit(s) of this model:\n${shown.join('\n')}`, {
      hint:
        refused === missing.length
          ? `the LUT's device cannot run ${refused === 1 ? 'this unit' : 'these units'} (its reason above), so --profile-missing cannot fill ${refused === 1 ? 'it' : 'them'}: profile and predict this file on a device that runs any ONNX node (ort-cpu, wasm, browser-wasm, webgpu, webgpu-native or remote), e.g. nas profile --onnx FILE --device cpu --out LUT`
          : 'measure them with --profile-missing --device <the LUT\'s device>, or nas profile --onnx FILE --device D --out LUT',
    });
    this.name = 'MissingUnitsError';
    this.missing = missing.map((m) => m.key);
  }
}

const halfWidth = (s: LatencyStats) => (s.ci95[1] - s.ci95[0]) / 2;

/** A layout entry's plain-layout bytes, read and written (its LUT record holds the shape). */
const layoutBytes = (e: LutEntry) => 2 * 4 * (e.unit?.inputs[0] ?? []).reduce((a, b) => a * b, 1);

/**
 * `inFile: false` leaves the LUT's in-file correction out (units as timed alone); `chain: false` counts every unit
 * at its figure alone even where the LUT has its in-chain figure; `feeds` takes off (true) or leaves charged (false)
 * what each unit paid alone for its inputs (src/onnx/feeds.ts; default: on for the devices of FEEDS_BY_DEFAULT); `copyRule`
 * which units are counted less their input copy (default COPY_RULE).
 */
export function predictOnnx(lut: Lut, plan: OnnxPlan, opts: { inFile?: boolean; chain?: boolean; feeds?: boolean; copyRule?: CopyRule } = {}): OnnxPrediction {
  const cal = lut.calibration;
  let ms = cal ? cal.baseMs : lut.overhead.median;
  let variance = lut.overhead.std ** 2;
  let ciVariance = halfWidth(lut.overhead) ** 2;
  const units: UnitPrediction[] = [];
  const missing = new Map<string, { key: string; unsupported?: string }>();
  const lookup = (key: string, unsupported?: string) => {
    const entry = Object.hasOwn(lut.entries, key) ? lut.entries[key] : undefined;
    if (!entry) missing.set(key, { key, unsupported });
    return entry;
  };
  const valueOf = (e: LutEntry, bytes: number) => (cal ? (cal.scale ?? 1) * e.stats.median - cal.perOpMs - cal.perByteMs * bytes : e.net);
  const count = (e: LutEntry) => {
    variance += e.stats.std ** 2;
    ciVariance += halfWidth(e.stats) ** 2;
  };
  // The layout is corrected only where every unit's entry says which reorders its figure includes.
  const entries = plan.units.map((u) => lookup(u.key, u.unsupported));
  const unrecorded = entries.filter((e) => e && !e.unit?.layout).length;
  // …and none of those reorders (nor the file's) holds an output copy that no unit pays (staleLayoutEntry).
  const layoutKeys = new Set([...entries.flatMap((e) => e?.unit?.layout ?? []), ...plan.layout.map((l) => l.key)]);
  const stale = plan.nchwc ? [...layoutKeys].filter((k) => Object.hasOwn(lut.entries, k) && staleLayoutEntry(lut, k, lut.entries[k])).length : 0;
  const corrected = plan.nchwc && unrecorded === 0 && stale === 0;
  let ownMs = 0;
  let fileMs = 0;
  const inFile = opts.inFile !== false ? lut.inFile : undefined;
  let inFileTotal = 0;
  const fileWeightBytes = planWeightBytes(plan);
  const reuse = inFile?.model === 'reuse' ? unitReuse(plan) : undefined;
  const chain = { units: 0, chainable: 0, savedMs: 0 };
  const feedsOn = opts.feeds ?? FEEDS_BY_DEFAULT.has(lut.device.device);
  const perInput = feedsOn ? perInputMs(lut, cal?.scale ?? 1) : undefined;
  const perByte = feedsOn ? perInputByteMs(lut, cal?.scale ?? 1) : undefined;
  const feeds = { applied: perInput !== undefined, perInputMs: perInput ?? 0, perInputByteMs: perByte ?? 0, inputs: 0, inputBytes: 0, savedMs: 0 };
  const maxBytes = chainMaxBytes();
  plan.units.forEach((u, i) => {
    const entry = entries[i];
    if (!entry) return;
    let value = valueOf(entry, u.bytes);
    count(entry);
    let chained = false;
    // A chainable unit whose own figure holds no reorders: what the second of two copies of it costs.
    if (u.chainKey && !entry.unit?.layout?.length) {
      chain.chainable++;
      const twice = opts.chain !== false && Object.hasOwn(lut.entries, u.chainKey) ? lut.entries[u.chainKey] : undefined;
      if (twice) {
        const inChain = Math.max(0, (cal?.scale ?? 1) * (twice.stats.median - entry.stats.median));
        chain.units++;
        chain.savedMs += value - inChain;
        value = inChain;
        chained = true;
        count(twice);
      }
    }
    // What it was charged for feeding its run-time inputs beyond the first, which inside the file it is not (its
    // in-chain figure, twice − once, feeds nothing more). Never below nothing.
    // And the copy of its input bytes into onnxruntime-web's heap, for the units copiedInputBytes says (src/onnx/feeds.ts).
    if (!chained) {
      const extra = Math.max(0, u.inputs.length - 1);
      const inBytes = copiedInputBytes(u, maxBytes, opts.copyRule);
      feeds.inputs += extra;
      feeds.inputBytes += inBytes;
      const off = Math.min(Math.max(0, value), (perInput ?? 0) * extra + (perByte ?? 0) * inBytes);
      feeds.savedMs += off;
      value -= off;
    }
    if (corrected) {
      let own = 0;
      for (const k of entry.unit!.layout!) {
        const e = lookup(k);
        if (e) {
          own += valueOf(e, layoutBytes(e));
          count(e);
        }
      }
      // A unit's compute cannot cost less than nothing: noise in its reorders' figures stops at 0.
      own = Math.min(own, Math.max(0, value));
      ownMs += own;
      value -= own;
    }
    if (inFile) {
      // A unit cannot cost less than nothing: a negative intercept stops at its own figure.
      const model = reuse ? missedBytes(reuse[i], u.weightBytes, inFile.cacheBytes ?? 0, inFile.curve) : undefined;
      const extra = Math.max(-value, model ? (inFile.perMissedByteMs ?? 0) * (model.inFile - model.alone) : inFileMs(inFile, u, fileWeightBytes));
      inFileTotal += extra;
      value += extra;
    }
    ms += value;
    units.push({ key: u.key, ops: u.ops, nodes: u.unit.nodes.map((n) => n.name || `#${n.index}`), kernel: u.unit.kernel.name, ms: value, std: entry.stats.std, share: 0 });
  });
  if (corrected)
    for (const l of plan.layout) {
      const e = lookup(l.key);
      if (!e) continue;
      const value = valueOf(e, l.bytes);
      count(e);
      ms += value;
      fileMs += value;
      units.push({ key: l.key, ops: [l.op], nodes: [], kernel: l.kernel, ms: value, std: e.stats.std, share: 0 });
    }
  if (missing.size) throw new MissingUnitsError(lut, [...missing.values()]);
  const note = !plan.nchwc
    ? undefined
    : unrecorded
      ? `${unrecorded} unit entr${unrecorded === 1 ? 'y predates' : 'ies predate'} the record of the NCHWc reorders a unit pays alone: layout not corrected (re-measure with nas profile --onnx … --force)`
      : stale
        ? `${stale} ReorderInput entr${stale === 1 ? 'y was' : 'ies were'} timed with its output copied out every run, which no unit pays: layout not corrected (nas profile --onnx … on the same LUT measures them again)`
        : plan.layoutUnknown.length
          ? `${plan.layoutUnknown.length} reorder(s) of the file have no inferred shape and are not counted: ${plan.layoutUnknown.slice(0, 3).join(', ')}`
          : undefined;
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
    layout: { corrected, fileKernels: corrected ? plan.layout.length : 0, fileMs, ownMs, ...(note ? { note } : {}) },
    chain: { ...chain, ...chainNote(lut, plan, chain, opts.chain === false) },
    feeds,
    ...(inFile
      ? {
          inFile: {
            ms: inFileTotal,
            fittedOn: inFile.fittedOn,
            fileWeightBytes,
            warm: reuse ? (reuse[0]?.fileBytes ?? 0) <= (inFile.cacheBytes ?? 0) : inFile.warmBytes !== undefined && fileWeightBytes <= inFile.warmBytes,
            model: reuse ? ('reuse' as const) : ('line' as const),
            builtIn: !!inFile.builtIn,
          },
        }
      : {}),
    correction: correctionOf(lut, corrected, inFile, opts.inFile === false, chain.units, feeds),
    metrics: onnxMetrics(graph),
    units,
  };
}

/** Why some chainable units were counted at their figure alone, when some were. */
function chainNote(lut: Lut, plan: OnnxPlan, chain: { units: number; chainable: number }, turnedOff: boolean): { note?: string } {
  if (turnedOff || chain.units === chain.chainable) return {};
  const missing = plan.units.filter((u) => u.chainKey && !Object.hasOwn(lut.entries, u.chainKey) && !lut.unsupported?.[u.chainKey]).length;
  if (!missing) return {};
  return {
    note: `${missing} weight-free unit(s) counted as timed alone: LUT ${lut.id} has not their in-chain figure (a unit alone reads its input from the caller and writes a fresh output; nas profile --onnx FILE --out <this LUT> measures what it costs inside a chain)`,
  };
}

function correctionOf(lut: Lut, layout: boolean, inFile: Lut['inFile'], turnedOff: boolean, chained: number, feeds: OnnxPrediction['feeds']): OnnxPrediction['correction'] {
  const applied: string[] = [];
  if (layout) applied.push('NCHWc layout (units without their own reorders, the file\'s added)');
  if (chained) applied.push(`in-chain figures for ${chained} weight-free unit(s)`);
  if (feeds.applied && (feeds.inputs || feeds.inputBytes)) applied.push(`feeds: ${feeds.inputs} run-time input(s) beyond each unit's first, ${(1000 * feeds.perInputMs).toFixed(2)} µs each, ${(feeds.inputBytes / 2 ** 20).toFixed(2)} MiB of inputs at ${(1e3 * 2 ** 20 * feeds.perInputByteMs).toFixed(1)} µs per MiB`);
  if (inFile)
    applied.push(
      `in-file ${inFile.model === 'reuse' ? 'reuse model' : 'weight line'} fitted on ${inFile.builtIn ? 'the built-in calibration nets' : `${inFile.fittedOn.length} file(s)`}`,
    );
  const note = turnedOff
    ? lut.inFile
      ? "the LUT's in-file fit was left out (--no-in-file)"
      : undefined
    : !lut.inFile && (IN_FILE_BY_DEFAULT as ReadonlySet<string>).has(lut.device.device)
      ? `LUT ${lut.id} has no in-file fit: units are summed as timed alone (whole files with many weights measured 6–37% above that sum); add it with nas profile --onnx FILE --device ${lut.device.device === 'ort-cpu' ? 'cpu' : lut.device.device} --threads 1 --out <this LUT> (its units are reused; the fit times ${WALL_CALIBRATION.length} built-in nets whole and their units)`
      : undefined;
  return { applied: applied.length ? applied : ['none (plain sum of the units)'], ...(note ? { note } : {}) };
}
