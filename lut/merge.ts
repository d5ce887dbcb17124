/**
 * Merging LUTs measured in several runs (e.g. one space per night) into one. They must describe the
 * same device settings and protocol, otherwise their numbers do not mean the same thing; `force`
 * merges anyway and keeps the first LUT's device record.
 *
 * With a timing reference (devices/reference.ts) every figure of a LUT is in its own unit, its reference scale
 * R and slope β (protocol.referenceMs, referenceSlope), which the protocol check leaves aside (each run measures
 * its own). The result is in the first LUT's unit: a LUT of the same β is brought to the first's R exactly (every
 * figure × (R first / R own)^β, lut/reference.ts rescaleLut); one of another β cannot be (that needs each
 * round's reference reading, which a LUT does not keep) and is refused, --force or not, with how to fix it.
 */
import type { LatencyStats } from '../devices/types.js';
import { relativeHalfWidth } from '../devices/stats.js';
import { UserError } from '../src/core/errors.js';
import { deviceDifferences, protocolDifferences } from './compare.js';
import { netOf } from './entry.js';
import type { Lut, LutEntry } from './format.js';
import { lutId } from './store.js';
import { rescaleLut } from './reference.js';

export interface MergeResult {
  lut: Lut;
  /** How many entries of the result came from each input, in input order. */
  fromEach: number[];
  /** Keys present in more than one input. */
  conflicts: number;
  /** The inputs brought to the first's reference scale R before merging: their name, R and the factor their figures were multiplied by. */
  rescaled: { name: string; fromMs: number; toMs: number; factor: number }[];
}

/** Relative half-width of the median's CI: the smaller, the better measured. */
function precision(stats: LatencyStats): number {
  return relativeHalfWidth(stats.ci95, stats.median);
}

/**
 * Merges `inputs` (at least one), each in the first's reference unit (referenceFactorTo). On a key present in several inputs the entry with the tighter relative
 * CI wins (the earlier input on a tie). The overhead is the best-measured one, and every entry's
 * `net` is recomputed against it so that all nets share one baseline.
 */
export function mergeLuts(inputs: readonly Lut[], options: { force?: boolean; names?: readonly string[] } = {}): MergeResult {
  if (inputs.length === 0) throw new UserError('merge needs at least one LUT');
  const names = options.names ?? inputs.map((_, i) => `LUT ${i + 1}`);
  const [first] = inputs;
  if (!options.force) {
    const problems = inputs.slice(1).flatMap((lut, i) => {
      const labels: [string, string] = [names[0], names[i + 1]];
      return [...deviceDifferences(first.device, lut.device, labels), ...protocolDifferences(first.protocol, lut.protocol, labels)];
    });
    if (problems.length)
      throw new UserError(`cannot merge LUTs measured under different settings: ${problems.join('; ')}`, {
        hint: 'merge only LUTs from the same device and protocol, or pass --force to merge anyway (the result keeps the first LUT\'s device record)',
      });
  }

  const rescaled: MergeResult['rescaled'] = [];
  const luts = inputs.map((lut, i) => {
    const toFirst = i === 0 ? undefined : referenceFactorTo(first, lut, names[0], names[i]);
    if (toFirst === undefined) return lut;
    rescaled.push({ name: names[i], fromMs: lut.protocol.referenceMs!, toMs: first.protocol.referenceMs!, factor: toFirst });
    return rescaleLut(lut, first.protocol.referenceMs!, toFirst);
  });

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
    // An entry net of its own run's overhead (LutEntry.overheadMs) keeps its net; an owed one is not owed here.
    const { overheadOwed: _, ...kept } = entry;
    entries[key] = kept.overheadMs !== undefined ? kept : { ...kept, net: netOf(entry.stats.median, overhead.median) };
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
    // The result's R is the first's: still provisional where the first's was (the run that completes it adopts its own).
    ...(first.referenceProvisional ? { referenceProvisional: true as const } : {}),
  };
  return { lut, fromEach, conflicts, rescaled };
}

/**
 * What `lut`'s figures are multiplied by to be in `first`'s unit: (R first / R own)^β where both scale rounds by
 * the same reference with the same β and their R differ; undefined where nothing is to be done (the same R, or
 * no common reference: the protocol check's business). A UserError where β differs: no exact conversion.
 */
function referenceFactorTo(first: Lut, lut: Lut, firstName: string, name: string): number | undefined {
  const [a, b] = [first.protocol, lut.protocol];
  if (a.reference === undefined || a.reference !== b.reference || !(a.referenceMs! > 0) || !(b.referenceMs! > 0)) return undefined;
  const [betaA, betaB] = [a.referenceSlope ?? 1, b.referenceSlope ?? 1];
  if (betaA !== betaB) {
    const provisional = [first.referenceProvisional ? firstName : undefined, lut.referenceProvisional ? name : undefined].filter((x) => x !== undefined);
    throw new UserError(
      `cannot merge ${name} into ${firstName}: their rounds were scaled by the timing reference ${a.reference} with different slopes ` +
        `(β ${betaB.toFixed(3)} in ${name}, ${betaA.toFixed(3)} in ${firstName}; R ${b.referenceMs!.toFixed(4)} and ${a.referenceMs!.toFixed(4)} ms), so their figures are in different units, ` +
        'and one cannot be brought to the other exactly (that needs every round\'s reference reading, which a LUT does not keep); --force does not mix them',
      {
        hint:
          (provisional.length ? `${provisional.join(' and ')} ${provisional.length > 1 ? 'are' : 'is'} still provisional (its first run stopped before it adopted R and β): complete it with the nas profile command that made it (same --out), then merge again; or ` : '') +
          `measure ${name}'s ops into ${firstName} instead: nas profile --out ${firstName} with the flags that made ${name} (a run that completes a LUT measures in its R and β)`,
      },
    );
  }
  return a.referenceMs === b.referenceMs ? undefined : (a.referenceMs! / b.referenceMs!) ** betaA;
}
