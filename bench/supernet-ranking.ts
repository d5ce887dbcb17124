/**
 * Supernet ranking quality and cost: trains the one-shot supernet of mbv2 (src/train/supernet/) on a
 * Fashion-MNIST slice, then scores N random sub-networks by the supernet (inherited weights, BatchNorm
 * recalibrated) and by stand-alone training from scratch (same data), and reports Kendall τ and
 * Spearman ρ between the two (src/core/agreement.ts), the supernet training time (wall and CPU) and
 * the time per candidate of each evaluator.
 *
 * The stand-alone reference is trained once per --standalone-seeds entry (default two: 0,1): same
 * images, same nets, other initial weights and batch order. τ between the seeds is the reference's own
 * noise floor, printed beside the supernet's τ against each seed and against their mean.
 *
 *   node --import tsx bench/supernet-ranking.ts [--nets 20] [--images 2560] [--validation 512] [--downscale 2]
 *     [--supernet-epochs 10] [--sampler uniform|fair|sandwich] [--distill] [--sharing independent|nested]
 *     [--lr 0.05] [--optimizer sgd|adam] [--calibration-images 512] [--standalone-epochs 2] [--standalone-seeds 0,1]
 *     [--batch 64] [--seed 0] [--file /tmp/bench.supernet] [--reference ref.json[,ref2.json]] [--skip-supernet] [--out result.json] [--scores result.json]
 *
 * --file keeps the supernet (a finished one is reused: only the scoring runs again). --reference keeps
 * the stand-alone accuracies (a file of the same settings is reused, so several supernet variants are
 * compared with one reference; computed and written when missing). It may name several files, one per
 * seed, computed in parallel (`--standalone-seeds 1 --reference r1.json`) and joined when all exist.
 * --scores FILE takes the supernet scores of an earlier --out instead of training and scoring. --skip-supernet computes the
 * reference only; without --reference and with --standalone-seeds '' the supernet scores are printed alone.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { kendallTau, spearmanRho } from '../src/core/agreement.js';
import { Rng } from '../src/core/rng.js';
import { createSpace } from '../src/spaces/registry.js';
import { useTrainingBackend } from '../src/train/backend.js';
import { Network } from '../src/train/nn/network.js';
import { CandidateTable, checkSharing } from '../src/train/supernet/candidates.js';
import { checkSampler } from '../src/train/supernet/sampler.js';
import { Supernet } from '../src/train/supernet/supernet.js';
import { adaptArchitecture, loadTrainingData, type TrainEvaluatorOptions } from '../src/train/train-evaluator.js';
import { evaluate, recalibrate, train } from '../src/train/trainer.js';

const { values: v } = parseArgs({
  options: {
    nets: { type: 'string', default: '20' },
    images: { type: 'string', default: '2560' },
    validation: { type: 'string', default: '512' },
    downscale: { type: 'string', default: '2' },
    'supernet-epochs': { type: 'string', default: '10' },
    sampler: { type: 'string', default: 'uniform' },
    distill: { type: 'boolean', default: false },
    sharing: { type: 'string', default: 'independent' },
    optimizer: { type: 'string', default: 'sgd' },
    lr: { type: 'string' },
    'calibration-images': { type: 'string', default: '512' },
    'standalone-epochs': { type: 'string', default: '2' },
    'standalone-seeds': { type: 'string', default: '0,1' },
    batch: { type: 'string', default: '64' },
    seed: { type: 'string', default: '0' },
    resolution: { type: 'string', default: '32' },
    file: { type: 'string' },
    reference: { type: 'string' },
    'skip-supernet': { type: 'boolean', default: false },
    out: { type: 'string' },
    scores: { type: 'string' },
  },
});
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const nets = Number(v.nets);
const sampler = checkSampler(v.sampler!);
const sharing = checkSharing(v.sharing!);
const optimizer = { kind: v.optimizer as 'sgd' | 'adam', ...(v.lr === undefined ? {} : { lr: Number(v.lr) }) };
const data: TrainEvaluatorOptions = {
  limit: Number(v.images),
  validation: Number(v.validation),
  downscale: Number(v.downscale),
  seed: Number(v.seed),
  batchSize: Number(v.batch),
  optimizer,
  backend: 'wasm',
};
const seeds = v['standalone-seeds']!.split(',').filter((s) => s.trim() !== '').map(Number);
const calibrationImages = Number(v['calibration-images']);

const backend = await useTrainingBackend('wasm');
const { data: prepared } = loadTrainingData(data);
const space = createSpace('mbv2', { resolution: Number(v.resolution) });
const image = prepared.train;
console.log(`load average at start: ${load()}`);

const rng = new Rng(1000 + data.seed!);
const seen = new Set<string>();
const archs = [];
while (archs.length < nets) {
  const a = space.build(space.sample(rng));
  if (!seen.has(a.name)) archs.push(a);
  seen.add(a.name);
}

// ---- stand-alone reference: every net trained from scratch once per seed (same images) ----
interface Reference {
  settings: Record<string, unknown>;
  nets: string[];
  /** accuracy[seedIndex][net] (%) */
  accuracy: number[][];
  seconds: number[][];
  load: string[];
}
const refSettings = { space: 'mbv2', resolution: space.resolution, images: data.limit, validation: data.validation, downscale: data.downscale, dataSeed: data.seed, batch: data.batchSize, optimizer, epochs: Number(v['standalone-epochs']), seeds };
let reference: Reference | undefined;
const refFiles = (v.reference ?? '').split(',').filter((f) => f !== '');
if (refFiles.length && refFiles.every((f) => existsSync(f))) {
  // several files (e.g. one per seed, computed in parallel) are joined in the order given
  for (const f of refFiles) {
    const r = JSON.parse(readFileSync(f, 'utf8')) as Reference;
    const mine = { ...r.settings, seeds: [] };
    if (!isDeepStrictEqual(mine, { ...refSettings, seeds: [] }) || !isDeepStrictEqual(r.nets, archs.map((a) => a.name)))
      throw new Error(`${f} holds a reference of other settings: ${JSON.stringify(r.settings)}; here ${JSON.stringify(refSettings)}`);
    if (!reference) reference = { ...r, settings: { ...r.settings } };
    else {
      reference.accuracy.push(...r.accuracy);
      reference.seconds.push(...r.seconds);
      reference.load.push(...r.load);
      (reference.settings.seeds as number[]).push(...(r.settings.seeds as number[]));
    }
  }
  seeds.splice(0, seeds.length, ...(reference!.settings.seeds as number[]));
  console.log(`stand-alone reference (seeds ${seeds.join(',')}) reused from ${refFiles.join(', ')} (trained under load ${reference!.load.join(' / ')})`);
} else if (seeds.length) {
  if (refFiles.length > 1) throw new Error(`--reference names ${refFiles.length} files and some are missing: compute each with its own --standalone-seeds first`);
  console.log(`stand-alone reference: ${nets} nets x seeds ${seeds.join(',')}, ${v['standalone-epochs']} epoch(s) each, batch ${v.batch}, ${optimizer.kind}; ${backend.detail}`);
  reference = { settings: refSettings, nets: archs.map((a) => a.name), accuracy: [], seconds: [], load: [] };
  for (const s of seeds) {
    const acc: number[] = [];
    const secs: number[] = [];
    for (const [i, arch] of archs.entries()) {
      const t = performance.now();
      const net = new Network(adaptArchitecture(arch, image, image.classes), { seed: s });
      try {
        await train(net, image, { epochs: Number(v['standalone-epochs']), batchSize: data.batchSize, optimizer, seed: s });
        recalibrate(net, image, image.count, data.batchSize);
        acc.push(evaluate(net, prepared.validation).accuracy);
      } finally {
        net.dispose();
      }
      secs.push((performance.now() - t) / 1000);
      process.stderr.write(`stand-alone seed ${s} net ${i + 1}/${nets}: ${acc[i].toFixed(2)}% (${secs[i].toFixed(1)} s, load ${load()})\n`);
    }
    reference.accuracy.push(acc);
    reference.seconds.push(secs);
    reference.load.push(load());
  }
  if (refFiles.length) writeFileSync(refFiles[0], JSON.stringify(reference, null, 1));
}
const med = (x: number[]) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)];
const span = (x: number[]) => `${Math.min(...x).toFixed(1)}–${Math.max(...x).toFixed(1)}%`;
const refMean = reference && archs.map((_, i) => reference!.accuracy.reduce((s, a) => s + a[i], 0) / reference!.accuracy.length);
if (reference) {
  reference.accuracy.forEach((a, k) => console.log(`stand-alone seed ${seeds[k]}: ${span(a)}, median ${med(reference!.seconds[k]).toFixed(1)} s per net`));
  for (let a = 0; a < seeds.length; a++)
    for (let b = a + 1; b < seeds.length; b++)
      console.log(
        `noise floor: stand-alone seed ${seeds[a]} vs seed ${seeds[b]}: Kendall τ ${kendallTau(reference.accuracy[a], reference.accuracy[b]).toFixed(3)}, Spearman ρ ${spearmanRho(reference.accuracy[a], reference.accuracy[b]).toFixed(3)}`,
      );
}

// ---- supernet ----
let scores: number[] | undefined;
let summary: Record<string, unknown> = {};
if (v.scores) {
  const prev = JSON.parse(readFileSync(v.scores, 'utf8')) as { nets: string[]; scores: number[]; summary: Record<string, unknown>; args: Record<string, unknown> };
  if (!isDeepStrictEqual(prev.nets, archs.map((a) => a.name))) throw new Error(`${v.scores} scored other nets`);
  scores = prev.scores;
  summary = prev.summary;
  console.log(`supernet scores from ${v.scores}: ${JSON.stringify(prev.args)}; ${JSON.stringify(summary)}`);
} else if (!v['skip-supernet']) {
  console.log(
    `mbv2@${space.resolution} supernet on Fashion-MNIST ${image.height}x${image.width}x${image.channels}: ${image.count} training / ${prepared.validation.count} validation images, ` +
      `${sampler}${v.distill ? ' + in-place distillation' : ''}, ${sharing} weights, ${v['supernet-epochs']} epochs, batch ${v.batch}, ${optimizer.kind}${v.lr ? ` lr ${v.lr}` : ''}, ` +
      `seed ${v.seed}, BatchNorm recalibrated on ${calibrationImages} images; ${backend.detail}; ${nets} nets`,
  );
  const supernet = new Supernet(CandidateTable.build(space, image, image.classes, data.seed!, sharing));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let lastLog = 0;
  const r = await supernet.train(image, {
    epochs: Number(v['supernet-epochs']),
    batchSize: data.batchSize,
    optimizer,
    seed: data.seed,
    sampler,
    distill: v.distill,
    checkpoint: v.file,
    onProgress: (p) => {
      if (performance.now() - lastLog > 15000 || p.step === p.totalSteps) {
        lastLog = performance.now();
        process.stderr.write(`supernet step ${p.step}/${p.totalSteps} epoch ${p.epoch + 1} loss ${p.loss.toFixed(3)} lr ${p.lr.toFixed(4)} load ${load()}\n`);
      }
    },
  });
  const trainWall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  const trainCpu = (c.user + c.system) / 1e6;
  console.log(
    `supernet: ${r.totalSteps} steps (${r.resumedFrom ? `resumed from ${r.resumedFrom}` : 'from scratch'}), ${r.paths} paths trained now, ` +
      `${trainWall.toFixed(1)} s wall, ${trainCpu.toFixed(1)} s CPU, ${r.msPerStep.toFixed(0)} ms/step, last-epoch loss ${r.loss.toFixed(3)}; load ${load()}`,
  );
  scores = [];
  const secs: number[] = [];
  for (const [i, arch] of archs.entries()) {
    const s0 = performance.now();
    scores.push(supernet.evaluate(arch, prepared, { calibrationImages, batchSize: data.batchSize }));
    secs.push((performance.now() - s0) / 1000);
    process.stderr.write(`net ${i + 1}/${nets}: supernet ${scores[i].toFixed(2)}% (${secs[i].toFixed(1)} s)\n`);
  }
  supernet.dispose();
  summary = { steps: r.totalSteps, trainWall, trainCpu, msPerStep: r.msPerStep, loss: r.loss, medianScoreSeconds: med(secs) };
  console.log(`supernet accuracies ${span(scores)}; per candidate (median) ${med(secs).toFixed(2)} s; load ${load()}`);
}

if (scores && reference && refMean) {
  console.log(`\n| # | supernet % | ${seeds.map((s) => `stand-alone seed ${s} %`).join(' | ')} | architecture |\n|---|---|${seeds.map(() => '---|').join('')}---|`);
  archs.forEach((a, i) => console.log(`| ${i + 1} | ${scores![i].toFixed(2)} | ${reference!.accuracy.map((x) => x[i].toFixed(2)).join(' | ')} | ${a.name} |`));
  reference.accuracy.forEach((a, k) =>
    console.log(`supernet vs stand-alone seed ${seeds[k]}: Kendall τ ${kendallTau(scores!, a).toFixed(3)}, Spearman ρ ${spearmanRho(scores!, a).toFixed(3)}`),
  );
  console.log(`supernet vs stand-alone mean of ${seeds.length} seed(s): Kendall τ ${kendallTau(scores, refMean).toFixed(3)}, Spearman ρ ${spearmanRho(scores, refMean).toFixed(3)}`);
  const trainWall = summary.trainWall as number;
  const saMed = med(reference.seconds.flat());
  console.log(`supernet training ${trainWall.toFixed(1)} s wall = ${(trainWall / saMed).toFixed(1)} stand-alone trainings (median ${saMed.toFixed(1)} s); load at end ${load()}`);
}
if (v.out) writeFileSync(v.out, JSON.stringify({ args: v, nets: archs.map((a) => a.name), scores, reference, summary, loadAtEnd: load() }, null, 1));
