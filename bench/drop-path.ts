/**
 * ScheduledDropPath on a small NASNet network: the same member of the nasnet space (N normal cells per stage,
 * F filters, retargeted to Fashion-MNIST 28×28), the same data, seed and budget, trained with drop-path p = 0.2
 * (the default for cell networks) and with p = 0; prints validation accuracy (BatchNorm recalibrated, as the
 * train evaluator measures) and ms per step for each, with the load average.
 *
 *   node --import tsx bench/drop-path.ts --normal-cells 1 --filters 8 --images 2560 --epochs 2 --seed 1
 */
import { loadavg } from 'node:os';
import yargs from 'yargs';
import { Rng } from '../src/core/rng.js';
import { createNasnetSpace } from '../src/spaces/nasnet.js';
import { useTrainingBackend } from '../src/train/backend.js';
import { Network } from '../src/train/nn/network.js';
import { adaptArchitecture, loadTrainingData } from '../src/train/train-evaluator.js';
import { evaluate, recalibrate, train } from '../src/train/trainer.js';

const a = await yargs(process.argv.slice(2))
  .option('normal-cells', { type: 'number', default: 1 })
  .option('filters', { type: 'number', default: 8 })
  .option('images', { type: 'number', default: 2560 })
  .option('validation', { type: 'number', default: 512 })
  .option('epochs', { type: 'number', default: 2 })
  .option('seed', { type: 'number', default: 1 })
  .option('rates', { type: 'string', default: '0.2,0' })
  .strict()
  .parse();

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`load at start: ${load()}`);
const backend = await useTrainingBackend('auto');
const { data } = loadTrainingData({ limit: a.images, validation: a.validation, seed: a.seed });
const space = createNasnetSpace({ normalCells: a['normal-cells'], filters: a.filters });
const arch = adaptArchitecture(space.build(space.sample(new Rng(a.seed))), data.train, data.train.classes);
console.log(`${arch.name}\n${data.train.count} training / ${data.validation.count} validation images, ${a.epochs} epochs of batch 64, ${backend.detail}`);
for (const rate of a.rates.split(',').map(Number)) {
  const net = new Network(arch, { seed: a.seed });
  try {
    const r = await train(net, data.train, { epochs: a.epochs, batchSize: 64, seed: a.seed, dropPath: rate });
    recalibrate(net, data.train, data.train.count, 64);
    const v = evaluate(net, data.validation);
    console.log(`drop-path ${r.dropPath}: ${r.steps} steps, ${r.msPerStep.toFixed(0)} ms/step, final loss ${r.loss.toFixed(4)}, validation ${v.accuracy.toFixed(2)}%  (load ${load()})`);
  } finally {
    net.dispose();
  }
}
