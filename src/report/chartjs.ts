/** chart.js's UMD build, read from the installed package, to inline into a report that needs no network. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

let cached: string | undefined;

export function chartJsSource(): string {
  if (cached) return cached;
  // The package's exports map does not list the UMD file: find it beside the CommonJS entry.
  const dist = path.dirname(createRequire(import.meta.url).resolve('chart.js'));
  const source = readFileSync(path.join(dist, 'chart.umd.js'), 'utf8');
  // A source-map comment would make developer tools try to fetch the map; the report fetches nothing.
  cached = source.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
  return cached;
}
