/**
 * NIR benchmark: layer assignment by neural inheritance (`--strategy nir`) against random layer assignment
 * at the same MAC budget and the same training cost, on a Fashion-MNIST slice.
 *
 *   NIR      the search as `nas search --strategy nir` runs it (runSearchJob + NirSearch): its cost is
 *            root-steps + levels · nir-steps supernet training steps.
 *   random   `--random` assignments drawn uniformly from the stage-depth grid among those within the budget,
 *            each trained stand-alone for (NIR's steps / random) steps, the best by validation accuracy kept.
 *   final    both winners are trained from scratch for --final-steps with the same seed and scored on the
 *            validation slice (the same for both; it also served each method's selection).
 *
 * Repeated for --seeds seeds (search seed = data order seed = final-training seed).
 *
 *   node --import tsx bench/nir.ts --space anynet --fraction 0.6 --seeds 3
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { archMetrics, formatCount } from '../src/core/arch-metrics.js';
import { Rng } from '../src/core/rng.js';
import { metricLatencySource } from '../src/search/constraints.js';
import { runSearchJob } from '../src/search/job.js';
import { NirSearch, type NirEvaluation } from '../src/search/nir/index.js';
import { depthLabel, depthView } from '../src/search/nir/stages.js';
import { createSpace } from '../src/spaces/registry.js';
import { useTrainingBackend } from '../src/train/backend.js';
import { Network } from '../src/train/nn/network.js';
import { adaptArchitecture, loadTrainingData, trainEvaluator, type TrainEvaluatorOptions } from '../src/train/train-evaluator.js';
import { evaluate, recalibrate, train } from '../src/train/trainer.js';

const args = await yargs(process.argv.slice(2))
  .option('space', { type: 'string', default: 'anynet' })
  .option('resolution', { type: 'number', default: 32 })
  .option('fraction', { type: 'number', default: 0.6, describe: '--max-macs as a fraction of the deepest assignment\'s MACs' })
  .option('images', { type: 'number', default: 2048 })
  .option('validation', { type: 'number', default: 512 })
  .option('downscale', { type: 'number', default: 2 })
  .option('batch', { type: 'number', default: 32 })
  .option('keep', { type: 'number', default: 2 })
  .option('nir-steps', { type: 'number', default: 20 })
  .option('root-steps', { type: 'number', default: 60 })
  .option('random', { type: 'number', default: 4, describe: 'random assignments sharing the same training cost' })
  .option('final-steps', { type: 'number', default: 200 })
  .option('seeds', { type: 'number', default: 3 })
  .option('out-dir', { type: 'string', default: 'out/bench/nir' })
  .strict()
  .parse();

const t0 = Date.now();
const seconds = () => ((Date.now() - t0) / 1000).toFixed(0);
const say = (m: string) => process.stderr.write(`[${seconds()} s] ${m}\n`);
rmSync(args.outDir, { recursive: true, force: true });
mkdirSync(args.outDir, { recursive: true });
await useTrainingBackend('auto');

const space = createSpace(args.space, { resolution: args.resolution });
const view = depthView(space);
const macsOf = (d: readonly number[]) => archMetrics(space.build(view.encode(d))).macs;
const limit = Math.round(args.fraction * macsOf(view.stages.map((s) => s.max)));
// Every assignment of the grid that builds and fits the budget (the random baseline draws from these).
const grid: number[][] = [];
const walk = (prefix: number[]) => {
  if (prefix.length === view.stages.length) {
    try {
      if (macsOf(prefix) <= limit) grid.push(prefix);
    } catch {
      /* not a member (anynet-e's order) */
    }
    return;
  }
  const st = view.stages[prefix.length];
  for (let d = st.min; d <= st.max; d++) walk([...prefix, d]);
};
walk([]);
say(`${space.id}@${args.resolution}: ${view.stages.length} stages, ${view.fixed}; budget ${formatCount(limit)} MACs (${args.fraction} of the deepest), ${grid.length} assignments within it`);

interface Row {
  seed: number;
  nir: { depths: number[]; macs: number; searchAcc: number; finalAcc: number; steps: number; seconds: number };
  random: { depths: number[]; macs: number; searchAcc: number; finalAcc: number; steps: number; seconds: number };
}
const rows: Row[] = [];

for (let seed = 0; seed < args.seeds; seed++) {
  const training: TrainEvaluatorOptions = { limit: args.images, validation: args.validation, downscale: args.downscale, batchSize: args.batch, seed };
  const { data } = loadTrainingData(training);
  const image = { channels: data.train.channels, height: data.train.height, width: data.train.width };
  const standalone = async (depths: number[], steps: number, netSeed: number) => {
    const net = new Network(adaptArchitecture(space.build(view.encode(depths)), image, data.train.classes), { seed: netSeed });
    try {
      await train(net, data.train, { steps, batchSize: args.batch, seed: netSeed });
      recalibrate(net, data.train, 512, args.batch);
      return evaluate(net, data.validation).accuracy;
    } finally {
      net.dispose();
    }
  };

  // NIR
  let t = Date.now();
  const out = path.join(args.outDir, `nir-seed${seed}.json`);
  const job = await runSearchJob({
    space,
    spaceOptions: { resolution: args.resolution },
    latency: metricLatencySource('macs'),
    evaluator: trainEvaluator(training),
    strategy: new NirSearch({ keep: args.keep, steps: args.nirSteps, rootSteps: args.rootSteps, workPath: out, log: () => {} }),
    budget: 1000,
    seed,
    limits: { macs: limit },
    out,
    training,
  });
  const best = job.result.best as NirEvaluation;
  const levels = Math.max(...(job.result.history as NirEvaluation[]).map((e) => e.level));
  const nirSteps = args.rootSteps + levels * args.nirSteps;
  const nirSeconds = (Date.now() - t) / 1000;
  say(`seed ${seed}: nir ${depthLabel(best.depths)} (${best.accuracy.toFixed(2)}% in the supernet) after ${levels} levels, ${job.result.history.length} scored, ${nirSteps} steps, ${nirSeconds.toFixed(0)} s`);

  // Random assignments, the same training steps in all
  t = Date.now();
  const rng = new Rng(1000 + seed);
  const per = Math.max(1, Math.floor(nirSteps / args.random));
  let pick: { depths: number[]; acc: number } | undefined;
  for (let i = 0; i < args.random; i++) {
    const depths = grid[rng.int(grid.length)];
    const acc = await standalone(depths, per, seed);
    if (!pick || acc > pick.acc) pick = { depths, acc };
  }
  const randomSeconds = (Date.now() - t) / 1000;
  say(`seed ${seed}: random ${depthLabel(pick!.depths)} (${pick!.acc.toFixed(2)}% after ${per} steps) of ${args.random}, ${per * args.random} steps, ${randomSeconds.toFixed(0)} s`);

  // Both winners trained alike
  const nirFinal = await standalone(best.depths, args.finalSteps, seed);
  const randomFinal = await standalone(pick!.depths, args.finalSteps, seed);
  say(`seed ${seed}: final (${args.finalSteps} steps from scratch): nir ${nirFinal.toFixed(2)}%, random ${randomFinal.toFixed(2)}%`);
  rows.push({
    seed,
    nir: { depths: best.depths, macs: macsOf(best.depths), searchAcc: best.accuracy, finalAcc: nirFinal, steps: nirSteps, seconds: nirSeconds },
    random: { depths: pick!.depths, macs: macsOf(pick!.depths), searchAcc: pick!.acc, finalAcc: randomFinal, steps: per * args.random, seconds: randomSeconds },
  });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`| seed | NIR assignment | MACs | search steps | search s | final acc % | random assignment | MACs | search steps | search s | final acc % |`);
console.log(`|---|---|---|---|---|---|---|---|---|---|---|`);
for (const r of rows)
  console.log(
    `| ${r.seed} | ${depthLabel(r.nir.depths)} | ${formatCount(r.nir.macs)} | ${r.nir.steps} | ${r.nir.seconds.toFixed(0)} | ${r.nir.finalAcc.toFixed(2)} | ${depthLabel(r.random.depths)} | ${formatCount(r.random.macs)} | ${r.random.steps} | ${r.random.seconds.toFixed(0)} | ${r.random.finalAcc.toFixed(2)} |`,
  );
console.log(
  `| mean | | ${formatCount(mean(rows.map((r) => r.nir.macs)))} | | | ${mean(rows.map((r) => r.nir.finalAcc)).toFixed(2)} | | ${formatCount(mean(rows.map((r) => r.random.macs)))} | | | ${mean(rows.map((r) => r.random.finalAcc)).toFixed(2)} |`,
);
console.log(`budget ${formatCount(limit)} MACs; wall ${seconds()} s; load ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
