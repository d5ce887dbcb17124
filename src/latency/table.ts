/**
 * `table` latency source: latencies measured on real devices by HW-NAS-Bench / HW-NAS-Bench-360 for
 * every NAS-Bench-201 cell, looked up by cell string. No prediction involved, so it is the ground
 * truth a search can be scored against (bench/search-nb201.ts).
 */
import { UserError } from '../core/errors.js';
import type { Architecture } from '../core/arch.js';
import type { LatencySource } from '../core/contracts.js';
import { Registry } from '../core/registry.js';
import { loadNb201Table, nb201CellOf, nb201Record, NB201_DEVICES, NB201_DEVICE_SOURCES, recordValue, type Nb201Device } from './nb201-data.js';

/** HW-NAS-Bench measured every device on 32×32 inputs. */
const TABLE_RESOLUTION = 32;

export interface TableLatencyOptions {
  device: string;
  /** nb201.json; default ../shared/data/nb201/nb201.json from the project root. */
  file?: string;
}

export function tableLatencySource(opts: TableLatencyOptions): LatencySource {
  const device = new Registry('latency table', NB201_DEVICES.map((d) => [d, d] as const)).get(opts.device) as Nb201Device;
  const table = loadNb201Table(opts.file);
  // Cache per architecture name: searches ask for the same cell many times.
  const memo = new Map<string, number>();
  return {
    id: `table:nb201:${device}`,
    provenance: { kind: 'table', table: 'nb201', device, source: NB201_DEVICE_SOURCES[device], path: table.path, resolution: TABLE_RESOLUTION, batch: 1 },
    latency(arch: Architecture) {
      const h = arch.input[2];
      if (h !== TABLE_RESOLUTION || arch.input[3] !== TABLE_RESOLUTION)
        throw new UserError(`latency table '${device}' was measured at ${TABLE_RESOLUTION}x${TABLE_RESOLUTION} input, architecture '${arch.name}' takes ${h}x${arch.input[3]}`, {
          hint: `build the space at --resolution ${TABLE_RESOLUTION}`,
        });
      let ms = memo.get(arch.name);
      if (ms === undefined) {
        ms = recordValue(table, nb201Record(table, nb201CellOf(arch)), 'lat', device);
        memo.set(arch.name, ms);
      }
      return { ms };
    },
  };
}
