/**
 * Speed of the all-proxies computation against a reference version of the proxy code, in one process
 * on the same cells, alternating which goes first, so both see the same machine load. Scores from the
 * two are compared too (largest relative difference per proxy).
 *
 *   git worktree add /tmp/proxies-ref <commit>      # or: git archive <commit> src devices | tar -x -C DIR
 *   node --import tsx bench/proxies-speed.ts --reference /tmp/proxies-ref [--n 12] [--data fashion-mnist] [--profile K]
 *
 * The reference checkout needs this repo's node_modules reachable from it (a symlink will do: both
 * copies must load the same @tensorflow/tfjs, which keeps one backend per process). Times are CPU
 * time of this process (user + system) and wall time per cell, all six proxies on one net. --profile K
 * then shows where the current code's time goes, per tfjs kernel (tf.profile, wall time of each
 * kernel, nested kernels such as the training kernels' own calls counted in their caller and again).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Rng } from '../src/core/rng.js';
import { loadTf, ProxyScorer } from '../src/evaluators/proxy/index.js';
import type { ProxyData } from '../src/evaluators/proxy/input.js';
import { BASE_PROXY_NAMES } from '../src/evaluators/proxy/scores.js';
import { createNb201Space, nb201Connected } from '../src/spaces/nb201.js';

const { values } = parseArgs({
  options: {
    reference: { type: 'string' },
    n: { type: 'string', default: '12' },
    seed: { type: 'string', default: '0' },
    data: { type: 'string', default: 'fashion-mnist' },
    resolution: { type: 'string', default: '16' },
    profile: { type: 'string', default: '0' },
  },
});
if (!values.reference) throw new Error('--reference DIR (a checkout of the proxy code to compare with) is required');
const n = Number(values.n);
const seed = Number(values.seed);
const resolution = Number(values.resolution);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const space = createNb201Space();
// The first n cells of bench/proxies-nb201.ts's sample for the same seed.
const rng = new Rng(seed);
const cells: number[][] = [];
const seen = new Set<string>();
while (cells.length < n) {
  const e = space.sample(rng);
  if (nb201Connected(e) && !seen.has(e.join(','))) {
    seen.add(e.join(','));
    cells.push(e);
  }
}

type Scorer = { score(arch: ReturnType<typeof space.build>, names: readonly string[]): Record<string, number>; dispose(): void };
const refModule = (await import(pathToFileURL(path.resolve(values.reference, 'src/evaluators/proxy/index.ts')).href)) as {
  loadTf: typeof loadTf;
  ProxyScorer: new (...args: ConstructorParameters<typeof ProxyScorer>) => Scorer;
};
const opts = { resolution, seed, data: values.data as ProxyData };
const scorers: Record<'reference' | 'current', Scorer> = {
  reference: new refModule.ProxyScorer(await refModule.loadTf('wasm'), opts),
  current: new ProxyScorer(await loadTf('wasm'), opts) as unknown as Scorer,
};
// Warm-up (kernels, the minibatches) on a cell outside the timed ones.
for (const s of Object.values(scorers)) s.score(space.build([3, 3, 3, 3, 3, 3]), BASE_PROXY_NAMES);

const startLoad = loadavg();
const cpu = { reference: [] as number[], current: [] as number[] };
const wall = { reference: [] as number[], current: [] as number[] };
// Cells with an avg_pool_3x3 edge apart: the reference's gradient through that pool was wrong (tf-layers.ts).
const maxRel = { withPool: Object.fromEntries(BASE_PROXY_NAMES.map((p) => [p, 0])), withoutPool: Object.fromEntries(BASE_PROXY_NAMES.map((p) => [p, 0])) };
const cellsWith = { withPool: 0, withoutPool: 0 };
cells.forEach((e, i) => {
  const arch = space.build(e);
  const order = (i % 2 === 0 ? ['reference', 'current'] : ['current', 'reference']) as ('reference' | 'current')[];
  const scores: Record<string, Record<string, number>> = {};
  for (const which of order) {
    const c = process.cpuUsage();
    const t = performance.now();
    scores[which] = scorers[which].score(arch, BASE_PROXY_NAMES);
    wall[which].push(performance.now() - t);
    const u = process.cpuUsage(c);
    cpu[which].push((u.user + u.system) / 1000);
  }
  const group = arch.name.includes('avg_pool') ? 'withPool' : 'withoutPool';
  cellsWith[group]++;
  for (const p of BASE_PROXY_NAMES) {
    const a = scores.reference[p];
    const b = scores.current[p];
    maxRel[group][p] = Math.max(maxRel[group][p], a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));
  }
  process.stderr.write(`${i + 1}/${n} cells\n`);
});
const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
console.log(`# All six proxies, one net per cell: reference (${values.reference}) against current, ${n} cells (seed ${seed}), ${resolution} px, data ${values.data}\n`);
console.log(`load average at start: ${startLoad}, at end: ${loadavg()}\n`);
console.log('| code | CPU s/cell (mean) | CPU s/cell (median) | wall s/cell (mean) |');
console.log('|---|---|---|---|');
for (const k of ['reference', 'current'] as const)
  console.log(`| ${k} | ${(sum(cpu[k]) / n / 1000).toFixed(3)} | ${(median(cpu[k]) / 1000).toFixed(3)} | ${(sum(wall[k]) / n / 1000).toFixed(3)} |`);
console.log(`\nspeed-up (reference / current, total over the cells): CPU ${(sum(cpu.reference) / sum(cpu.current)).toFixed(2)}×, wall ${(sum(wall.reference) / sum(wall.current)).toFixed(2)}×\n`);
for (const g of ['withoutPool', 'withPool'] as const)
  console.log(`largest relative score difference per proxy, ${cellsWith[g]} cells ${g === 'withPool' ? 'with' : 'without'} an avg_pool_3x3 edge: ${BASE_PROXY_NAMES.map((p) => `${p} ${maxRel[g][p].toExponential(1)}`).join(', ')}`);

const profiled = Math.min(Number(values.profile), n);
if (profiled > 0) {
  const tf = await loadTf('wasm');
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const e of cells.slice(0, profiled)) {
    const info = await tf.profile(() => void scorers.current.score(space.build(e), BASE_PROXY_NAMES));
    for (const k of info.kernels) {
      const a = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
      a.ms += k.kernelTimeMs as number;
      a.calls++;
      byKernel.set(k.name, a);
    }
  }
  const total = [...byKernel.values()].reduce((a, b) => a + b.ms, 0);
  console.log(`\ncurrent code per tfjs kernel, ${profiled} cells (load average now ${loadavg()}): ${(total / profiled / 1000).toFixed(2)} s of kernel time per cell\n`);
  console.log('| kernel | share | calls per cell |');
  console.log('|---|---|---|');
  for (const [k, a] of [...byKernel.entries()].sort((x, y) => y[1].ms - x[1].ms).slice(0, 12))
    console.log(`| ${k} | ${((100 * a.ms) / total).toFixed(1)}% | ${Math.round(a.calls / profiled)} |`);
}
for (const s of Object.values(scorers)) s.dispose();
