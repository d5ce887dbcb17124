/**
 * Comparing two LUTs: which keys only one has, and for the common ones how B's medians relate to
 * A's (B/A > 1: slower in B). Typical uses: two devices, two runtime versions, a re-run for noise.
 */
import { median, quantile } from 'simple-statistics';
import { deviceDifferences, protocolDifferences } from './compare.js';
import type { Lut } from './format.js';

export interface CommonEntry {
  key: string;
  a: number;
  b: number;
  /** b / a of the medians. */
  ratio: number;
}

export interface RatioSummary {
  count: number;
  /** Geometric mean: the typical factor, symmetric between faster and slower. */
  geomean: number;
  median: number;
  p10: number;
  p90: number;
  min: CommonEntry;
  max: CommonEntry;
}

export interface LutDiff {
  onlyA: string[];
  onlyB: string[];
  /** Sorted by ratio, most sped-up first. */
  common: CommonEntry[];
  /** Undefined when the LUTs share no entry with a positive median in A. */
  summary?: RatioSummary;
  overhead: { a: number; b: number; ratio: number };
  /** Device settings that differ, e.g. `options.threads: A 2, B 1`. */
  device: string[];
  protocol: string[];
}

export function diffLuts(a: Lut, b: Lut): LutDiff {
  const onlyA = Object.keys(a.entries).filter((k) => !Object.hasOwn(b.entries, k)).sort();
  const onlyB = Object.keys(b.entries).filter((k) => !Object.hasOwn(a.entries, k)).sort();
  const common = Object.keys(a.entries)
    .filter((k) => Object.hasOwn(b.entries, k))
    .map((key) => {
      const ma = a.entries[key].stats.median;
      const mb = b.entries[key].stats.median;
      return { key, a: ma, b: mb, ratio: mb / ma };
    })
    .sort((x, y) => x.ratio - y.ratio || (x.key < y.key ? -1 : 1));
  return {
    onlyA,
    onlyB,
    common,
    summary: summarizeRatios(common.filter((c) => c.a > 0 && Number.isFinite(c.ratio))),
    overhead: { a: a.overhead.median, b: b.overhead.median, ratio: b.overhead.median / a.overhead.median },
    device: deviceDifferences(a.device, b.device),
    protocol: protocolDifferences(a.protocol, b.protocol),
  };
}

function summarizeRatios(sorted: CommonEntry[]): RatioSummary | undefined {
  if (sorted.length === 0) return undefined;
  const ratios = sorted.map((c) => c.ratio);
  const positive = ratios.filter((r) => r > 0);
  return {
    count: sorted.length,
    geomean: positive.length ? Math.exp(positive.reduce((s, r) => s + Math.log(r), 0) / positive.length) : 0,
    median: median(ratios),
    p10: quantile(ratios, 0.1),
    p90: quantile(ratios, 0.9),
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}
