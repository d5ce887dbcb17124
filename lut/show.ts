/** A summary of one LUT as data; the CLI decides how to print it. */
import type { DeviceInfo, LatencyStats, TimingProtocol } from '../devices/types.js';
import type { Lut } from './format.js';

export interface ShownEntry {
  key: string;
  median: number;
  net: number;
}

export interface LutSummary {
  id: string;
  device: DeviceInfo;
  protocol: TimingProtocol;
  overhead: LatencyStats;
  spaces: string[];
  createdAt: string;
  updatedAt: string;
  entries: number;
  /** Entry count per op kind, e.g. { mbconv: 120, conv: 4 }. */
  perKind: Record<string, number>;
  /** Entries whose median CI did not reach the protocol's target. */
  unconverged: number;
  unsupported: number;
  /** Σ medians and Σ nets over all entries, ms. */
  totalMedianMs: number;
  totalNetMs: number;
  fastest: ShownEntry[];
  slowest: ShownEntry[];
}

export function showLut(lut: Lut, options: { top?: number } = {}): LutSummary {
  const top = options.top ?? 5;
  const rows = Object.entries(lut.entries)
    .map(([key, e]) => ({ key, median: e.stats.median, net: e.net, converged: e.stats.converged }))
    .sort((a, b) => a.median - b.median || (a.key < b.key ? -1 : 1));
  const perKind: Record<string, number> = {};
  for (const r of rows) {
    const kind = r.key.slice(0, r.key.indexOf(':'));
    perKind[kind] = (perKind[kind] ?? 0) + 1;
  }
  const shown = ({ key, median, net }: (typeof rows)[number]): ShownEntry => ({ key, median, net });
  return {
    id: lut.id,
    device: lut.device,
    protocol: lut.protocol,
    overhead: lut.overhead,
    spaces: lut.spaces,
    createdAt: lut.createdAt,
    updatedAt: lut.updatedAt,
    entries: rows.length,
    perKind,
    unconverged: rows.filter((r) => !r.converged).length,
    unsupported: Object.keys(lut.unsupported ?? {}).length,
    totalMedianMs: rows.reduce((s, r) => s + r.median, 0),
    totalNetMs: rows.reduce((s, r) => s + r.net, 0),
    fastest: rows.slice(0, top).map(shown),
    slowest: rows.slice(-top).reverse().map(shown),
  };
}
