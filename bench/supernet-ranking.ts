/**
 * Supernet ranking quality and cost: trains the one-shot supernet of mbv2 (src/train/supernet/) on a
 * Fashion-MNIST slice, then scores N random sub-networks twice, by the supernet (inherited weights,
 * BatchNorm recalibrated) and by a stand-alone short training (the train evaluator, same data), and
 * reports Kendall τ and Spearman ρ between the two (src/core/agreement.ts), the supernet training
 * time (wall and CPU) and the time per candidate of each evaluator.
 *
 *   node --import tsx bench/supernet-ranking.ts [--nets 20] [--images 2560] [--validation 512] [--downscale 2]
 *     [--supernet-epochs 10] [--sampler uniform|fair] [--sharing independent|nested] [--lr 0.05] [--optimizer sgd|adam] [--standalone-epochs 2]
 *     [--batch 64] [--seed 0] [--file /tmp/bench.supernet]
 *
 * --file keeps the supernet (a finished one is reused, so the stand-alone half can be rerun alone).
 */
import { parseArgs } from 'node:util';
import { kendallTau, spearmanRho } from '../src/core/agreement.js';
import { Rng } from '../src/core/rng.js';
import { createSpace } from '../src/spaces/registry.js';
import { useTrainingBackend } from '../src/train/backend.js';
import { CandidateTable, checkSharing } from '../src/train/supernet/candidates.js';
import { checkSampler } from '../src/train/supernet/sampler.js';
import { Supernet } from '../src/train/supernet/supernet.js';
import { loadTrainingData, trainEvaluator, type TrainEvaluatorOptions } from '../src/train/train-evaluator.js';

const { values: v } = parseArgs({
  options: {
    nets: { type: 'string', default: '20' },
    images: { type: 'string', default: '2560' },
    validation: { type: 'string', default: '512' },
    downscale: { type: 'string', default: '2' },
    'supernet-epochs': { type: 'string', default: '10' },
    sampler: { type: 'string', default: 'uniform' },
    sharing: { type: 'string', default: 'independent' },
    optimizer: { type: 'string', default: 'sgd' },
    lr: { type: 'string' },
    'standalone-epochs': { type: 'string', default: '2' },
    batch: { type: 'string', default: '64' },
    seed: { type: 'string', default: '0' },
    resolution: { type: 'string', default: '32' },
    file: { type: 'string' },
  },
});
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

const backend = await useTrainingBackend('wasm');
const { data: prepared } = loadTrainingData(data);
const space = createSpace('mbv2', { resolution: Number(v.resolution) });
const image = prepared.train;
console.log(
  `mbv2@${space.resolution} supernet on Fashion-MNIST ${image.height}x${image.width}x${image.channels}: ${image.count} training / ${prepared.validation.count} validation images, ` +
    `${sampler}, ${sharing} weights, ${v['supernet-epochs']} epochs, batch ${v.batch}, ${optimizer.kind}${v.lr ? ` lr ${v.lr}` : ''}, seed ${v.seed}; ${backend.detail}; ${nets} nets, stand-alone ${v['standalone-epochs']} epochs`,
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
  checkpoint: v.file,
  onProgress: (p) => {
    if (performance.now() - lastLog > 15000 || p.step === p.totalSteps) {
      lastLog = performance.now();
      process.stderr.write(`supernet step ${p.step}/${p.totalSteps} epoch ${p.epoch + 1} loss ${p.loss.toFixed(3)} lr ${p.lr.toFixed(4)}\n`);
    }
  },
});
const trainWall = (performance.now() - t0) / 1000;
const c = process.cpuUsage(cpu0);
const trainCpu = (c.user + c.system) / 1e6;
console.log(
  `supernet: ${r.totalSteps} steps (${r.resumedFrom ? `resumed from ${r.resumedFrom}` : 'from scratch'}), ${r.paths} paths trained now, ` +
    `${trainWall.toFixed(1)} s wall, ${trainCpu.toFixed(1)} s CPU, ${r.msPerStep.toFixed(0)} ms/step, last-epoch loss ${r.loss.toFixed(3)}`,
);

const rng = new Rng(1000 + data.seed!);
const seen = new Set<string>();
const archs = [];
while (archs.length < nets) {
  const a = space.build(space.sample(rng));
  if (!seen.has(a.name)) archs.push(a);
  seen.add(a.name);
}

const standalone = trainEvaluator({ ...data, epochs: Number(v['standalone-epochs']) });
const rows: { name: string; supernet: number; standalone: number; supernetS: number; standaloneS: number }[] = [];
for (const [i, arch] of archs.entries()) {
  const s0 = performance.now();
  const sn = supernet.evaluate(arch, prepared, { calibrationImages: 512, batchSize: data.batchSize });
  const s1 = performance.now();
  const sa = await standalone.evaluate(arch);
  const s2 = performance.now();
  rows.push({ name: arch.name, supernet: sn, standalone: sa, supernetS: (s1 - s0) / 1000, standaloneS: (s2 - s1) / 1000 });
  process.stderr.write(`net ${i + 1}/${nets}: supernet ${sn.toFixed(2)}% (${((s1 - s0) / 1000).toFixed(1)} s), stand-alone ${sa.toFixed(2)}% (${((s2 - s1) / 1000).toFixed(1)} s)\n`);
}
supernet.dispose();

const med = (x: number[]) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)];
console.log('\n| # | supernet % | stand-alone % | architecture |\n|---|---|---|---|');
rows.forEach((row, i) => console.log(`| ${i + 1} | ${row.supernet.toFixed(2)} | ${row.standalone.toFixed(2)} | ${row.name} |`));
const tau = kendallTau(rows.map((x) => x.supernet), rows.map((x) => x.standalone));
const rho = spearmanRho(rows.map((x) => x.supernet), rows.map((x) => x.standalone));
const range = (k: 'supernet' | 'standalone') => `${Math.min(...rows.map((x) => x[k])).toFixed(1)}–${Math.max(...rows.map((x) => x[k])).toFixed(1)}%`;
console.log(
  `\nKendall τ ${tau.toFixed(3)}, Spearman ρ ${rho.toFixed(3)} over ${rows.length} nets; supernet accuracies ${range('supernet')}, stand-alone ${range('standalone')}\n` +
    `per candidate (median): supernet ${med(rows.map((x) => x.supernetS)).toFixed(2)} s, stand-alone ${med(rows.map((x) => x.standaloneS)).toFixed(2)} s ` +
    `(${(med(rows.map((x) => x.standaloneS)) / med(rows.map((x) => x.supernetS))).toFixed(1)}x); supernet training ${trainWall.toFixed(1)} s wall = ` +
    `${(trainWall / med(rows.map((x) => x.standaloneS))).toFixed(1)} stand-alone trainings`,
);
