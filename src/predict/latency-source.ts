/** The LUT predictor as a search LatencySource. */
import { UserError } from '../core/errors.js';
import { opKey } from '../core/keys.js';
import type { SearchSpace } from '../core/space.js';
import type { Lut } from '../../lut/format.js';
import type { LatencySource } from '../core/contracts.js';
import { predict } from './predictor.js';

export function lutSource(lut: Lut, lutPath?: string): LatencySource {
  return {
    id: `lut:${lut.id}`,
    provenance: { kind: 'lut', lutId: lut.id, path: lutPath, device: lut.device.device, runtime: `${lut.device.runtime} ${lut.device.runtimeVersion}`, ep: lut.device.ep },
    latency(arch) {
      const p = predict(lut, arch, { breakdown: false });
      return { ms: p.ms, ci95: p.ci95 };
    },
  };
}

/** Reads a LUT file and checks up front that it covers every op instance of `space`. */
export async function lutLatencySource(lutPath: string, space?: SearchSpace): Promise<LatencySource> {
  const [{ readLut }, { settingsFlags }] = await Promise.all([import('../../lut/store.js'), import('../../lut/settings-flags.js')]);
  const lut = readLut(lutPath);
  if (space) {
    const missing = space.allInstances().map(opKey).filter((k) => !lut.entries[k]);
    if (missing.length) {
      throw new UserError(
        `LUT ${lutPath} does not cover space '${space.id}' at resolution ${space.resolution}: ${missing.length} op instance(s) missing, e.g. ${missing[0]}`,
        { hint: `fill it with: nas profile ${settingsFlags(lut.device, lut.protocol)} --space ${space.id} --resolution ${space.resolution} --out ${lutPath}` },
      );
    }
  }
  return lutSource(lut, lutPath);
}
