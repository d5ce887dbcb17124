/**
 * WebGPU timing methods compared on the same device and space: builds the LUT of a space once per
 * `timing` option of the device (wall clock against GPU kernel timestamps), alternating, from empty files,
 * and prints per method the wall time, how many entries converged (median CI within the target), the
 * median relative CI half-width over entries and the Σ of the medians. Asserts nothing.
 *
 *   node --import tsx bench/webgpu-timing.ts --device webgpu-native --resolution 32 --timings wall,gpu,wall,gpu
 *   node --import tsx bench/webgpu-timing.ts --device webgpu --resolution 32 --timings wall,gpu
 *
 * One round per entry (the protocol of before) unless --rounds: the question is how well a single
 * measurement converges under each method. LUTs are kept in --out-dir for `nas lut show`.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { median } from 'simple-statistics';
import yargs from 'yargs';
import { profile } from '../src/profile/profiler.js';
import { createSpace } from '../src/spaces/registry.js';
import { readLut } from '../lut/store.js';
import { resolveDevice, type DeviceName } from '../devices/registry.js';
import { LEGACY_PROTOCOL } from '../devices/types.js';

const args = await yargs(process.argv.slice(2))
  .option('device', { type: 'string', default: 'webgpu-native', choices: ['webgpu-native', 'webgpu'] })
  .option('space', { type: 'string', default: 'mbv2' })
  .option('resolution', { type: 'number', default: 32 })
  .option('timings', { type: 'string', default: 'wall,gpu' })
  .option('rounds', { type: 'number', default: 1 })
  .option('max-time-ms', { type: 'number', default: LEGACY_PROTOCOL.maxTimeMs })
  .option('out-dir', { type: 'string', default: 'out/bench/webgpu-timing' })
  .strict()
  .parse();

const protocol = { ...LEGACY_PROTOCOL, maxTimeMs: args.maxTimeMs, ...(args.rounds > 1 ? { rounds: args.rounds, estimator: 'min' as const, maxSpread: 0.1, extraRounds: 2 } : {}) };
const instances = createSpace(args.space, { resolution: args.resolution }).allInstances();
mkdirSync(args.outDir, { recursive: true });
console.log(`${args.device}, ${args.space}@${args.resolution}: ${instances.length} op instances; protocol ${JSON.stringify(protocol)}; load average ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
console.log('\n| timing | device.timing (start) | entries | wall s | converged | median CI half-width / median | Σ medians ms | load after |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [i, timing] of args.timings.split(',').entries()) {
  const lutPath = path.join(args.outDir, `${args.device}-${args.space}-${args.resolution}-${timing}-${i}.lut.json`);
  rmSync(lutPath, { force: true });
  const device = await resolveDevice(args.device as DeviceName, { preferredLayout: 'NCHW', timing });
  const t0 = performance.now();
  try {
    const r = await profile({ device, instances, protocol, lutPath, space: `${args.space}@${args.resolution}` });
    const wall = (performance.now() - t0) / 1000;
    const entries = Object.values(readLut(lutPath).entries);
    const converged = entries.filter((e) => e.stats.converged).length;
    const halfWidths = entries.filter((e) => e.stats.median > 0).map((e) => (e.stats.ci95[1] - e.stats.ci95[0]) / 2 / e.stats.median);
    const sum = entries.reduce((s, e) => s + e.stats.median, 0);
    console.log(
      `| ${timing} | ${r.device.timing.slice(0, 40)}… | ${entries.length} | ${wall.toFixed(1)} | ${converged}/${entries.length} | ${(100 * median(halfWidths)).toFixed(1)}% | ${sum.toFixed(1)} | ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]} |`,
    );
  } finally {
    await device.dispose();
  }
}
