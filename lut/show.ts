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
  /** Entries kept unsteady (LutEntry.unsteady), the widest spread first: `nas profile --retake` measures them again; absent when none. */
  unsteady?: { count: number; why: Record<string, number>; shown: { key: string; why: string; spread?: number; setAside: number; rounds: number }[] };
  /** Entries measured in rounds: how many, the median and largest spread of their round medians, and the busiest machine state seen. */
  rounds?: {
    entries: number;
    medianSpread: number;
    maxSpread: number;
    maxLoad?: number;
    maxStealPct?: number;
    /** Rounds a gate set aside and retook (entries' roundsSetAside): how many entries had any, how many rounds, and why; absent when none. */
    setAside?: { entries: number; rounds: number; why: Record<string, number> };
  };
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
    ...roundSummary(lut),
    ...unsteadySummary(lut, top),
  };
}

function unsteadySummary(lut: Lut, top: number): Pick<LutSummary, 'unsteady'> {
  const rows = Object.entries(lut.entries).flatMap(([key, e]) =>
    e.unsteady ? [{ key, why: e.unsteady.why, ...(e.spread !== undefined ? { spread: e.spread } : {}), setAside: e.unsteady.setAside, rounds: (e.rounds?.length ?? 1) + (e.roundsSetAside?.length ?? 0) }] : [],
  );
  if (!rows.length) return {};
  const why: Record<string, number> = {};
  for (const r of rows) why[r.why] = (why[r.why] ?? 0) + 1;
  rows.sort((a, b) => b.setAside - a.setAside || (b.spread ?? 0) - (a.spread ?? 0) || (a.key < b.key ? -1 : 1));
  return { unsteady: { count: rows.length, why, shown: rows.slice(0, top) } };
}

function roundSummary(lut: Lut): Pick<LutSummary, 'rounds'> {
  const entries = Object.values(lut.entries).filter((e) => e.spread !== undefined);
  if (!entries.length) return {};
  const spreads = entries.map((e) => e.spread!).sort((a, b) => a - b);
  const mid = spreads.length >> 1;
  const loads = entries.flatMap((e) => (e.noise ? [e.noise.load1] : []));
  const steals = entries.flatMap((e) => (e.noise?.stealPct !== undefined ? [e.noise.stealPct] : []));
  const aside = entries.flatMap((e) => e.roundsSetAside ?? []);
  const why: Record<string, number> = {};
  for (const r of aside) why[r.why] = (why[r.why] ?? 0) + 1;
  return {
    rounds: {
      entries: entries.length,
      medianSpread: spreads.length % 2 ? spreads[mid] : (spreads[mid - 1] + spreads[mid]) / 2,
      maxSpread: spreads[spreads.length - 1],
      ...(loads.length ? { maxLoad: Math.max(...loads) } : {}),
      ...(steals.length ? { maxStealPct: Math.max(...steals) } : {}),
      ...(aside.length ? { setAside: { entries: entries.filter((e) => e.roundsSetAside?.length).length, rounds: aside.length, why } } : {}),
    },
  };
}
