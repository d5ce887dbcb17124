/**
 * Search-quality benchmark on NAS-Bench-201: measured device latency (HW-NAS-Bench) against trained
 * accuracy (NATS-Bench), both looked up, so every strategy is scored against the true front.
 *
 *   node --import tsx bench/search-nb201.ts --device pixel3 --dataset cifar10 --seeds 10
 *
 * 1. Front: hypervolume of each strategy's front as a share of the true front's, after 100/300/1000
 *    queries (accuracy evaluations), mean and worst over the seeds, and the share of true-front
 *    points found. Reference point: the worst latency and the worst accuracy among connected cells.
 * 2. Latency-constrained: best accuracy found within a limit against the best that exists.
 * 3. Throughput: table-evaluated architectures per second, raw and inside a search.
 * Every registered strategy runs; one that fails (e.g. needs a target) is reported, not hidden.
 * Prints markdown and writes out/bench/search-nb201-<device>-<dataset>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { tableEvaluator } from '../src/evaluators/table.js';
import { loadNb201Table, NB201_DATASETS, NB201_DEVICES } from '../src/latency/nb201-data.js';
import { tableLatencySource } from '../src/latency/table.js';
import { hypervolume, paretoFront, type Objectives } from '../src/search/pareto.js';
import { createStrategy, STRATEGY_NAMES } from '../src/search/strategies/registry.js';
import type { SearchContext, SearchResult } from '../src/search/types.js';
import { allNb201Encodings, createNb201Space, nb201Connected } from '../src/spaces/nb201.js';

const args = await yargs(process.argv.slice(2))
  .option('device', { type: 'string', default: 'pixel3', choices: NB201_DEVICES })
  .option('dataset', { type: 'string', default: 'cifar10', choices: NB201_DATASETS })
  .option('seeds', { type: 'number', default: 10 })
  .option('budgets', { type: 'string', default: '100,300,1000', describe: 'queries per search, comma-separated' })
  .option('limits', { type: 'string', default: '2,4,6,10', describe: 'latency limits (ms) for the constrained runs' })
  .option('limit-budget', { type: 'number', default: 300, describe: 'queries per constrained run' })
  .option('strategies', { type: 'string', describe: 'comma-separated (default: every registered strategy)' })
  .option('nb201-file', { type: 'string' })
  .option('out-dir', { type: 'string', default: 'out/bench' })
  .strict()
  .parse();

const device = args.device;
const dataset = args.dataset;
const budgets = args.budgets.split(',').map(Number);
const limits = args.limits.split(',').map(Number);
const strategies = args.strategies ? args.strategies.split(',') : [...STRATEGY_NAMES];
const seeds = Array.from({ length: args.seeds }, (_, i) => i);

const table = loadNb201Table(args.nb201File);
const space = createNb201Space();
const latency = tableLatencySource({ device, file: args.nb201File });
const evaluator = tableEvaluator({ dataset, file: args.nb201File });
const objectives = (r: { acc: Record<string, number>; lat: Record<string, number> }): Objectives => ({
  accuracy: r.acc[dataset],
  latencyMs: r.lat[device],
});

// The truth: every connected cell.
const connected = table.records.filter((r) => r.connected);
const points = connected.map(objectives);
const reference: Objectives = { accuracy: Math.min(...points.map((p) => p.accuracy)), latencyMs: Math.max(...points.map((p) => p.latencyMs)) };
const trueFront = paretoFront(connected.map((r) => ({ ...objectives(r), arch: r.arch })));
const trueHv = hypervolume(points, reference);
const trueNames = new Set(trueFront.map((p) => p.arch));

async function search(name: string, ctx: Partial<SearchContext>): Promise<SearchResult> {
  return (await createStrategy(name)).run({ space, latency, evaluator, budget: 100, seed: 0, ...ctx });
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const pct = (v: number, digits = 2) => `${(100 * v).toFixed(digits)}%`;
const out: Record<string, unknown> = { device, dataset, seeds: args.seeds, reference, trueHv, trueFront: trueFront.length };

console.log(`# NAS-Bench-201 search benchmark: ${device} latency × ${dataset} accuracy\n`);
console.log(`${connected.length} connected cells; true front ${trueFront.length} points, hypervolume ${trueHv.toFixed(2)}`);
console.log(`reference point: accuracy ${reference.accuracy}% (worst connected cell), latency ${reference.latencyMs} ms (slowest connected cell); ${args.seeds} seeds\n`);

// 1. Front quality.
const frontRows: Record<string, unknown>[] = [];
console.log('## Front: hypervolume share of the true front (mean / worst over seeds), true-front points found (mean)\n');
console.log(`| strategy | ${budgets.map((b) => `${b} queries`).join(' | ')} |`);
console.log(`|---|${budgets.map(() => '---').join('|')}|`);
for (const name of strategies) {
  const cells: string[] = [];
  for (const budget of budgets) {
    try {
      const hv: number[] = [];
      const found: number[] = [];
      for (const seed of seeds) {
        const r = await search(name, { budget, seed });
        hv.push(hypervolume(r.history.map((c) => ({ accuracy: c.accuracy, latencyMs: c.latency.ms })), reference) / trueHv);
        found.push(r.history.filter((c) => trueNames.has(c.name)).length / trueNames.size);
      }
      frontRows.push({ strategy: name, budget, hvMean: mean(hv), hvWorst: Math.min(...hv), foundMean: mean(found) });
      cells.push(`${pct(mean(hv))} / ${pct(Math.min(...hv))}, ${pct(mean(found), 0)} found`);
    } catch (e) {
      frontRows.push({ strategy: name, budget, error: (e as Error).message });
      cells.push(`failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  console.log(`| ${name} | ${cells.join(' | ')} |`);
}
out.front = frontRows;

// 2. Latency-constrained.
const limitRows: Record<string, unknown>[] = [];
console.log(`\n## Latency-constrained: best accuracy within the limit after ${args.limitBudget} queries (mean over seeds; runs that found the best that exists)\n`);
console.log(`| limit | best that exists | ${strategies.join(' | ')} |`);
console.log(`|---|---|${strategies.map(() => '---').join('|')}|`);
for (const limit of limits) {
  const exists = Math.max(...points.filter((p) => p.latencyMs <= limit).map((p) => p.accuracy));
  const cells: string[] = [];
  for (const name of strategies) {
    try {
      const best: number[] = [];
      for (const seed of seeds) best.push((await search(name, { budget: args.limitBudget, seed, targetMs: limit })).best?.accuracy ?? NaN);
      const hits = best.filter((b) => b === exists).length;
      limitRows.push({ limit, strategy: name, exists, bestMean: mean(best), hits });
      cells.push(`${mean(best).toFixed(3)} (${hits}/${seeds.length})`);
    } catch (e) {
      limitRows.push({ limit, strategy: name, exists, error: (e as Error).message });
      cells.push(`failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  console.log(`| ${limit} ms | ${exists.toFixed(3)} | ${cells.join(' | ')} |`);
}
out.constrained = limitRows;

// 3. Throughput.
const encodings = allNb201Encodings().filter(nb201Connected);
let t0 = performance.now();
let n = 0;
let checksum = 0;
while (performance.now() - t0 < 1000) {
  for (const e of encodings) {
    const arch = space.build(e);
    checksum += latency.latency(arch).ms + (await evaluator.evaluate(arch));
  }
  n += encodings.length;
}
const rawRate = n / ((performance.now() - t0) / 1000);
t0 = performance.now();
const big = await search('random', { budget: 5000, seed: 0 });
const searchRate = big.history.length / ((performance.now() - t0) / 1000);
console.log(`\n## Throughput (table latency + table accuracy)\n`);
console.log(`| loop | architectures/s |`);
console.log(`|---|---|`);
console.log(`| build + latency + accuracy, every connected cell in turn | ${Math.round(rawRate).toLocaleString('en-US')} |`);
console.log(`| random search, ${big.history.length} distinct evaluations (sampling, dedup, ledger) | ${Math.round(searchRate).toLocaleString('en-US')} |`);
if (!Number.isFinite(checksum)) throw new Error('table lookups returned a non-number');
out.throughput = { raw: rawRate, search: searchRate };

mkdirSync(args.outDir, { recursive: true });
const file = path.join(args.outDir, `search-nb201-${device}-${dataset}.json`);
writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
console.log(`\nwritten ${file}`);
