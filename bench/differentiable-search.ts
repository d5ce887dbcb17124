/**
 * Differentiable search (fbnet, proxyless) on Fashion-MNIST at small settings, over a LUT of the mbv2
 * space, for a few latency weights: the chosen (argmax) net's LUT-predicted latency, its validation
 * accuracy with the weights it inherits from the supernet (BatchNorm recalibrated), E[LAT] under the
 * final α, the search's wall and CPU time, and (unless --no-final-train) the chosen net's accuracy
 * after a short stand-alone training with the train evaluator's defaults (2560 Fashion-MNIST images at
 * 28x28, 512 of them for validation, 2 epochs, seed 0). Each run is the search `nas search --strategy S`
 * runs (DifferentiableSearch); the training settings are those of the search command's flags.
 *
 *   node --import tsx bench/differentiable-search.ts --lut cpu-mbv2-32.lut.json [--strategies fbnet,proxyless]
 *     [--weights 0,3,10] [--images 1280] [--validation 256] [--batch 32] [--downscale 2]
 *     [--warmup-epochs 1] [--search-epochs 3] [--arch-lr 0.05] [--seed 0] [--sharing independent|nested] [--no-final-train]
 *
 * Prints one markdown row per run as it finishes (progress lines on stderr).
 */
import { parseArgs } from 'node:util';
import { lutLatencySource } from '../src/predict/latency-source.js';
import { DifferentiableSearch, type DifferentiableStrategy, type EpochStats } from '../src/search/differentiable/index.js';
import type { SearchContext } from '../src/search/types.js';
import { createSpace } from '../src/spaces/registry.js';
import { trainEvaluator } from '../src/train/train-evaluator.js';

const { values } = parseArgs({
  options: {
    lut: { type: 'string' },
    strategies: { type: 'string', default: 'fbnet,proxyless' },
    weights: { type: 'string', default: '0,3,10' },
    images: { type: 'string', default: '1280' },
    validation: { type: 'string', default: '256' },
    batch: { type: 'string', default: '32' },
    downscale: { type: 'string', default: '2' },
    'warmup-epochs': { type: 'string', default: '1' },
    'search-epochs': { type: 'string', default: '3' },
    'arch-lr': { type: 'string', default: '0.05' },
    seed: { type: 'string', default: '0' },
    // The supernet's weights: own per option (SPOS) or nested slices of one largest kernel (--supernet-sharing).
    sharing: { type: 'string', default: 'independent' },
    'no-final-train': { type: 'boolean', default: false },
  },
});
if (!values.lut) throw new Error('--lut FILE is required (nas profile --device cpu --threads 1 --space mbv2 --resolution 32 --out FILE)');
const space = createSpace('mbv2', { resolution: 32 });
const latency = await lutLatencySource(values.lut, space);
const training = { limit: Number(values.images), validation: Number(values.validation), batchSize: Number(values.batch), downscale: Number(values.downscale) };

const standalone = values['no-final-train'] ? undefined : trainEvaluator({ seed: 0 });
console.log(`| strategy | latency loss | weight | chosen net, predicted ms | accuracy, inherited weights | accuracy, trained alone | E[LAT] end, ms (layer table) | search wall s | CPU s | chosen architecture |`);
console.log(`|---|---|---|---|---|---|---|---|---|---|`);
for (const strategy of values.strategies.split(',') as DifferentiableStrategy[]) {
  for (const weight of values.weights.split(',').map(Number)) {
    const epochs: EpochStats[] = [];
    const search = new DifferentiableSearch(strategy, {
      latencyWeight: weight,
      warmupEpochs: Number(values['warmup-epochs']),
      searchEpochs: Number(values['search-epochs']),
      archLr: Number(values['arch-lr']),
      onEpoch: (e) => epochs.push(e),
    });
    const ctx: SearchContext = {
      space,
      latency,
      evaluator: { id: 'unused', provenance: {}, evaluate: () => Promise.reject(new Error('not used by differentiable search')) },
      budget: 1,
      seed: Number(values.seed),
      lutFile: values.lut,
      training,
      args: { supernetSharing: values.sharing },
      onProgress: (p) => p.message && process.stderr.write(`${p.message}\n`),
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await search.run(ctx);
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const best = r.best!;
    const last = epochs[epochs.length - 1];
    const loss = strategy === 'fbnet' ? 'fbnet' : 'proxyless-mul';
    const alone = standalone ? `${(await standalone.evaluate(space.build(best.encoding))).toFixed(2)}%` : '–';
    console.log(
      `| ${strategy} | ${loss} | ${weight} | ${best.latency.ms.toFixed(4)} | ${best.accuracy.toFixed(2)}% | ${alone} | ${last.expectedMs.toFixed(4)} | ${wall.toFixed(0)} | ${((cpu.user + cpu.system) / 1e6).toFixed(0)} | ${best.name.replace('mbv2@32:', '')} |`,
    );
  }
}
