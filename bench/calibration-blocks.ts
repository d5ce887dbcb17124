/**
 * Why a fidelity run's nets miss, block by block: for the chosen test nets of a bench/fidelity.ts run, each block's
 * LUT median against its one-unit model's kernels and the same block's kernels inside the network (onnxruntime's
 * profiler, ort-cpu 1 thread, level all, each kernel's fastest of --runs: src/predict/weight-cost.ts profileBlocks),
 * beside the run's wall clock of the whole net. Per net:
 *   LUT Σ = unit kernels (paired + the unit's own: reorders at its edges, an unfused Add) + what the unit's wall clock
 *   holds beyond its kernels (LUT − unit kernels); inside the network: the paired kernels and the layer's own.
 * Then the same per block kind (conv groups, SE, bottleneck ratio) over all chosen nets.
 *
 *   node --import tsx bench/calibration-blocks.ts FIDELITY.json --nets "RegnetY-d13-w024,RegnetX-d16-w048" [--runs 20]
 *
 * FIDELITY.json is what bench/fidelity.ts wrote, with its LUT beside it (fidelity-….lut.json); --nets: substrings of
 * test-net names (every match is taken). Nothing here is a wall-clock measurement: the wall clock is the run's.
 */
import yargs from 'yargs';
import { errorPct } from '../src/core/agreement.js';
import { lutInstances } from '../src/core/decompose.js';
import { predict } from '../src/predict/predictor.js';
import { profileBlocks, type BlockKernels } from '../src/predict/weight-cost.js';
import type { OpSpec } from '../src/core/ops.js';
import { fidelityNets, readFidelityRun } from './fidelity-nets.js';
import { loadavg } from './wall-blocks.js';

const args = await yargs(process.argv.slice(2))
  .command('$0 <json>', 'blocks of a fidelity run\'s nets', (y) => y.positional('json', { type: 'string', demandOption: true }))
  .option('nets', { type: 'string', demandOption: true, describe: 'comma-separated substrings of the test nets\' names' })
  .option('runs', { type: 'number', default: 20 })
  .strict()
  .parse();

const jsonFile = args.json as string;
const { lut, doc } = readFidelityRun(jsonFile);
const wanted = args.nets.split(',').filter(Boolean);
const nets = fidelityNets(doc).filter((n) => !n.set.startsWith('calibration ') && wanted.some((w) => n.arch.name.includes(w)));
if (!nets.length) throw new Error(`no test net of ${jsonFile} matches ${args.nets}`);

const loadStart = loadavg();
const kind = (s: OpSpec) => {
  const p = s as unknown as Record<string, number | string>;
  if (s.kind === 'conv') return `conv k${p.k}${Number(p.groups) > 1 ? ' grouped' : ''}`;
  // RegNet's block: bottleneck ratio and channels per group of its 3×3.
  if (s.kind === 'bottleneck') return `bottleneck${p.se ? ' +se' : ''} b${Math.round(Number(p.cout) / Number(p.mid))} ${Number(p.mid) / Number(p.groups)} ch/group`;
  return `${s.kind}${p.se ? ' +se' : ''}${p.expand !== undefined ? ` e${p.expand}` : ''}`;
};
type Part = { lut: number; unitKernels: number; unitOwn: number; netKernels: number; netOwn: number; n: number };
const zero = (): Part => ({ lut: 0, unitKernels: 0, unitOwn: 0, netKernels: 0, netOwn: 0, n: 0 });
const add = (p: Part, b: BlockKernels, median: number) => {
  p.lut += median;
  p.unitKernels += b.matchedAloneMs + b.aloneOnlyMs;
  p.unitOwn += b.aloneOnlyMs;
  p.netKernels += b.matchedNetMs + b.netOnlyMs;
  p.netOwn += b.netOnlyMs;
  p.n++;
};
const byKind = new Map<string, Part>();
console.log(`${jsonFile}: ${doc.args.resolution} px; kernels: fastest of ${args.runs} runs, load ${loadStart} at the start\n`);
console.log('| net | wall ms (run) | plain sum (err) | LUT Σ ms | unit kernels Σ (own) | LUT − unit kernels | network kernels in layers Σ (own) | wall − network kernels |');
console.log('|---|---|---|---|---|---|---|---|');
for (const n of nets) {
  const blocks = await profileBlocks([n.arch], args.runs);
  const parts = lutInstances(n.arch);
  const total = zero();
  blocks.forEach((b, i) => {
    const median = lut.entries[b.key].stats.median;
    add(total, b, median);
    const k = kind(parts[i].inst.spec);
    add(byKind.get(k) ?? byKind.set(k, zero()).get(k)!, b, median);
  });
  const plain = predict(lut, n.arch, { breakdown: false }).ms;
  console.log(
    `| ${n.arch.name.slice(0, 44)} | ${n.ms.toFixed(3)} | ${plain.toFixed(3)} (${errorPct(plain, n.ms).toFixed(1)}%) | ${total.lut.toFixed(3)} | ${total.unitKernels.toFixed(3)} (${total.unitOwn.toFixed(3)}) | ${(total.lut - total.unitKernels).toFixed(3)} | ${total.netKernels.toFixed(3)} (${total.netOwn.toFixed(3)}) | ${(n.ms - total.netKernels).toFixed(3)} |`,
  );
}
console.log(`\nper block kind over the ${nets.length} nets (load ${loadavg()} at the end):\n`);
console.log('| block kind | blocks | LUT Σ ms | unit kernels Σ (own) | network kernels Σ (own) | network / LUT | network / unit kernels |');
console.log('|---|---|---|---|---|---|---|');
for (const [k, p] of [...byKind].sort((a, b) => b[1].lut - a[1].lut))
  console.log(`| ${k} | ${p.n} | ${p.lut.toFixed(3)} | ${p.unitKernels.toFixed(3)} (${p.unitOwn.toFixed(3)}) | ${p.netKernels.toFixed(3)} (${p.netOwn.toFixed(3)}) | ${(p.netKernels / p.lut).toFixed(3)} | ${(p.netKernels / p.unitKernels).toFixed(3)} |`);
