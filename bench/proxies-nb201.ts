/**
 * Zero-cost proxies against NAS-Bench-201: Kendall τ and Spearman ρ of every proxy (naswot, synflow,
 * jacob_cov, snip, grad_norm, fisher, and the vote of synflow/jacob_cov/snip) against the benchmark's
 * trained accuracy on CIFAR-10, CIFAR-100 and ImageNet16-120, over N random connected cells, with the
 * time per cell; then a latency-aware search (NSGA-II, table latency) driven by the best proxy against
 * one driven by NASWOT, scored by the hypervolume of the true accuracies of the front each returns.
 *
 *   node --import tsx bench/proxies-nb201.ts --n 1000 --seed 0 [--data fashion-mnist] [--resolution 16]
 *     [--batch B] [--init torch-default] [--proxies snip,grad_norm,fisher] [--skip K]
 *
 * --proxies scores only those (snip, grad_norm and fisher share one pass); --skip K leaves out the
 * first K cells of the sample (a held-out slice: cells K..N−1). bench/proxies-compare.ts compares the
 * ledgers of two settings on their common cells, with bootstrap intervals.
 *
 * Every proxy is computed on one net per cell (the same seeded weights), on the minibatch its evaluator
 * would use. The per-cell scores go to out/bench/proxies-nb201-<tag>.jsonl as they come, and a rerun
 * with the same flags resumes from there. Prints markdown and writes out/bench/proxies-nb201-<tag>.json.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { kendallTau, spearmanRho } from '../src/core/agreement.js';
import { Rng } from '../src/core/rng.js';
import { loadTf, proxyEvaluator, ProxyScorer } from '../src/evaluators/proxy/index.js';
import { PROXY_DATA, type ProxyData } from '../src/evaluators/proxy/input.js';
import { BASE_PROXY_NAMES, isBaseProxy, type BaseProxyName } from '../src/evaluators/proxy/scores.js';
import { PROXY_INITS, type ProxyInit } from '../src/evaluators/proxy/tf-net.js';
import { VOTE_MEMBERS, votePairAgreement, voteScore } from '../src/evaluators/proxy/vote.js';
import { loadNb201Table, NB201_DATASETS, NB201_DEVICES } from '../src/latency/nb201-data.js';
import { tableLatencySource } from '../src/latency/table.js';
import { hypervolume, paretoFront, type Objectives } from '../src/search/pareto.js';
import { createStrategy } from '../src/search/strategies/registry.js';
import type { AccuracyEvaluator } from '../src/search/types.js';
import { createNb201Space, nb201Connected } from '../src/spaces/nb201.js';

const args = await yargs(process.argv.slice(2))
  .option('n', { type: 'number', default: 1000, describe: 'random connected cells' })
  .option('seed', { type: 'number', default: 0, describe: 'seeds the sample, the weights and the minibatches' })
  .option('data', { type: 'string', default: 'normal', choices: PROXY_DATA, describe: 'minibatch of the data-driven proxies' })
  .option('data-dir', { type: 'string', describe: 'folder of the data set (CIFAR-10: required)' })
  .option('resolution', { type: 'number', default: 16, describe: 'proxy input side (NB201 nets take 32)' })
  .option('batch', { type: 'number', describe: 'minibatch of every data-driven proxy (default each proxy\'s own: naswot 16, others 64)' })
  .option('init', { type: 'string', default: 'kaiming-normal', choices: PROXY_INITS, describe: 'weight init of the scored nets' })
  .option('proxies', { type: 'string', describe: 'score only these, comma-separated (default: all six)' })
  .option('skip', { type: 'number', default: 0, describe: 'leave out the first K cells of the sample (score and correlate cells K..n-1)' })
  .option('device', { type: 'string', default: 'pixel3', choices: NB201_DEVICES, describe: 'latency of the search part' })
  .option('search-budget', { type: 'number', default: 100, describe: 'architectures each search scores (0 skips the search part)' })
  .option('search-seeds', { type: 'number', default: 1 })
  .option('search-first-seed', { type: 'number', default: 0, describe: 'the searches use seeds K..K+search-seeds-1 (to split seeds over processes)' })
  .option('search-proxies', { type: 'string', describe: 'proxies the searches compare, comma-separated (default: naswot and the best other proxy by CIFAR-10 τ)' })
  .option('time-each', { type: 'number', default: 10, describe: 'also time every proxy on its own (own net) on the first K cells' })
  .option('nb201-file', { type: 'string' })
  .option('out-dir', { type: 'string', default: 'out/bench' })
  .strict()
  .parse();

const table = loadNb201Table(args.nb201File);
const space = createNb201Space();
const init = args.init as ProxyInit;
const scored: BaseProxyName[] = args.proxies ? args.proxies.split(',').map((p) => {
  if (!isBaseProxy(p)) throw new Error(`--proxies: unknown proxy '${p}' (known: ${BASE_PROXY_NAMES.join(', ')})`);
  return p;
}) : [...BASE_PROXY_NAMES];
// A ledger holds one setting; a subset of proxies gets a ledger of its own, so no row lacks a score.
const tag = `${args.data}-r${args.resolution}${args.batch ? `-b${args.batch}` : ''}${init === 'kaiming-normal' ? '' : `-${init}`}${args.proxies ? `-${scored.join('+')}` : ''}-s${args.seed}`;
mkdirSync(args.outDir, { recursive: true });
const ledger = path.join(args.outDir, `proxies-nb201-${tag}.jsonl`);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

// The sample: N distinct connected cells, seeded.
const rng = new Rng(args.seed);
const cells: number[][] = [];
const seen = new Set<string>();
while (cells.length < args.n) {
  const e = space.sample(rng);
  const key = e.join(',');
  if (nb201Connected(e) && !seen.has(key)) {
    seen.add(key);
    cells.push(e);
  }
}

interface Row {
  cell: string;
  scores: Record<BaseProxyName, number>;
  ms: number;
}
const done = new Map<string, Row>();
if (existsSync(ledger))
  for (const line of readFileSync(ledger, 'utf8').split('\n'))
    if (line.trim()) {
      const r = JSON.parse(line) as Row;
      done.set(r.cell, r);
    }

const tf = await loadTf('wasm');
const scorer = new ProxyScorer(tf, { batch: args.batch, resolution: args.resolution, seed: args.seed, data: args.data as ProxyData, dataDir: args.dataDir, init });
console.log(`# Zero-cost proxies on NAS-Bench-201: cells ${args.skip}..${args.n - 1} of a sample of random connected cells (seed ${args.seed}), ${args.resolution} px, data ${args.data}, init ${init}\n`);
console.log(`load average at start: ${loadavg()}; ${done.size} cells already scored in ${ledger}\n`);
const t0 = performance.now();
let fresh = 0;
const chosen = cells.slice(args.skip);
for (const e of chosen) {
  const arch = space.build(e);
  if (done.has(arch.name)) continue;
  const t = performance.now();
  const scores = scorer.score(arch, scored) as Record<BaseProxyName, number>;
  const row: Row = { cell: arch.name, scores, ms: performance.now() - t };
  appendFileSync(ledger, JSON.stringify(row) + '\n');
  done.set(arch.name, row);
  fresh++;
  if (fresh % 25 === 0)
    process.stderr.write(`${fresh} cells scored (${chosen.length} chosen), ${((performance.now() - t0) / 1000 / fresh).toFixed(2)} s/cell this run, load ${loadavg()}\n`);
}
const rows = chosen.map((e) => done.get(space.build(e).name)!);
const inputs = scorer.inputs;
scorer.dispose();

// Vote: the Copeland count of the members' pairwise majority votes over the sample.
const withVote = VOTE_MEMBERS.every((m) => scored.includes(m));
const members = withVote ? rows.map((r) => VOTE_MEMBERS.map((m) => r.scores[m])) : [];
const vote = members.map((m, i) => voteScore(m, members, i));
type Column = BaseProxyName | 'vote';
const proxies: Column[] = [...scored, ...(withVote ? (['vote'] as const) : [])];
const scoreOf = (p: Column, i: number) => (p === 'vote' ? vote[i] : rows[i].scores[p]);
const nonFinite = Object.fromEntries(scored.map((p) => [p, rows.filter((r) => !Number.isFinite(r.scores[p])).length]));

const ms = rows.map((r) => r.ms).sort((a, b) => a - b);
console.log(`time per cell (${scored.length === BASE_PROXY_NAMES.length ? 'all six proxies' : scored.join(', ')} on one net): median ${(ms[ms.length >> 1] / 1000).toFixed(2)} s, mean ${(ms.reduce((a, b) => a + b, 0) / ms.length / 1000).toFixed(2)} s, max ${(ms[ms.length - 1] / 1000).toFixed(2)} s over ${rows.length} cells (${fresh} scored in this run, load average now ${loadavg()})\n`);
console.log('inputs:');
for (const p of scored) console.log(`- ${p}: ${inputs[p] ?? '(from the ledger of an earlier run)'}`);
console.log('');

// Each proxy on its own (as its evaluator runs it: a fresh net per cell), on the first K cells.
const eachMs: Record<string, number> = {};
if (args.timeEach > 0) {
  const k = Math.min(args.timeEach, chosen.length);
  const solo = new ProxyScorer(tf, { batch: args.batch, resolution: args.resolution, seed: args.seed, data: args.data as ProxyData, dataDir: args.dataDir, init });
  solo.score(space.build(chosen[0]), BASE_PROXY_NAMES); // warm-up: kernels, minibatches
  for (const p of BASE_PROXY_NAMES) {
    const t = performance.now();
    for (const e of chosen.slice(0, k)) solo.score(space.build(e), [p]);
    eachMs[p] = (performance.now() - t) / k;
  }
  solo.dispose();
  console.log(`time per cell of each proxy alone, mean over the first ${k} cells (load average now ${loadavg()}):\n`);
  console.log(`| ${BASE_PROXY_NAMES.join(' | ')} |`);
  console.log(`|${BASE_PROXY_NAMES.map(() => '---').join('|')}|`);
  console.log(`| ${BASE_PROXY_NAMES.map((p) => `${(eachMs[p] / 1000).toFixed(2)} s`).join(' | ')} |\n`);
}

const correlations: Record<string, Record<string, { tau: number; rho: number }>> = {};
console.log(`| proxy | ${NB201_DATASETS.map((d) => `${d} τ | ${d} ρ`).join(' | ')} |`);
console.log(`|---|${NB201_DATASETS.map(() => '---|---').join('|')}|`);
for (const p of proxies) {
  const x = rows.map((_, i) => scoreOf(p, i));
  correlations[p] = {};
  const cellsOut: string[] = [];
  for (const d of NB201_DATASETS) {
    const y = rows.map((r) => table.byArch.get(r.cell)!.acc[d]);
    const c = { tau: kendallTau(x, y), rho: spearmanRho(x, y) };
    correlations[p][d] = c;
    cellsOut.push(`${c.tau.toFixed(3)} | ${c.rho.toFixed(3)}`);
  }
  console.log(`| ${p} | ${cellsOut.join(' | ')} |`);
}
if (Object.values(nonFinite).some((v) => v > 0)) console.log(`\nnon-finite scores: ${JSON.stringify(nonFinite)}`);
// The vote's figure as the paper computes it (share of pairs the majority orders as the accuracy does), not a ρ.
const voteAgreement: Record<string, number> = {};
if (withVote) {
  for (const d of NB201_DATASETS) voteAgreement[d] = votePairAgreement(members, rows.map((r) => table.byArch.get(r.cell)!.acc[d]));
  console.log(`\nvote, share of ordered pairs the majority vote orders as the accuracy (the paper's vote figure, 0.82 on CIFAR-10): ${NB201_DATASETS.map((d) => `${d} ${voteAgreement[d].toFixed(3)}`).join(', ')}`);
}

const out: Record<string, unknown> = { n: args.n, skip: args.skip, seed: args.seed, data: args.data, resolution: args.resolution, batch: args.batch ?? null, init, scored, inputs, correlations, voteAgreement, nonFinite, msPerCell: { median: ms[ms.length >> 1], max: ms[ms.length - 1] }, msEachAlone: eachMs };

// Search: the best proxy on CIFAR-10 against NASWOT, NSGA-II on table latency.
if (args.searchBudget > 0) {
  const best = proxies.filter((p) => p !== 'naswot').reduce((a, b) => (correlations[b].cifar10.tau > correlations[a].cifar10.tau ? b : a));
  const latency = tableLatencySource({ device: args.device, file: args.nb201File });
  const objectives = (cell: string, lat: number): Objectives => ({ accuracy: table.byArch.get(cell)!.acc.cifar10, latencyMs: lat });
  const connected = table.records.filter((r) => r.connected);
  const all = connected.map((r) => ({ accuracy: r.acc.cifar10, latencyMs: r.lat[args.device as keyof typeof r.lat] }));
  const reference: Objectives = { accuracy: Math.min(...all.map((p) => p.accuracy)), latencyMs: Math.max(...all.map((p) => p.latencyMs)) };
  const trueHv = hypervolume(all, reference);
  console.log(`\n## Search: NSGA-II, ${args.searchBudget} proxy evaluations, ${args.device} latency (table), front scored by its true CIFAR-10 accuracy\n`);
  console.log('hypervolume of the returned front (true accuracy × table latency) as a share of the true front\'s; reference: worst connected cell\n');
  const searchSeeds = Array.from({ length: args.searchSeeds }, (_, i) => args.searchFirstSeed + i);
  console.log(`| proxy | ${searchSeeds.map((s) => `seed ${s}`).join(' | ')} | mean | wall s |`);
  console.log(`|---|${Array.from({ length: args.searchSeeds }, () => '---').join('|')}|---|---|`);
  const searches: Record<string, unknown>[] = [];
  const compared = (args.searchProxies ? args.searchProxies.split(',') : ['naswot', best]) as (typeof proxies)[number][];
  for (const p of compared) {
    const ev = proxyEvaluator({ proxy: p, resolution: args.resolution, batch: args.batch, seed: args.seed, data: args.data as ProxyData, dataDir: args.dataDir, space, init });
    // Cells of the sample are not scored again (same net, same batch, same score), except for vote, whose reference differs.
    const cached: AccuracyEvaluator = {
      id: ev.id,
      provenance: ev.provenance,
      evaluate: async (arch) => (p !== 'vote' && done.get(arch.name)?.scores[p] !== undefined ? done.get(arch.name)!.scores[p] : ev.evaluate(arch)),
    };
    const shares: number[] = [];
    const t = performance.now();
    for (const s of searchSeeds) {
      const r = await (await createStrategy('nsga2')).run({ space, latency, evaluator: cached, budget: args.searchBudget, seed: s });
      const front = paretoFront(r.front.map((c) => objectives(c.name, c.latency.ms)));
      shares.push(hypervolume(front, reference) / trueHv);
    }
    const wall = (performance.now() - t) / 1000;
    await ev.dispose?.();
    searches.push({ proxy: p, shares, wallS: wall });
    console.log(`| ${p} | ${shares.map((v) => `${(100 * v).toFixed(2)}%`).join(' | ')} | ${((100 * shares.reduce((a, b) => a + b, 0)) / shares.length).toFixed(2)}% | ${wall.toFixed(0)} |`);
  }
  out.search = { device: args.device, budget: args.searchBudget, seeds: searchSeeds, searches };
  if (!args.searchProxies) console.log(`\n(best proxy by CIFAR-10 τ other than naswot: ${best})`);
}

const file = path.join(args.outDir, `proxies-nb201-${tag}.json`);
writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
console.log(`\nload average at end: ${loadavg()}; written ${file}`);
