/**
 * Profiling cost per device: builds the full LUT of a space (every op instance it can place) on each
 * device with the real profiler, from an empty file, and prints per device the wall time, the entries
 * measured, the mean wall time per entry, the share of entries whose median reached the CI target, and
 * the cold (first run) over warm (median) ratio across entries. Devices that do not run here are listed
 * with their reason. Asserts nothing.
 *
 *   node --import tsx bench/lut-cost.ts --devices ort-cpu,wasm,webgpu --space mbv2 --resolution 128
 *
 * One thread wherever it is a choice (ort-cpu, wasm), as in the fidelity benchmark. LUTs are written to
 * --out-dir (default out/bench/lut-cost/) and kept, so they can be inspected with `nas lut show`.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { median } from 'simple-statistics';
import yargs from 'yargs';
import { profile } from '../src/profile/profiler.js';
import { createSpace } from '../src/spaces/registry.js';
import { readLut } from '../lut/store.js';
import { DEVICES, resolveDevice, type DeviceName } from '../devices/registry.js';
import { DEFAULT_PROTOCOL, LEGACY_PROTOCOL, type DeviceOptions, type TimingProtocol } from '../devices/types.js';
import { defaultEstimator, REFERENCE_NAMES } from '../devices/reference-choice.js';

const args = await yargs(process.argv.slice(2))
  .option('devices', { type: 'string', default: 'ort-cpu,wasm,webgpu-native,browser-wasm,webgpu,tfjs-cpu,tfjs-wasm,tfjs-webgl' })
  .option('space', { type: 'string', default: 'mbv2' })
  .option('resolution', { type: 'number', default: 128 })
  .option('out-dir', { type: 'string', default: 'out/bench/lut-cost' })
  // legacy: the one-round protocol of before; rounds: the default without a reference; ref-<name>: with one. Several in one run compare under the same load.
  .option('protocols', { type: 'string', default: 'rounds' })
  .strict()
  .parse();

const ONE_THREAD: Partial<Record<string, DeviceOptions>> = { 'ort-cpu': { threads: 1 }, wasm: { threads: 1 } };
const space = createSpace(args.space, { resolution: args.resolution });
const instances = space.allInstances();
mkdirSync(args.outDir, { recursive: true });

// ref-<name>: the default protocol with a timing reference interleaved in every round (devices/reference.ts).
const PROTOCOLS: Record<string, TimingProtocol> = {
  legacy: LEGACY_PROTOCOL,
  rounds: DEFAULT_PROTOCOL,
  ...Object.fromEntries(REFERENCE_NAMES.map((r) => [`ref-${r}`, { ...DEFAULT_PROTOCOL, reference: r, estimator: defaultEstimator(r) }])),
};
const protocolNames = args.protocols.split(',');
for (const p of protocolNames) if (!Object.hasOwn(PROTOCOLS, p)) throw new Error(`unknown protocol '${p}' (known: ${Object.keys(PROTOCOLS).join(', ')})`);
console.log(`${args.space}@${args.resolution}: ${instances.length} op instances; load average ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
for (const p of protocolNames) console.log(`protocol ${p}: ${JSON.stringify(PROTOCOLS[p])}`);
console.log('\n| device | protocol | adapter / backend | entries | unsupported | wall s | s per entry | converged | cold/warm (median over entries) | Σ medians ms | median round spread |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
const unavailable: string[] = [];
for (const name of args.devices.split(',') as DeviceName[]) {
  if (!(name in DEVICES)) throw new Error(`unknown device '${name}' (known: ${Object.keys(DEVICES).join(', ')})`);
  const available = await DEVICES[name].available();
  if (available !== true) {
    unavailable.push(`- ${name}: ${available}`);
    continue;
  }
  for (const protocolName of protocolNames) {
    const protocol = PROTOCOLS[protocolName];
    const lutPath = path.join(args.outDir, `${name}-${args.space}-${args.resolution}-${protocolName}.lut.json`);
    rmSync(lutPath, { force: true });
    const device = await resolveDevice(name, ONE_THREAD[name]);
    const t0 = performance.now();
    try {
      const r = await profile({ device, instances, protocol, lutPath, space: `${args.space}@${args.resolution}` });
      const wall = (performance.now() - t0) / 1000;
      const entries = Object.values(readLut(lutPath).entries);
      const converged = entries.filter((e) => e.stats.converged).length;
      const coldWarm = median(entries.map((e) => e.coldMs / e.stats.median));
      const sum = entries.reduce((s, e) => s + e.stats.median, 0);
      const backend = r.device.adapter ? `${r.device.adapter.vendor || '?'} ${r.device.adapter.architecture || ''}${r.device.adapter.isFallback ? ' (software/fallback)' : ''}` : r.device.ep;
      const spreads = entries.flatMap((e) => (e.spread === undefined ? [] : [e.spread]));
      const spread = spreads.length ? `${(100 * median(spreads)).toFixed(1)}%` : '–';
      console.log(
        `| ${name} | ${protocolName} | ${backend} | ${r.summary.measured} | ${r.summary.skipped.length} | ${wall.toFixed(1)} | ${(wall / Math.max(1, r.summary.measured)).toFixed(2)} | ${converged}/${entries.length} | ${coldWarm.toFixed(1)}× | ${sum.toFixed(2)} | ${spread} |`,
      );
    } finally {
      await device.dispose();
    }
  }
}
console.log(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
if (unavailable.length) console.log(`\nnot available here:\n${unavailable.join('\n')}`);
