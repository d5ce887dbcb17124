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
 *     [--supernet-epochs 10] [--sampler depth|uniform|fair|sandwich] [--distill] [--sharing independent|nested]
 *     [--lr 0.05] [--optimizer sgd|adam] [--calibration-images 512] [--standalone-epochs 2] [--standalone-seeds 0,1]
 *     [--batch 64] [--seed 0] [--supernet-seed SEED] [--space mbv2|mbv2-small] [--resolution 32] [--spread] [--file /tmp/bench.supernet] [--reference ref.json[,ref2.json]] [--skip-supernet] [--out result.json] [--scores result.json [--mean]]
 *
 * --spread picks the nets evenly spaced in log MACs (as trained here) from the space's cheapest to its dearest
 * member (src/spaces/spread-sample.ts) instead of uniformly: uniform samples of mbv2 span ~2x in MACs, too
 * little for their ranking to rise above the training noise; a search has to rank the whole range.
 * --supernet-seed (default --seed) draws the supernet's initial weights, batches and paths only: the same nets and
 * images, another supernet (its own noise). --file keeps the supernet (a finished one is reused: only the scoring runs again). --reference keeps
 * the stand-alone accuracies (a file of the same settings is reused, so several supernet variants are
 * compared with one reference; computed and written when missing). It may name several files, one per
 * seed, computed in parallel (`--standalone-seeds 1 --reference r1.json`) and joined when all exist.
 * --reference-nets A:B trains nets A+1..B only (0-based, end excluded), to split a reference over processes.
 * --score-validation N scores the supernet on the first N validation images only (default all; the reference keeps all).
 * --weights CKPT [--score-nets A:B] scores the weights of a checkpoint as they are (a partial training too), with
 * and without BatchNorm recalibration, writing partial scores to --out; --scores a.json,b.json joins such files.
 * --scores FILE takes the supernet scores of an earlier --out instead of training and scoring; with --mean, the files are
 * complete score sets of several supernets (e.g. --supernet-seed 0,1,2) and their mean per net is the score (an ensemble).
 * Every net's depth (blocks kept) is printed beside its MACs, and τ of each ranking against depth: at the budgets that fit
 * here the stand-alone ranking is mostly a depth ranking (shallow nets learn faster), docs/benchmarks.md. --skip-supernet computes the
 * reference only; without --reference and with --standalone-seeds '' the supernet scores are printed alone.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { kendallTau, spearmanRho } from '../src/core/agreement.js';
import type { Architecture } from '../src/core/arch.js';
import { Rng } from '../src/core/rng.js';
import { createSpace } from '../src/spaces/registry.js';
import { spreadSample } from '../src/spaces/spread-sample.js';
import { archMetrics } from '../src/core/arch-metrics.js';
import { useTrainingBackend } from '../src/train/backend.js';
import { Network } from '../src/train/nn/network.js';
import { CandidateTable, checkSharing } from '../src/train/supernet/candidates.js';
import { checkSampler } from '../src/train/supernet/sampler.js';
import { Supernet } from '../src/train/supernet/supernet.js';
import { adaptArchitecture, loadTrainingData, type TrainEvaluatorOptions } from '../src/train/train-evaluator.js';
import { evaluate, recalibrate, train } from '../src/train/trainer.js';
import { readCheckpoint } from '../src/train/checkpoint.js';
import * as tf from '@tensorflow/tfjs';

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
    'supernet-seed': { type: 'string' },
    space: { type: 'string', default: 'mbv2' },
    resolution: { type: 'string', default: '32' },
    file: { type: 'string' },
    reference: { type: 'string' },
    'skip-supernet': { type: 'boolean', default: false },
    out: { type: 'string' },
    scores: { type: 'string' },
    'reference-nets': { type: 'string' },
    weights: { type: 'string' },
    'score-nets': { type: 'string' },
    spread: { type: 'boolean', default: false },
    mean: { type: 'boolean', default: false },
    'score-validation': { type: 'string' },
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
// the supernet's initial weights and path/batch draws; default the data seed. Another value replicates a supernet on the same nets and images
const supernetSeed = Number(v['supernet-seed'] ?? v.seed);

const backend = await useTrainingBackend('wasm');
const { data: prepared } = loadTrainingData(data);
const space = createSpace(v.space!, { resolution: Number(v.resolution) });
const image = prepared.train;
console.log(`load average at start: ${load()}`);
// --score-validation N: the supernet scores on the first N validation images only (the reference keeps all), to measure what more validation images do
const scoreValidation = v['score-validation'] === undefined ? prepared.validation.count : Math.min(Number(v['score-validation']), prepared.validation.count);
const pixels = image.height * image.width * image.channels;
const scoring = {
  train: prepared.train,
  validation: { ...prepared.validation, count: scoreValidation, x: prepared.validation.x.subarray(0, scoreValidation * pixels), labels: prepared.validation.labels.subarray(0, scoreValidation) },
};

const rng = new Rng(1000 + data.seed!);
const seen = new Set<string>();
const archs: Architecture[] = [];
// MACs of a net as trained here (retargeted to the images)
const trainedMacs = (a: Architecture) => archMetrics(adaptArchitecture(a, image, image.classes)).macs;
if (v.spread) {
  // evenly spaced in log MACs from the space's cheapest to its dearest net (src/spaces/spread-sample.ts)
  for (const p of spreadSample(space, nets, rng, { cost: (c) => trainedMacs(space.build(c)) })) archs.push(space.build(p.choices));
} else
  while (archs.length < nets) {
    const a = space.build(space.sample(rng));
    if (!seen.has(a.name)) archs.push(a);
    seen.add(a.name);
  }
const netMacs = archs.map(trainedMacs);
// blocks kept (of mbv2's 21): the size that the stand-alone ranking at short budgets follows (constant in a space without skip: τ against it is then undefined, printed as NaN)
const netDepth = archs.map((a) => a.layers.filter((l) => l.role === 'block').length);
console.log(`${nets} nets (${v.spread ? 'spread over the MAC range' : 'uniform samples'}): ${(Math.min(...netMacs) / 1e6).toFixed(2)}–${(Math.max(...netMacs) / 1e6).toFixed(2)} M MACs at ${image.height}x${image.width}`);

// ---- stand-alone reference: every net trained from scratch once per seed (same images) ----
interface Reference {
  settings: Record<string, unknown>;
  nets: string[];
  /** accuracy[seedIndex][net] (%) */
  accuracy: number[][];
  seconds: number[][];
  load: string[];
}
const refSettings = { space: space.id, resolution: space.resolution, ...(v.spread ? { spread: true } : {}), images: data.limit, validation: data.validation, downscale: data.downscale, dataSeed: data.seed, batch: data.batchSize, optimizer, epochs: Number(v['standalone-epochs']), seeds };
let reference: Reference | undefined;
const refFiles = (v.reference ?? '').split(',').filter((f) => f !== '');
const [from, to] = (v['reference-nets'] ?? `0:${nets}`).split(':').map(Number);
if (refFiles.length && refFiles.every((f) => existsSync(f))) {
  // several files (one per seed or per range of nets, computed in parallel) are joined: per seed, the nets each file has
  const bySeed = new Map<number, { acc: (number | null)[]; secs: (number | null)[]; load: string[] }>();
  for (const f of refFiles) {
    const r = JSON.parse(readFileSync(f, 'utf8')) as Reference;
    if (!isDeepStrictEqual({ ...r.settings, seeds: [] }, { ...refSettings, seeds: [] }) || !isDeepStrictEqual(r.nets, archs.map((a) => a.name)))
      throw new Error(`${f} holds a reference of other settings: ${JSON.stringify(r.settings)}; here ${JSON.stringify(refSettings)}`);
    (r.settings.seeds as number[]).forEach((s, k) => {
      const e = bySeed.get(s) ?? { acc: archs.map(() => null), secs: archs.map(() => null), load: [] };
      r.accuracy[k].forEach((a, i) => a !== null && ((e.acc[i] = a), (e.secs[i] = r.seconds[k][i])));
      e.load.push(r.load[k]);
      bySeed.set(s, e);
    });
  }
  const complete = [...bySeed].filter(([, e]) => e.acc.every((a) => a !== null));
  if (!complete.length)
    throw new Error(
      `${refFiles.join(', ')}: no seed has all ${nets} nets (missing: ${[...bySeed].map(([s, e]) => `seed ${s} nets ${e.acc.flatMap((a, i) => (a === null ? [i + 1] : [])).join(',')}`).join('; ')}); ` +
        `a file is written after every net, so a run still going or stopped leaves one: train the missing nets into another file (--reference-nets A:B) and list it too`,
    );
  seeds.splice(0, seeds.length, ...complete.map(([s]) => s));
  reference = { settings: { ...refSettings, seeds }, nets: archs.map((a) => a.name), accuracy: complete.map(([, e]) => e.acc as number[]), seconds: complete.map(([, e]) => e.secs as number[]), load: complete.map(([, e]) => e.load.join(', ')) };
  console.log(`stand-alone reference (seeds ${seeds.join(',')}) from ${refFiles.join(', ')} (trained under load ${reference.load.join(' / ')})`);
} else if (seeds.length) {
  if (refFiles.length > 1) throw new Error(`--reference names ${refFiles.length} files and some are missing: compute each with its own --standalone-seeds / --reference-nets first`);
  console.log(`stand-alone reference: nets ${from + 1}-${to} of ${nets} x seeds ${seeds.join(',')}, ${v['standalone-epochs']} epoch(s) each, batch ${v.batch}, ${optimizer.kind}; ${backend.detail}`);
  const partial = { settings: refSettings, nets: archs.map((a) => a.name), accuracy: [] as (number | null)[][], seconds: [] as (number | null)[][], load: [] as string[] };
  for (const s of seeds) {
    const acc: (number | null)[] = archs.map(() => null);
    const secs: (number | null)[] = archs.map(() => null);
    partial.accuracy.push(acc);
    partial.seconds.push(secs);
    partial.load.push(load());
    for (const [i, arch] of archs.entries()) {
      if (i < from || i >= to) continue;
      const t = performance.now();
      const net = new Network(adaptArchitecture(arch, image, image.classes), { seed: s });
      try {
        await train(net, image, { epochs: Number(v['standalone-epochs']), batchSize: data.batchSize, optimizer, seed: s });
        recalibrate(net, image, image.count, data.batchSize);
        acc[i] = evaluate(net, prepared.validation).accuracy;
      } finally {
        net.dispose();
      }
      secs[i] = (performance.now() - t) / 1000;
      process.stderr.write(`stand-alone seed ${s} net ${i + 1}/${nets}: ${acc[i]!.toFixed(2)}% (${secs[i]!.toFixed(1)} s, load ${load()})\n`);
      // written after every net (nets not trained yet are null), so a stopped run keeps what it measured
      partial.load[partial.load.length - 1] = load();
      if (refFiles.length) writeFileSync(refFiles[0], JSON.stringify(partial, null, 1));
    }
  }
  if (refFiles.length) writeFileSync(refFiles[0], JSON.stringify(partial, null, 1));
  if (from === 0 && to === nets) reference = partial as Reference;
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
  // the cheapest ranker there is: a supernet has to beat the nets' MACs to be worth its training
  reference.accuracy.forEach((a, k) => console.log(`MACs vs stand-alone seed ${seeds[k]}: Kendall τ ${kendallTau(netMacs, a).toFixed(3)}, Spearman ρ ${spearmanRho(netMacs, a).toFixed(3)}`));
  console.log(`depth vs stand-alone mean: Kendall τ ${kendallTau(netDepth, refMean!).toFixed(3)}, Spearman ρ ${spearmanRho(netDepth, refMean!).toFixed(3)}`);
  if (v['skip-supernet']) {
    console.log(`\n| # | M MACs | depth | ${seeds.map((s) => `stand-alone seed ${s} %`).join(' | ')} |\n|---|---|---|${seeds.map(() => '---|').join('')}`);
    archs.forEach((_, i) => console.log(`| ${i + 1} | ${(netMacs[i] / 1e6).toFixed(2)} | ${netDepth[i]} | ${reference!.accuracy.map((x) => x[i].toFixed(2)).join(' | ')} |`));
  }
}

// ---- supernet ----
let scores: number[] | undefined;
let summary: Record<string, unknown> = {};
let scoresNoRecal: (number | null)[] | undefined;
if (v.weights) {
  // score the weights of a supernet checkpoint as they are (e.g. a partial training), with and without BatchNorm recalibration
  const ck = readCheckpoint(v.weights);
  const table = CandidateTable.build(space, image, image.classes, supernetSeed, sharing);
  for (const p of table.params()) {
    const t = ck.tensors.get(p.name);
    if (!t || t.data.length !== p.value.size) throw new Error(`${v.weights} lacks ${p.name}`);
    tf.tidy(() => p.variable.assign(tf.tensor(t.data, p.value.shape)));
  }
  const supernet = new Supernet(table);
  const [a, b] = (v['score-nets'] ?? `0:${nets}`).split(':').map(Number);
  console.log(`scoring nets ${a + 1}-${b} with the weights of ${v.weights} (step ${ck.meta.step} of ${ck.meta.totalSteps}; ${JSON.stringify((ck.meta.training as Record<string, unknown>)?.sampler)})`);
  const got: (number | null)[] = archs.map(() => null);
  scoresNoRecal = archs.map(() => null);
  const secs: number[] = [];
  for (let i = a; i < b; i++) {
    // first with the running statistics the training left (recalibrating a path overwrites its BatchNorms', so they are restored per net)
    const net = supernet.network(table.choicesOf(archs[i]));
    for (const p of net.params())
      if (p.role === 'bn-mean' || p.role === 'bn-var') tf.tidy(() => p.variable.assign(tf.tensor(ck.tensors.get(p.name)!.data, p.value.shape)));
    scoresNoRecal[i] = evaluate(net, scoring.validation).accuracy;
    const t = performance.now();
    got[i] = supernet.evaluate(archs[i], scoring, { calibrationImages, batchSize: data.batchSize });
    secs.push((performance.now() - t) / 1000);
    process.stderr.write(`net ${i + 1}/${nets}: supernet ${got[i]!.toFixed(2)}% (${secs[secs.length - 1].toFixed(1)} s), without recalibration ${scoresNoRecal[i]!.toFixed(2)}%, load ${load()}\n`);
  }
  supernet.dispose();
  summary = { weights: v.weights, scoreValidation, step: ck.meta.step, totalSteps: ck.meta.totalSteps, medianScoreSeconds: med(secs), nets: [a, b] };
  if (got.every((x) => x !== null)) scores = got as number[];
  if (v.out) writeFileSync(v.out, JSON.stringify({ args: v, nets: archs.map((x) => x.name), partialScores: got, scoresNoRecal, summary, loadAtEnd: load() }, null, 1));
} else if (v.scores) {
  // one file, or several partial ones (--weights with --score-nets) joined, or (--mean) several complete ones averaged
  const got: (number | null)[] = archs.map(() => null);
  scoresNoRecal = archs.map(() => null);
  const sums = archs.map(() => 0);
  const files = v.scores.split(',');
  for (const f of files) {
    const prev = JSON.parse(readFileSync(f, 'utf8')) as { nets: string[]; scores?: number[]; partialScores?: (number | null)[]; scoresNoRecal?: (number | null)[]; summary: Record<string, unknown>; args: Record<string, unknown> };
    if (!isDeepStrictEqual(prev.nets, archs.map((a) => a.name))) throw new Error(`${f} scored other nets`);
    if (v.mean) {
      // an ensemble: every file a complete score set, the score their mean
      if (!prev.scores || prev.scores.length !== archs.length) throw new Error(`--mean: ${f} holds no complete score set`);
      prev.scores.forEach((x, i) => (sums[i] += x / files.length));
      sums.forEach((x, i) => (got[i] = x));
    } else {
      (prev.scores ?? prev.partialScores ?? []).forEach((x, i) => x !== null && (got[i] = x));
      (prev.scoresNoRecal ?? []).forEach((x, i) => x !== null && (scoresNoRecal![i] = x));
    }
    summary = prev.summary;
    console.log(`supernet scores from ${f}: ${JSON.stringify(prev.args)}; ${JSON.stringify(summary)}`);
  }
  if (got.some((x) => x === null)) throw new Error(`${v.scores}: nets ${got.map((x, i) => (x === null ? i + 1 : 0)).filter(Boolean).join(',')} have no score`);
  scores = got as number[];
} else if (!v['skip-supernet']) {
  console.log(
    `${space.id}@${space.resolution} supernet on Fashion-MNIST ${image.height}x${image.width}x${image.channels}: ${image.count} training / ${prepared.validation.count} validation images, ` +
      `${sampler}${v.distill ? ' + in-place distillation' : ''}, ${sharing} weights, ${v['supernet-epochs']} epochs, batch ${v.batch}, ${optimizer.kind}${v.lr ? ` lr ${v.lr}` : ''}, ` +
      `seed ${supernetSeed}, BatchNorm recalibrated on ${calibrationImages} images; ${backend.detail}; ${nets} nets`,
  );
  const supernet = new Supernet(CandidateTable.build(space, image, image.classes, supernetSeed, sharing));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let lastLog = 0;
  const r = await supernet.train(image, {
    epochs: Number(v['supernet-epochs']),
    batchSize: data.batchSize,
    optimizer,
    seed: supernetSeed,
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
    scores.push(supernet.evaluate(arch, scoring, { calibrationImages, batchSize: data.batchSize }));
    secs.push((performance.now() - s0) / 1000);
    process.stderr.write(`net ${i + 1}/${nets}: supernet ${scores[i].toFixed(2)}% (${secs[i].toFixed(1)} s)\n`);
  }
  supernet.dispose();
  summary = { steps: r.totalSteps, scoreValidation, trainWall, trainCpu, msPerStep: r.msPerStep, loss: r.loss, medianScoreSeconds: med(secs) };
  console.log(`supernet accuracies ${span(scores)}; per candidate (median) ${med(secs).toFixed(2)} s; load ${load()}`);
}

if (scores && reference && refMean) {
  console.log(`\n| # | M MACs | depth | supernet % | ${seeds.map((s) => `stand-alone seed ${s} %`).join(' | ')} | architecture |\n|---|---|---|---|${seeds.map(() => '---|').join('')}---|`);
  archs.forEach((a, i) => console.log(`| ${i + 1} | ${(netMacs[i] / 1e6).toFixed(2)} | ${netDepth[i]} | ${scores![i].toFixed(2)} | ${reference!.accuracy.map((x) => x[i].toFixed(2)).join(' | ')} | ${a.name} |`));
  reference.accuracy.forEach((a, k) =>
    console.log(`supernet vs stand-alone seed ${seeds[k]}: Kendall τ ${kendallTau(scores!, a).toFixed(3)}, Spearman ρ ${spearmanRho(scores!, a).toFixed(3)}`),
  );
  if (scoresNoRecal && scoresNoRecal.every((x) => x !== null)) {
    const nr = scoresNoRecal as number[];
    console.log(`without BatchNorm recalibration: supernet ${span(nr)}; vs stand-alone mean: Kendall τ ${kendallTau(nr, refMean).toFixed(3)}, Spearman ρ ${spearmanRho(nr, refMean).toFixed(3)}`);
  }
  console.log(`MACs vs stand-alone mean: Kendall τ ${kendallTau(netMacs, refMean).toFixed(3)}; supernet vs MACs: Kendall τ ${kendallTau(scores, netMacs).toFixed(3)}; supernet vs depth: Kendall τ ${kendallTau(scores, netDepth).toFixed(3)}`);
  console.log(`supernet vs stand-alone mean of ${seeds.length} seed(s): Kendall τ ${kendallTau(scores, refMean).toFixed(3)}, Spearman ρ ${spearmanRho(scores, refMean).toFixed(3)}`);
  const trainWall = (summary.trainWall as number | undefined) ?? NaN;
  const saMed = med(reference.seconds.flat());
  console.log(`supernet training ${trainWall.toFixed(1)} s wall = ${(trainWall / saMed).toFixed(1)} stand-alone trainings (median ${saMed.toFixed(1)} s); load at end ${load()}`);
}
// --weights wrote its (partial) scores above; writing here would drop them
if (v.out && !v.weights) writeFileSync(v.out, JSON.stringify({ args: v, nets: archs.map((a) => a.name), scores, reference, summary, loadAtEnd: load() }, null, 1));
