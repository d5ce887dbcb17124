/**
 * LUT predictor throughput: architectures predicted per second, the figure that bounds LUT-based search.
 *
 *   node --import tsx bench/predictor-throughput.ts --resolution 64 --count 20000
 *
 * The LUT is filled by the mock device (the figures in it do not change the cost of a lookup).
 */
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import yargs from 'yargs';
import { Rng } from '../src/core/rng.js';
import { lutSource } from '../src/predict/latency-source.js';
import { profile } from '../src/profile/profiler.js';
import { createSpace } from '../src/spaces/registry.js';
import { resolveDevice } from '../devices/registry.js';
import { DEFAULT_PROTOCOL } from '../devices/types.js';
import { readLut } from '../lut/store.js';

const args = await yargs(process.argv.slice(2))
  .option('space', { type: 'string', default: 'mbv2' })
  .option('resolution', { type: 'number', default: 64 })
  .option('count', { type: 'number', default: 20000 })
  .strict()
  .parse();

const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-tp-'));
try {
  const space = createSpace(args.space, { resolution: args.resolution });
  const lutPath = path.join(dir, 'mock.lut.json');
  const device = await resolveDevice('mock');
  await profile({ device, instances: space.allInstances(), lutPath, protocol: { ...DEFAULT_PROTOCOL, minRepeats: 5, maxRepeats: 5 } });
  await device.dispose();
  const source = lutSource(readLut(lutPath));
  const rng = new Rng(1);
  const encodings = Array.from({ length: args.count }, () => space.sample(rng));
  for (const e of encodings.slice(0, 1000)) source.latency(space.build(e)); // warm the JIT and the key cache
  let t = performance.now();
  for (const e of encodings) source.latency(space.build(e));
  const withBuild = args.count / ((performance.now() - t) / 1000);
  const archs = encodings.map((e) => space.build(e));
  t = performance.now();
  for (const a of archs) source.latency(a);
  const predictOnly = args.count / ((performance.now() - t) / 1000);
  console.log(`| space | architectures | build + predict /s | predict only /s |\n|---|---|---|---|`);
  console.log(`| ${space.id}@${space.resolution} | ${args.count} | ${Math.round(withBuild).toLocaleString('en')} | ${Math.round(predictOnly).toLocaleString('en')} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
