/**
 * NetAdapt benchmark: from a small MobileNetV2-style net (src/train/reference-net.ts: stem conv, ten
 * MBConv blocks, head conv, pool, linear) trained on Fashion-MNIST, run `netadapt` to a fraction of
 * its predicted latency on an ort-cpu LUT (profiled here: the start net's ops first, every other
 * width by netadapt as it needs it), then measure the start and the final net end to end on the same
 * device (interleaved, several rounds) and report predicted and measured latency reduction and the
 * accuracy change. As a baseline, the start net gets the same long fine-tuning as the final one.
 *
 *   node --import tsx bench/netadapt.ts --device cpu --threads 1 --fraction 0.7
 *
 * Writes the front (the trajectory) and a JSON summary to --out-dir (default out/bench/netadapt).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { placeLayers } from '../src/core/arch.js';
import { lutLatencySource } from '../src/predict/latency-source.js';
import { profile } from '../src/profile/profiler.js';
import { runSearchJob } from '../src/search/job.js';
import { NetadaptSearch, type TrajectoryPoint } from '../src/search/netadapt/index.js';
import { loadWeights } from '../src/search/netadapt/weights.js';
import { createSpace } from '../src/spaces/registry.js';
import { Network } from '../src/train/nn/network.js';
import { referenceNet } from '../src/train/reference-net.js';
import { loadTrainingData, trainEvaluator, type TrainEvaluatorOptions } from '../src/train/train-evaluator.js';
import { evaluate, recalibrate, train } from '../src/train/trainer.js';
import { writeArchFile } from '../src/core/arch-file.js';
import { resolveDevice } from '../devices/registry.js';
import { DEFAULT_PROTOCOL, type DeviceOptions } from '../devices/types.js';
import { networkModel } from '../export/model.js';
import { readLut } from '../lut/store.js';

const args = await yargs(process.argv.slice(2))
  .option('device', { type: 'string', default: 'cpu' })
  .option('threads', { type: 'number', default: 1 })
  .option('fraction', { type: 'number', default: 0.7, describe: 'target latency as a fraction of the start net\'s predicted latency' })
  .option('images', { type: 'number', default: 2560 })
  .option('validation', { type: 'number', default: 512 })
  .option('downscale', { type: 'number', default: 1 })
  .option('batch', { type: 'number', default: 64 })
  .option('start-epochs', { type: 'number', default: 3 })
  .option('short-steps', { type: 'number', default: 20 })
  .option('long-steps', { type: 'number', default: 200 })
  .option('step', { type: 'number', default: 0.05 })
  .option('decay', { type: 'number', default: 0.98 })
  .option('rounds', { type: 'number', default: 5, describe: 'interleaved end-to-end measurements of each net' })
  .option('seed', { type: 'number', default: 0 })
  .option('out-dir', { type: 'string', default: 'out/bench/netadapt' })
  .strict()
  .parse();

const t0 = Date.now();
const seconds = () => ((Date.now() - t0) / 1000).toFixed(0);
const dir = args.outDir;
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const lutPath = path.join(dir, `${args.device}.lut.json`);
const archPath = path.join(dir, 'start.json');
const out = path.join(dir, 'front.json');
const options: DeviceOptions = { threads: args.threads };
const training: TrainEvaluatorOptions = { limit: args.images, validation: args.validation, downscale: args.downscale, batchSize: args.batch, seed: args.seed };

const side = Math.round(28 / args.downscale);
const start = referenceNet(10, 1, side);
writeArchFile(archPath, start);

// The LUT starts with the start net's ops; netadapt profiles every other width it needs.
const device = await resolveDevice(args.device, options);
await profile({ device, instances: placeLayers(start).map((p) => p.inst), lutPath, protocol: DEFAULT_PROTOCOL });
const startEntries = Object.keys(readLut(lutPath).entries).length;
const startMs = (await lutLatencySource(lutPath)).latency(start).ms;
const targetMs = args.fraction * startMs;
process.stderr.write(`[${seconds()} s] start net ${start.name}: ${startMs.toFixed(4)} ms predicted, target ${targetMs.toFixed(4)} ms\n`);

const space = createSpace('mbv2', { resolution: 32 });
const job = await runSearchJob({
  space,
  spaceOptions: { resolution: 32 },
  latency: await lutLatencySource(lutPath),
  evaluator: trainEvaluator(training),
  strategy: new NetadaptSearch({
    start: archPath,
    startEpochs: args.startEpochs,
    shortSteps: args.shortSteps,
    longSteps: args.longSteps,
    step: args.step,
    decay: args.decay,
    log: (m) => process.stderr.write(`[${seconds()} s] ${m}\n`),
  }),
  budget: 50,
  seed: args.seed,
  targetMs,
  out,
  training,
  lutFile: lutPath,
  args: { out },
});
const searchSeconds = (Date.now() - t0) / 1000;
const trajectory = job.result.history as TrajectoryPoint[];
const first = trajectory[0];
const final = trajectory[trajectory.length - 1];

// Baseline: the start net with the same long fine-tuning the final net got.
const { data } = loadTrainingData(training);
const baseline = new Network(first.architecture);
loadWeights(`${out}.start.ckpt`, baseline, 'rerun the benchmark');
await train(baseline, data.train, { steps: args.longSteps, batchSize: args.batch, optimizer: { lr: 0.01 }, seed: args.seed + 1_000_003 });
recalibrate(baseline, data.train, Math.min(1024, data.train.count), args.batch);
const baselineAccuracy = evaluate(baseline, data.validation).accuracy;
baseline.dispose();

// End to end on the device, interleaved so both nets see the same machine load.
const measured: { start: number[]; final: number[] } = { start: [], final: [] };
for (let r = 0; r < args.rounds; r++) {
  measured.start.push((await device.time(networkModel(first.architecture), DEFAULT_PROTOCOL)).stats.median);
  measured.final.push((await device.time(networkModel(final.architecture), DEFAULT_PROTOCOL)).stats.median);
}
const info = await device.init();
await device.dispose();
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const ratios = measured.final.map((f, i) => f / measured.start[i]);
const m = { start: median(measured.start), final: median(measured.final), ratio: median(ratios) };
const lut = readLut(lutPath);

const pct = (r: number) => `${(100 * (1 - r)).toFixed(1)}%`;
const report = [
  `device ${info.device} (${info.runtime} ${info.runtimeVersion}, ${JSON.stringify(info.options)}), host ${info.host.cpu}`,
  `data: Fashion-MNIST ${data.train.count} train / ${data.validation.count} validation images at ${side}x${side}; start net trained ${args.startEpochs} epochs; ` +
    `${trajectory.length - 2} iterations (ΔR ${args.step} × ${args.decay}^i of the start latency, ${args.shortSteps} short-term steps per proposal), ${args.longSteps} long-term steps`,
  `LUT ${lutPath}: ${startEntries} entries for the start net, ${Object.keys(lut.entries).length} at the end (profiled by netadapt as needed); search took ${searchSeconds.toFixed(0)} s`,
  '',
  '| iteration | change | budget ms | predicted ms | validation accuracy |',
  '|---|---|---|---|---|',
  ...trajectory.map((p, i) =>
    `| ${i === trajectory.length - 1 ? 'final (long-term fine-tuned)' : p.iteration} | ${p.change ? `layer ${p.change.layer} ${p.change.kind} ${p.change.from}→${p.change.to}` : '–'} | ${p.budgetMs?.toFixed(4) ?? '–'} | ${p.latency.ms.toFixed(4)} | ${p.accuracy.toFixed(2)}% |`,
  ),
  '',
  '| | start | final | reduction |',
  '|---|---|---|---|',
  `| predicted (LUT) ms | ${first.latency.ms.toFixed(4)} | ${final.latency.ms.toFixed(4)} | ${pct(final.latency.ms / first.latency.ms)} |`,
  `| measured end to end ms (median of ${args.rounds} interleaved rounds; reduction = median of per-round ratios) | ${m.start.toFixed(4)} | ${m.final.toFixed(4)} | ${pct(m.ratio)} |`,
  `| validation accuracy | ${first.accuracy.toFixed(2)}% (after start training), ${baselineAccuracy.toFixed(2)}% (+ the same ${args.longSteps} long-term steps) | ${final.accuracy.toFixed(2)}% | ${(final.accuracy - baselineAccuracy).toFixed(2)} points vs the fine-tuned start |`,
  '',
  `per-round measured ms: start ${measured.start.map((v) => v.toFixed(4)).join(', ')}; final ${measured.final.map((v) => v.toFixed(4)).join(', ')}`,
  `total ${seconds()} s`,
].join('\n');
console.log(report);
writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ args, device: info, targetMs, trajectory, baselineAccuracy, measured, medians: m }, null, 1));
