/**
 * Activations vs FLOPs (Radosavovic et al. 2020, "Designing Network Design Spaces", §5: a network's
 * activations predict its runtime on GPUs better than its FLOPs): for N random members of a space
 * (default regnet), measured latency on a device set against MACs, parameters, activations (all from
 * the architecture's one graph: src/core/arch-metrics.ts) and the LUT's prediction, as Kendall τ and
 * Spearman ρ.
 *
 *   node --import tsx bench/activations-vs-flops.ts --device cpu --threads 1 --resolution 64 --count 200
 *
 * The members are distinct; a space smaller than --count (our regnet space has 144 members) gives all
 * of them. Without --lut the ops of the chosen nets are profiled first into
 * out/bench/avf-<device>-<space>-<res>.lut.json (reused on a re-run); --lut reuses a LUT already built
 * (it must be of --device). Prints the load average at start and end; every point goes to
 * out/bench/avf-<device>-<space>-<res>.json.
 *
 * Every round of every net goes to a ledger as it is taken (lut/partial-rounds.ts, the
 * profiler's: a fsynced journal line per round, folded into out/bench/avf-<tag>-<hash>.rounds.json), named
 * by a hash of the settings and the nets, so a killed run (timeout, Ctrl-C, a crash) loses at most the
 * round in flight and the same command resumes; a finished run's ledger makes a rerun print the same
 * figures without timing. When the device fails mid-round (a browser that closes: the browser devices
 * start a fresh one on the next call) the run goes on from the ledger; a net in flight at two failures
 * is left out and listed (--max-failures bounds the failures in all).
 *
 * By default each net's rounds are spread over the run (devices/rounds.ts), so no net is done before the
 * last pass; where the whole set cannot be timed in the time at hand (deep nets on a software WebGPU
 * adapter take minutes each), --one-at-a-time times the nets one after the other in sample order (a
 * prefix of a random sample is a random sample) and --max-minutes stops starting nets after that long,
 * the figures then over the nets done. Deep nets can take longer than the browser devices' 120 s per
 * page call to compile there: --device-opt callTimeout=S.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import yargs from 'yargs';
import { kendallTau, spearmanRho } from '../src/core/agreement.js';
import { isUserError } from '../src/core/errors.js';
import { PartialRounds } from '../lut/partial-rounds.js';
import { contentHash } from '../lut/journal.js';
import { archMetrics } from '../src/core/arch-metrics.js';
import type { Architecture } from '../src/core/arch.js';
import { lutInstances } from '../src/core/decompose.js';
import { opKey } from '../src/core/keys.js';
import type { OpInstance } from '../src/core/ops.js';
import { Rng } from '../src/core/rng.js';
import { predict } from '../src/predict/predictor.js';
import { missingAcross } from '../src/profile/missing.js';
import { profile } from '../src/profile/profiler.js';
import { createSpace } from '../src/spaces/registry.js';
import { resolveDevice } from '../devices/registry.js';
import { timeModelsInRounds, type LazyModel } from '../devices/measurables.js';
import { DEFAULT_PROTOCOL, type DeviceOptions, type TimingProtocol } from '../devices/types.js';
import { networkModel } from '../export/model.js';
import { readLut } from '../lut/store.js';

const args = await yargs(process.argv.slice(2))
  .option('device', { type: 'string', default: 'cpu', describe: 'device to measure on (cpu = onnxruntime-node, wasm, webgpu-native, …)' })
  .option('threads', { type: 'number' })
  .option('space', { type: 'string', default: 'regnet' })
  .option('resolution', { type: 'number', default: 64 })
  .option('count', { type: 'number', default: 200, describe: 'random distinct members (capped at the size of the space)' })
  .option('seed', { type: 'number', default: 0 })
  .option('lut', { type: 'string', describe: 'LUT to predict with (default: profile the nets\' ops into out/bench/)' })
  .option('min-repeats', { type: 'number', describe: 'override the timing protocol (default: the default protocol)' })
  .option('max-repeats', { type: 'number' })
  .option('max-time-ms', { type: 'number' })
  .option('out-dir', { type: 'string', default: 'out/bench' })
  .option('device-opt', { type: 'string', array: true, default: [] as string[], describe: 'device option key=value (e.g. callTimeout=600 for the browser devices), repeatable' })
  .option('one-at-a-time', { type: 'boolean', default: false, describe: 'every round of a net back to back, nets in sample order: a run cut short has whole nets (the default spreads each net\'s rounds over the run, so no net is done before the last pass)' })
  .option('max-minutes', { type: 'number', describe: 'with --one-at-a-time: start no net after this long; the figures are over the nets done (rerun to go on)' })
  .option('max-failures', { type: 'number', default: 10, describe: 'device failures (e.g. the browser closing) survived before the run stops; the ledger keeps every round' })
  .strict()
  .parse();

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`load average at start: ${load()}`);
const protocol: TimingProtocol = { ...DEFAULT_PROTOCOL };
if (args.minRepeats !== undefined) protocol.minRepeats = args.minRepeats;
if (args.maxRepeats !== undefined) protocol.maxRepeats = args.maxRepeats;
if (args.maxTimeMs !== undefined) protocol.maxTimeMs = args.maxTimeMs;
const options: DeviceOptions = args.threads !== undefined ? { threads: args.threads } : {};
for (const kv of args.deviceOpt) {
  const at = kv.indexOf('=');
  if (at < 1) throw new Error(`--device-opt takes key=value, got '${kv}'`);
  options[kv.slice(0, at)] = kv.slice(at + 1);
}
if (args.maxMinutes !== undefined && !args.oneAtATime) throw new Error('--max-minutes needs --one-at-a-time (interleaved rounds finish no net before the last pass)');
mkdirSync(args.outDir, { recursive: true });

const space = createSpace(args.space, { resolution: args.resolution });
const size = space.decisions().reduce((n, d) => n * d.options.length, 1);
const want = Math.min(args.count, size);
const rng = new Rng(args.seed);
const nets = new Map<string, Architecture>();
for (let tries = 0; nets.size < want && tries < 100 * want; tries++) {
  const arch = space.build(space.sample(rng));
  nets.set(arch.name, arch);
}
const archs = [...nets.values()];
console.log(`${archs.length} distinct members of ${space.id}@${args.resolution} (asked for ${args.count}; the space has ${size})`);

const device = await resolveDevice(args.device, options);
const tag = `${args.device}${args.threads !== undefined ? `-t${args.threads}` : ''}-${space.id}-${args.resolution}`;
let lutPath = args.lut;
if (!lutPath) {
  lutPath = path.join(args.outDir, `avf-${tag}.lut.json`);
  const instances = new Map<string, OpInstance>();
  for (const arch of archs) for (const { inst } of lutInstances(arch)) instances.set(opKey(inst), inst);
  const t0 = Date.now();
  await profile({
    device,
    instances: [...instances.values()],
    lutPath,
    protocol,
    space: `${space.id}@${args.resolution}`,
    onProgress: (p) => p.done % 50 === 0 && p.key && process.stderr.write(`profile ${p.done}/${p.total}\n`),
  });
  console.log(`profiled ${instances.size} op instances in ${((Date.now() - t0) / 1000).toFixed(0)} s into ${lutPath}`);
}
const lut = readLut(lutPath);
if (lut.device.device !== device.name) throw new Error(`--lut ${lutPath} was measured on '${lut.device.device}', not on --device ${args.device} (${device.name}): its predictions would not be of this device`);

const lacking = missingAcross(lut, archs);
if (lacking.size) throw new Error(`--lut ${lutPath} lacks ${lacking.size} op instance(s) of these nets, e.g. ${[...lacking.keys()][0]}: leave --lut out to profile them (or fill it with nas profile)`);

const deviceInfo = await device.init();
console.log(`device: ${deviceInfo.runtime} ${deviceInfo.runtimeVersion} ep ${deviceInfo.ep}${deviceInfo.adapter ? `, adapter ${JSON.stringify(deviceInfo.adapter)}` : ''}`);
// The ledger of rounds, named by what makes two runs' rounds comparable (the device's runtime and its settings as it
// reports them, the protocol, the nets): another setting or other nets write another ledger.
const measuring = { device: device.name, runtime: deviceInfo.runtime, version: deviceInfo.runtimeVersion, ep: deviceInfo.ep, options: deviceInfo.options };
const fingerprint = contentHash(JSON.stringify({ measuring, space: space.id, resolution: args.resolution, protocol, nets: archs.map((a) => a.name) }));
const ledger = PartialRounds.open(path.join(args.outDir, `avf-${tag}-${fingerprint.slice(0, 8)}`), fingerprint);
const earlier = ledger.all();
if (earlier.size) console.log(`resumed: ${[...earlier.values()].reduce((n, r) => n + r.length, 0)} round(s) of ${earlier.size} net(s) from ${ledger.file}`);

const models: LazyModel[] = archs.map((arch) => ({ id: arch.name, build: () => networkModel(arch) }));
const t1 = Date.now();
let rounds = 0;
let inFlight = '';
const failures = new Map<string, number>();
const skipped = new Map<string, string>();
const measuredById = new Map<string, number>();
const deadline = args.maxMinutes === undefined ? Infinity : t1 + args.maxMinutes * 60_000;
let unstarted = 0;
for (let failed = 0; ; ) {
  const left = models.filter((m) => !skipped.has(m.id) && !measuredById.has(m.id));
  try {
    // Interleaved: all nets in one call. One at a time: a call per net, until the deadline.
    const batches = args.oneAtATime ? left.map((m) => [m]) : [left];
    for (const [b, batch] of batches.entries()) {
      if (Date.now() > deadline) {
        unstarted = batches.length - b;
        break;
      }
      const results = await timeModelsInRounds(device, batch, protocol, {
        seed: 1,
        done: ledger.all(),
        onRoundStart: (id) => (inFlight = id),
        onRound: (id, r) => {
          ledger.set(id, r);
          if (++rounds % 25 === 0) process.stderr.write(`${rounds} rounds timed in ${((Date.now() - t1) / 1000).toFixed(0)} s (load ${load()})\n`);
        },
        onComplete: (done, total) => done % 20 === 0 && process.stderr.write(`measured ${done}/${total}\n`),
      });
      batch.forEach((m, i) => measuredById.set(m.id, results[i].stats.median));
      if (args.oneAtATime) process.stderr.write(`net ${measuredById.size}/${models.length} ${batch[0].id}: ${results[0].stats.median.toFixed(3)} ms, ${((Date.now() - t1) / 1000).toFixed(0)} s in (load ${load()})\n`);
    }
    break;
  } catch (e) {
    // A device that failed mid-round (the browser or its page closed): what the ledger holds is kept and the next call starts afresh.
    if (!isUserError(e) || ++failed > args.maxFailures) throw e;
    const n = (failures.get(inFlight) ?? 0) + 1;
    failures.set(inFlight, n);
    if (n >= 2) skipped.set(inFlight, e.message);
    console.error(`failure ${failed} of at most ${args.maxFailures} while timing ${inFlight}${n >= 2 ? ' (its second: left out)' : ''}: ${e.message}`);
  } finally {
    ledger.close();
  }
}
if (unstarted) console.log(`--max-minutes ${args.maxMinutes} reached: ${unstarted} net(s) not timed (the same command resumes from the ledger)`);
console.log(`measured ${measuredById.size} nets in ${((Date.now() - t1) / 1000).toFixed(0)} s (${rounds} rounds timed in this run; ledger ${ledger.file})`);
if (skipped.size) console.log(`left out (the device failed twice while timing each): ${[...skipped.keys()].join(', ')}`);
await device.dispose();

const points = archs.filter((arch) => measuredById.has(arch.name)).map((arch) => ({ name: arch.name, measuredMs: measuredById.get(arch.name)!, predictedMs: predict(lut, arch).ms, ...archMetrics(arch) }));
const ms = points.map((p) => p.measuredMs);
const rows: [string, number[]][] = [
  ['MACs', points.map((p) => p.macs)],
  ['params', points.map((p) => p.params)],
  ['activations', points.map((p) => p.activations)],
  ['LUT prediction', points.map((p) => p.predictedMs)],
];
console.log(`\nmeasured latency on ${args.device}${args.threads !== undefined ? ` (threads ${args.threads})` : ''}: ${Math.min(...ms).toFixed(3)}–${Math.max(...ms).toFixed(3)} ms over ${points.length} nets of ${space.id}@${args.resolution}\n`);
console.log('| predictor of measured latency | Kendall τ | Spearman ρ |');
console.log('|---|---|---|');
if (points.length < 3) console.log(`(${points.length} net(s): too few to rank)`);
else for (const [name, xs] of rows) console.log(`| ${name} | ${kendallTau(xs, ms).toFixed(3)} | ${spearmanRho(xs, ms).toFixed(3)} |`);
console.log(`\nload average at end: ${load()}`);
const out = path.join(args.outDir, `avf-${tag}.json`);
writeFileSync(out, JSON.stringify({ device: args.device, threads: args.threads ?? null, space: space.id, resolution: args.resolution, lut: lutPath, protocol, deviceInfo, skipped: Object.fromEntries(skipped), points }, null, 1) + '\n');
console.log(`points written to ${out}`);
