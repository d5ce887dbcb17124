/**
 * Merging LUTs measured in several runs (e.g. one space per night) into one. They must describe the
 * same device settings and protocol, otherwise their numbers do not mean the same thing; `force`
 * merges anyway and keeps the first LUT's device record.
 */
import type { LatencyStats } from '../devices/types.js';
import { relativeHalfWidth } from '../devices/stats.js';
import { UserError } from '../src/core/errors.js';
import { deviceDifferences, protocolDifferences } from './compare.js';
import { netOf } from './entry.js';
import type { Lut, LutEntry } from './format.js';
import { lutId } from './store.js';

export interface MergeResult {
  lut: Lut;
  /** How many entries of the result came from each input, in input order. */
  fromEach: number[];
  /** Keys present in more than one input. */
  conflicts: number;
}

/** Relative half-width of the median's CI: the smaller, the better measured. */
function precision(stats: LatencyStats): number {
  return relativeHalfWidth(stats.ci95, stats.median);
}

/**
 * Merges `luts` (at least one). On a key present in several inputs the entry with the tighter relative
 * CI wins (the earlier input on a tie). The overhead is the best-measured one, and every entry's
 * `net` is recomputed against it so that all nets share one baseline.
 */
export function mergeLuts(luts: readonly Lut[], options: { force?: boolean; names?: readonly string[] } = {}): MergeResult {
  if (luts.length === 0) throw new UserError('merge needs at least one LUT');
  const names = options.names ?? luts.map((_, i) => `LUT ${i + 1}`);
  const [first] = luts;
  if (!options.force) {
    const problems = luts.slice(1).flatMap((lut, i) => {
      const labels: [string, string] = [names[0], names[i + 1]];
      return [...deviceDifferences(first.device, lut.device, labels), ...protocolDifferences(first.protocol, lut.protocol, labels)];
    });
    if (problems.length)
      throw new UserError(`cannot merge LUTs measured under different settings: ${problems.join('; ')}`, {
        hint: 'merge only LUTs from the same device and protocol, or pass --force to merge anyway (the result keeps the first LUT\'s device record)',
      });
  }

  const chosen = new Map<string, { entry: LutEntry; from: number }>();
  let conflicts = 0;
  luts.forEach((lut, from) => {
    for (const [key, entry] of Object.entries(lut.entries)) {
      const held = chosen.get(key);
      if (held) conflicts++;
      if (!held || precision(entry.stats) < precision(held.entry.stats)) chosen.set(key, { entry, from });
    }
  });

  const overhead = luts.map((l) => l.overhead).reduce((best, o) => (precision(o) < precision(best) ? o : best));
  const entries: Record<string, LutEntry> = {};
  const fromEach = luts.map(() => 0);
  for (const key of [...chosen.keys()].sort()) {
    const { entry, from } = chosen.get(key)!;
    entries[key] = { ...entry, net: netOf(entry.stats.median, overhead.median) };
    fromEach[from]++;
  }
  const unsupported = Object.fromEntries(
    luts.flatMap((l) => Object.entries(l.unsupported ?? {})).filter(([key]) => !Object.hasOwn(entries, key)),
  );

  const lut: Lut = {
    format: first.format,
    version: first.version,
    id: lutId(first.device, first.protocol),
    createdAt: luts.map((l) => l.createdAt).sort()[0],
    updatedAt: new Date().toISOString(),
    device: first.device,
    protocol: first.protocol,
    overhead,
    spaces: [...new Set(luts.flatMap((l) => l.spaces))],
    entries,
    ...(Object.keys(unsupported).length ? { unsupported } : {}),
  };
  return { lut, fromEach, conflicts };
}
