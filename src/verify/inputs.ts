/**
 * What a verification starts from: the front file, its members as architectures, and where their
 * predicted latency comes from (the front's LUT, another copy of it given with --lut, or, for a front
 * searched on a table of measured latencies, the front's own figures). Everything that would make the
 * comparison meaningless is refused here, before anything is measured: members of another space, a
 * LUT other than the one the front was searched with, a LUT that does not cover the members.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Architecture } from '../core/arch.js';
import { validateArchitecture } from '../core/arch-file.js';
import { UserError } from '../core/errors.js';
import { missingInstances, predict } from '../predict/predictor.js';
import { readFrontFile, type FrontFile } from '../search/front-file.js';
import type { Lut } from '../../lut/format.js';
import { settingsFlags } from '../../lut/settings-flags.js';
import { readLut } from '../../lut/store.js';
import type { PredictedLatency } from './types.js';

export interface VerifyInputs {
  frontPath: string;
  front: FrontFile;
  archs: Architecture[];
  lut: { lut: Lut; path: string } | null;
  predicted: PredictedLatency[];
}

function spaceLabel(id: string, resolution: unknown): string {
  return resolution === undefined ? id : `${id}@${resolution}`;
}

/** The LUT named in the front's latency provenance, looked up as written, then beside the front file. */
function frontLutPath(front: FrontFile, frontPath: string): string | null {
  const p = front.latency.provenance;
  if (p.kind !== 'lut') return null;
  const written = typeof p.path === 'string' ? p.path : undefined;
  const candidates = written ? [written, path.resolve(path.dirname(frontPath), written), path.join(path.dirname(frontPath), path.basename(written))] : [];
  const found = candidates.find((c) => existsSync(c));
  if (found) return found;
  throw new UserError(`the front was searched with LUT ${String(p.lutId)}${written ? ` (${written})` : ''}, and that file is not found`, {
    hint: 'give the LUT with --lut FILE',
  });
}

export function loadVerifyInputs(frontPath: string, lutPath?: string): VerifyInputs {
  const front = readFrontFile(frontPath);
  if (front.members.length === 0) throw new UserError(`${frontPath}: the front has no members to verify`, { hint: 'run nas search again with a larger --budget or a looser --target-ms' });
  const want = spaceLabel(front.space.id, front.space.options.resolution);
  const archs = front.members.map((m, i) => {
    const arch = validateArchitecture(m.architecture, `${frontPath}: member ${i + 1}`);
    const got = arch.space ? spaceLabel(arch.space.id, arch.space.resolution) : undefined;
    if (got !== undefined && got !== want)
      throw new UserError(`${frontPath}: member ${i + 1} ('${m.name}') is from space ${got}, but the front says ${want}`, {
        hint: 'the file was edited or assembled from several searches; verify each search’s own front file',
      });
    return arch;
  });

  const chosen = lutPath ?? frontLutPath(front, frontPath);
  if (chosen === null) {
    // A front searched on a table of measured latencies: its own figures are the prediction.
    const predicted = front.members.map((m) => ({ ms: m.latency.ms, ci95: m.latency.ci95, baseMs: null, blocks: [] }));
    return { frontPath, front, archs, lut: null, predicted };
  }
  const lut = readLut(chosen);
  const expected = front.latency.provenance.lutId;
  if (front.latency.provenance.kind === 'lut' && expected !== lut.id)
    throw new UserError(`${frontPath} was searched with LUT ${String(expected)}, but ${chosen} is LUT ${lut.id} (${lut.device.device})`, {
      hint: 'predictions must come from the LUT the front was searched with: omit --lut to use it, or search again with this LUT. To see how the figures transfer to another device, keep the LUT and change --device',
    });
  const missing = new Set(archs.flatMap((a) => missingInstances(lut, a).map((m) => m.key)));
  if (missing.size)
    throw new UserError(
      `LUT ${chosen} (profiled for ${lut.spaces.join(', ') || 'no recorded space'}) lacks ${missing.size} op instance(s) of the front's members (space ${want}), e.g. ${[...missing][0]}`,
      { hint: `this front belongs to another space or resolution; fill the LUT with: nas profile ${settingsFlags(lut.device, lut.protocol)} --space ${front.space.id}${front.space.options.resolution ? ` --resolution ${front.space.options.resolution}` : ''} --out ${chosen}` },
    );
  const predicted = archs.map((arch) => {
    const p = predict(lut, arch);
    return { ms: p.ms, ci95: p.ci95, baseMs: p.overheadMs, blocks: p.blocks.map(({ layerIndex, role, key, ms }) => ({ layerIndex, role, key, ms })) };
  });
  return { frontPath, front, archs, lut: { lut, path: chosen }, predicted };
}
