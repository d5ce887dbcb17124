/**
 * Per block, what a network's kernels cost against the same block's one-unit model, by onnxruntime's own
 * profiler (ort-cpu, 1 thread, level all; each kernel's fastest of --runs runs, which a loaded machine disturbs
 * least), paired as src/predict/weight-cost.ts pairs them; per network the difference splits into
 *   - alone-only: kernels the unit runs alone and the network does not (its NCHWc reorders at its model's
 *     edges, the residual Add the network fuses into the block's last conv),
 *   - net-only: kernels of the layer in the network without a twin alone, and kernels outside any layer
 *     (reorders around ops without an NCHWc kernel, the output reshape),
 *   - matched: the same kernels in both (their in-context difference: weights read from farther away).
 * Then the matched differences of all blocks fitted as perUnit + perWeightByte · weight bytes (fitWeightCost),
 * and the same per weight-size bin. With --json the blocks go to a file.
 *
 *   node --import tsx bench/in-context-kernels.ts --resolution 128 --nets "MobileNetV2,EfficientNet-B0" --random 2 --regnet 2 --json out.json
 */
import { readFileSync, writeFileSync } from 'node:fs';
import yargs from 'yargs';
import type { Architecture } from '../src/core/arch.js';
import { Rng } from '../src/core/rng.js';
import { fitWeightCost, profileBlocks, type BlockKernels } from '../src/predict/weight-cost.js';
import { loadPublishedNets } from '../src/spaces/published.js';
import { createSpace } from '../src/spaces/registry.js';

const args = await yargs(process.argv.slice(2))
  .option('resolution', { type: 'number', default: 128 })
  .option('nets', { type: 'string', default: 'MobileNetV2-1.0,EfficientNet-B0,MobileNetV3,proxyless_gpu,FBNet-B,Single-Path', describe: 'published nets by the start of their names, comma-separated' })
  .option('random', { type: 'number', default: 2, describe: 'random mbv2 nets (seed 0, as bench/fidelity.ts draws its test nets)' })
  .option('regnet', { type: 'number', default: 2, describe: 'random regnet nets (seed 0)' })
  .option('runs', { type: 'number', default: 20 })
  .option('json', { type: 'string' })
  .strict()
  .parse();

const R = args.resolution;
const archs: { arch: Architecture; family: string }[] = [];
const published = loadPublishedNets({ resolution: R }).nets;
for (const prefix of args.nets.split(',').filter(Boolean)) {
  const arch = published.find((n) => n.name.startsWith(prefix));
  if (!arch) throw new Error(`no published net starts with '${prefix}'`);
  archs.push({ arch, family: arch.name.split(/[-_ ]/)[0] });
}
for (const [id, n] of [['mbv2', args.random], ['regnet', args.regnet]] as const) {
  const space = createSpace(id, { resolution: R });
  const rng = new Rng(0);
  for (let i = 0; i < n; i++) archs.push({ arch: space.build(space.sample(rng)), family: id });
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const loadStart = load();
const t0 = Date.now();
const blocks: BlockKernels[] = [];
for (const [i, { arch }] of archs.entries()) {
  blocks.push(...(await profileBlocks([arch], args.runs)));
  process.stderr.write(`${i + 1}/${archs.length} ${arch.name}\n`);
}
const sum = (bs: BlockKernels[], f: (b: BlockKernels) => number) => bs.reduce((t, b) => t + f(b), 0);
const d = (b: BlockKernels) => b.matchedNetMs - b.matchedAloneMs;
console.log(`ort-cpu kernels, 1 thread, level all, fastest of ${args.runs} runs, ${R} px; ${((Date.now() - t0) / 1000).toFixed(0)} s, load ${loadStart} → ${load()}\n`);
console.log('| net | family | weights MiB | matched kernels alone ms | network − alone, matched ms (%) | of it, blocks with weights > 1 MiB | units: alone-only kernels ms | network: net-only kernels in layers ms |');
console.log('|---|---|---|---|---|---|---|---|');
for (const { arch, family } of archs) {
  const bs = blocks.filter((b) => b.net === arch.name);
  const a = sum(bs, (b) => b.matchedAloneMs);
  console.log(
    `| ${arch.name.slice(0, 40)} | ${family} | ${(sum(bs, (b) => b.weightBytes) / 2 ** 20).toFixed(2)} | ${a.toFixed(3)} | ${sum(bs, d).toFixed(3)} (${((100 * sum(bs, d)) / a).toFixed(1)}%) | ${sum(bs.filter((b) => b.weightBytes > 2 ** 20), d).toFixed(3)} | ${sum(bs, (b) => b.aloneOnlyMs).toFixed(3)} | ${sum(bs, (b) => b.netOnlyMs).toFixed(3)} |`,
  );
}
const MiB = 2 ** 20;
console.log('\n| block weights | blocks | Σ weights MiB | Σ (network − alone) ms | µs per MiB | mean per block µs |');
console.log('|---|---|---|---|---|---|');
for (const [lo, hi] of [[0, 0.05], [0.05, 0.2], [0.2, 0.5], [0.5, 1], [1, 2], [2, 4], [4, 64]]) {
  const bs = blocks.filter((b) => b.weightBytes >= lo * MiB && b.weightBytes < hi * MiB);
  if (!bs.length) continue;
  const w = sum(bs, (b) => b.weightBytes) / MiB;
  console.log(`| ${lo}–${hi} MiB | ${bs.length} | ${w.toFixed(1)} | ${sum(bs, d).toFixed(3)} | ${((1000 * sum(bs, d)) / w).toFixed(1)} | ${((1000 * sum(bs, d)) / bs.length).toFixed(1)} |`);
}
const fit = fitWeightCost(blocks);
console.log(`\nfit over ${fit.blocks} blocks: ${(fit.perWeightByteMs * MiB * 1000).toFixed(1)} µs per MiB of weights + ${(fit.perUnitMs * 1000).toFixed(1)} µs per block (residual RMS ${(fit.residualMs * 1000).toFixed(1)} µs)`);
if (args.json) writeFileSync(args.json, JSON.stringify({ resolution: R, runs: args.runs, load: [loadStart, load()], fit, blocks }, null, 1));
