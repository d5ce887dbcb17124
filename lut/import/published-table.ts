/**
 * What the ProxylessNAS and Once-for-All importers share: reading the published JSON, turning a published
 * (mean, spread, count) into our LatencyStats, and assembling a LUT whose device is the phone the table was
 * measured on. Their figures are sums of blocks with no per-session overhead, so the overhead is 0.
 */
import { readFileSync } from 'node:fs';
import type { DeviceInfo, LatencyStats, TimingProtocol } from '../../devices/types.js';
import { UserError } from '../../src/core/errors.js';
import { opKey } from '../../src/core/keys.js';
import type { OpInstance } from '../../src/core/ops.js';
import type { Lut, LutEntry } from '../format.js';
import { createLut } from '../store.js';

/** One row of a published table, as both files write it. */
export interface PublishedRow {
  key: string;
  type: string;
  input: [number, number, number];
  output: [number, number, number] | number;
  expand?: number;
  kernel?: number;
  stride?: number;
  idskip?: number;
  se?: number;
  hs?: number;
  mean_ms: number;
  count: number;
  var?: number;
  std_ms?: number;
}

export function readPublishedJson(file: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read ${what} '${file}': ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, {
      hint: 'the published tables ship in ../shared/data/third-party-luts/',
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${what} '${file}' is not valid JSON: ${(e as Error).message}`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new UserError(`${what} '${file}' is not a JSON object`);
  return data as Record<string, unknown>;
}

export function checkRow(row: unknown, file: string): PublishedRow {
  const r = row as PublishedRow;
  const ok =
    r && typeof r.key === 'string' && typeof r.type === 'string' && Array.isArray(r.input) && r.input.length === 3 &&
    Number.isFinite(r.mean_ms) && r.mean_ms >= 0 && Number.isInteger(r.count) && r.count >= 1;
  if (!ok) throw new UserError(`${file}: malformed table row ${JSON.stringify(row)?.slice(0, 200)}`, { hint: 'expected {key, type, input:[H,W,C], output, mean_ms, count, ...}' });
  return r;
}

/**
 * The tables publish a mean, a spread and a run count, not a distribution: median, p10, p90, min and
 * max are set to the mean (the importer's notes say so) and the CI is the normal-theory CI of the mean.
 */
export function statsFromMean(mean: number, std: number, count: number): LatencyStats {
  const half = (1.96 * std) / Math.sqrt(count);
  return { n: count, rejected: 0, median: mean, mean, std, p10: mean, p90: mean, min: mean, max: mean, ci95: [Math.max(0, mean - half), mean + half], converged: true };
}

export interface PhoneInfo {
  device: string;
  description: string;
  runtime: string;
}

export interface ImportedRow {
  inst: OpInstance;
  stats: LatencyStats;
}

/** Assembles the LUT; two rows mapping to one key is a bug in the mapping and fails loudly. */
export function assembleLut(opts: {
  phone: PhoneInfo;
  rows: ImportedRow[];
  format: string;
  file: string;
  source: string;
  notes: string[];
  spaces: string[];
}): Lut {
  const device: DeviceInfo = {
    device: opts.phone.device,
    runtime: opts.phone.runtime,
    runtimeVersion: 'as published',
    ep: 'cpu',
    options: { imported: opts.format },
    host: { cpu: opts.phone.description, cores: 0, os: 'Android', node: '' },
    timing: `published per-block mean, ms (imported from ${opts.format})`,
  };
  const counts = opts.rows.map((r) => r.stats.n);
  // The sources do not publish their warm-up or time limits; the protocol records the run counts the rows have.
  const protocol: TimingProtocol = { warmup: 0, minRepeats: Math.min(...counts), maxRepeats: Math.max(...counts), maxTimeMs: 1, targetCI: 1 };
  const lut = createLut(device, protocol, statsFromMean(0, 0, 1));
  const now = lut.createdAt;
  const entries: Record<string, LutEntry> = {};
  for (const { inst, stats } of opts.rows) {
    const key = opKey(inst);
    if (entries[key]) throw new Error(`two published rows map to ${key}`);
    entries[key] = { stats, net: stats.median, coldMs: 0, setupMs: 0, measuredAt: now };
  }
  return {
    ...lut,
    spaces: opts.spaces,
    entries,
    imported: {
      format: opts.format,
      file: opts.file,
      source: opts.source,
      notes: [
        'figures are the published per-block means in ms; median/p10/p90/min/max are copies of the mean (the source gives mean, spread and run count only)',
        'overhead is 0: the published network latencies are plain sums of blocks',
        'protocol records the rows\' run counts only (minRepeats/maxRepeats); warm-up and time limits are not published; coldMs/setupMs are 0 (not published)',
        ...opts.notes,
      ],
    },
  };
}

/** H×W×C of a published row as our N×C×H×W. */
export function nchw(hwc: readonly number[]): [number, number, number, number] {
  return [1, hwc[2], hwc[0], hwc[1]];
}
