/**
 * Fidelity benchmark: does the LUT predict whole networks? Profiles the mbv2 space (and the published
 * nets' ops) into a LUT, exports N random mbv2 architectures (fixed seed) and the published nets,
 * measures each end to end with the same harness on the same device, and compares.
 *
 *   node --import tsx bench/fidelity.ts --device cpu --resolution 128 --count 200 --seed 0
 *
 * The LUT is calibrated (src/predict/calibrate.ts) on --calibrate other random nets of its own seed
 * before the test nets are predicted; the plain, uncalibrated sum is reported beside it.
 *
 * Prints a markdown summary (share within ±5/±10%, mean |error|, Kendall τ, Spearman ρ) and writes
 * every point to out/bench/fidelity-<device>-<res>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { agreement, errorPct } from '../src/core/agreement.js';
import { lutInstances } from '../src/core/decompose.js';
import { opKey } from '../src/core/keys.js';
import type { OpInstance } from '../src/core/ops.js';
import { Rng } from '../src/core/rng.js';
import { predict } from '../src/predict/predictor.js';
import { profile } from '../src/profile/profiler.js';
import { loadPublishedNets } from '../src/spaces/published.js';
import { createSpace } from '../src/spaces/registry.js';
import { resolveDevice } from '../devices/registry.js';
import { DEFAULT_PROTOCOL, type DeviceOptions } from '../devices/types.js';
import { networkModel } from '../export/model.js';
import { readLut, writeLut } from '../lut/store.js';
import { calibrate } from '../src/predict/calibrate.js';

const args = await yargs(process.argv.slice(2))
  .option('device', { type: 'string', default: 'cpu' })
  .option('resolution', { type: 'number', default: 128 })
  .option('count', { type: 'number', default: 200 })
  .option('seed', { type: 'number', default: 0 })
  .option('threads', { type: 'number' })
  .option('published', { type: 'boolean', default: true })
  .option('calibrate', { type: 'number', default: 20 })
  // Measures every network a second time, later: how well the runtime agrees with itself is the floor
  // under any prediction's agreement with it.
  .option('remeasure', { type: 'boolean', default: true })
  .option('out-dir', { type: 'string', default: 'out/bench' })
  .strict()
  .parse();

const outDir = args.outDir;
mkdirSync(outDir, { recursive: true });
const tag = `${args.device}-${args.resolution}${args.threads !== undefined ? `-t${args.threads}` : ''}`;
const lutPath = path.join(outDir, `fidelity-${tag}.lut.json`);
const options: DeviceOptions = args.threads !== undefined ? { threads: args.threads } : {};
const protocol = DEFAULT_PROTOCOL;

const space = createSpace('mbv2', { resolution: args.resolution });
const rng = new Rng(args.seed);
const archs = Array.from({ length: args.count }, () => space.build(space.sample(rng)));
if (args.published) archs.push(...loadPublishedNets({ resolution: args.resolution }).nets);

const instances = new Map<string, OpInstance>();
for (const inst of space.allInstances()) instances.set(opKey(inst), inst);
for (const arch of archs) for (const { inst } of lutInstances(arch)) instances.set(opKey(inst), inst);

const device = await resolveDevice(args.device, options);
const t0 = Date.now();
const prof = await profile({
  device,
  instances: [...instances.values()],
  lutPath,
  protocol,
  space: `mbv2@${args.resolution}+published`,
  onProgress: (p) => p.done % 20 === 0 && process.stderr.write(`profile ${p.done}/${p.total}\n`),
});
const profileSeconds = (Date.now() - t0) / 1000;
// Calibration nets: their own seed, never the test nets (same stream as `nas profile --calibrate`).
const calRng = new Rng(1_000_003);
const calNets = Array.from({ length: args.calibrate }, () => space.build(space.sample(calRng)));
const t2 = Date.now();
const { calibration } = await calibrate(readLut(lutPath), device, calNets, `mbv2@${args.resolution}: ${args.calibrate} networks`);
writeLut(lutPath, { ...readLut(lutPath), calibration });
const calibrateSeconds = (Date.now() - t2) / 1000;
const lut = readLut(lutPath);
const plainLut = { ...lut, calibration: undefined };

const points: { name: string; predicted: number; plain: number; measured: number; measuredCi: [number, number]; errorPct: number; published: boolean }[] = [];
const t1 = Date.now();
for (const [i, arch] of archs.entries()) {
  const predicted = predict(lut, arch).ms;
  const plain = predict(plainLut, arch).ms;
  const { stats } = await device.time(networkModel(arch), protocol);
  points.push({ name: arch.name, predicted, plain, measured: stats.median, measuredCi: stats.ci95, errorPct: errorPct(predicted, stats.median), published: !arch.space });
  if ((i + 1) % 20 === 0) process.stderr.write(`measured ${i + 1}/${archs.length} networks\n`);
}
const measureSeconds = (Date.now() - t1) / 1000;
const again: number[] = [];
if (args.remeasure) for (const arch of archs) again.push((await device.time(networkModel(arch), protocol)).stats.median);
await device.dispose();
const self = args.remeasure ? agreement(again, points.map((p) => p.measured)) : undefined;

const all = agreement(points.map((p) => p.predicted), points.map((p) => p.measured));
const randomOnly = points.filter((p) => !p.published);
const rand = agreement(randomOnly.map((p) => p.predicted), randomOnly.map((p) => p.measured));
const pub = points.filter((p) => p.published);
const plainAll = agreement(points.map((p) => p.plain), points.map((p) => p.measured));
const bias = points.reduce((s, p) => s + p.errorPct, 0) / points.length;

const fmt = (a: typeof all) => `${a.n} | ${a.within5.toFixed(1)}% | ${a.within10.toFixed(1)}% | ${a.meanAbsErrorPct.toFixed(2)}% | ${a.maxAbsErrorPct.toFixed(1)}% | ${a.kendallTau.toFixed(3)} | ${a.spearmanRho.toFixed(3)}`;
const report = [
  `device ${prof.device.device} (${prof.device.runtime} ${prof.device.runtimeVersion}, ${JSON.stringify(prof.device.options)}), host ${prof.device.host.cpu}`,
  `LUT ${lutPath}: ${Object.keys(lut.entries).length} entries, overhead ${lut.overhead.median.toFixed(4)} ms; profiling took ${profileSeconds.toFixed(0)} s (${prof.summary.measured} measured, ${prof.summary.reused} reused); measuring ${archs.length} networks took ${measureSeconds.toFixed(0)} s`,
  '',
  '| set | n | within ±5% | within ±10% | mean abs err | max abs err | Kendall τ | Spearman ρ |',
  '|---|---|---|---|---|---|---|---|',
  `| random mbv2@${args.resolution} (seed ${args.seed}) | ${fmt(rand)} |`,
  `| all incl. ${pub.length} published | ${fmt(all)} |`,
  `| all, plain sum (overhead + Σ net, no calibration) | ${fmt(plainAll)} |`,
  ...(self ? [`| all, second measurement vs first (noise floor) | ${fmt(self)} |`] : []),
  '',
  `calibration (fitted on ${calibration.fittedOn} other random nets in ${calibrateSeconds.toFixed(0)} s): base ${calibration.baseMs.toFixed(4)} ms, per op ${calibration.perOpMs.toFixed(4)} ms, per MB ${(calibration.perByteMs * 1e6).toFixed(4)} ms, scale ${(calibration.scale ?? 1).toFixed(4)}, fit RMS ${calibration.rmsErrorPct.toFixed(2)}% (plain sum on the same nets: ${calibration.plainRmsErrorPct?.toFixed(2)}%)`,
  '',
  `mean signed error ${bias.toFixed(2)}% (positive: the LUT sum over-predicts)`,
  '',
  '| published net | predicted ms | measured ms | error |',
  '|---|---|---|---|',
  ...pub.map((p) => `| ${p.name} | ${p.predicted.toFixed(3)} | ${p.measured.toFixed(3)} | ${p.errorPct.toFixed(1)}% |`),
].join('\n');
console.log(report);
writeFileSync(path.join(outDir, `fidelity-${tag}.json`), JSON.stringify({ args, device: prof.device, lutId: lut.id, calibration, all, random: rand, plain: plainAll, self, bias, points: points.map((p, i) => ({ ...p, remeasured: again[i] })) }, null, 1));
