/**
 * Which reference model follows ort-cpu's drift best? On the development VM onnxruntime's vector kernels
 * run 1.16–1.42× slower for spells of seconds to tens of seconds (docs/benchmarks.md, issue 13). A reference
 * timed right before and after an item in the same process sees the same spell; scaled by it, the item's
 * figure should move less. This bench measures how much less, per candidate reference:
 *
 *   conv      the anchor of devices/anchor.ts (64→64 3×3 on 16×16: its data stays in a core's caches)
 *   mbconv32  an MBConv block, 24 channels ×6 on 32×32 (its expanded tensors ~0.6 MB each)
 *   mbconv56  the same block on 56×56 (~1.8 MB each: streams past L2, as the real entries' large blocks do)
 *   net64     a random mbv2 net at 64 px (every kind of block, small)
 *   conv#2, mbconv56#2   second sessions of the same bytes: their offset from the first is what a kept
 *             session's own luck adds (every process keeps its own reference session)
 *
 * Every candidate and every net lives in ONE session kept for the whole run. Each measurement is: a batch of
 * every candidate (shuffled), a batch of the net, a batch of every candidate again; the reference figure is
 * the geometric mean of its two batch medians. Over the run, per candidate: the spread of log(net) (each net
 * against its own median) before and after subtracting log(reference), the slope and r of one on the other,
 * and, over every pair of measurements of the same net, the share within ±5% / ±10% raw and scaled (what
 * self-agreement would be if a net's figure were one such batch).
 *
 *   setsid -w sh -c 'echo -20 > /proc/self/autogroup; exec node --import tsx bench/reference-tracking.ts --seconds 150'
 *   node --import tsx bench/reference-tracking.ts --report out/bench/reference-tracking.json
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import yargs from 'yargs';
import type * as Ort from 'onnxruntime-node';
import { ANCHOR_INSTANCE } from '../devices/anchor.js';
import { ortCpuSessionOptions } from '../devices/ort-cpu/index.js';
import { timedBytes } from '../devices/ort-outputs.js';
import { randomFeeds } from '../devices/ort-wasm/feeds.js';
import type { ModelUnderTest } from '../devices/types.js';
import { networkModel, opModel } from '../export/model.js';
import { instance } from '../src/core/ops.js';
import { Rng } from '../src/core/rng.js';
import { loadPublishedNets } from '../src/spaces/published.js';
import { createSpace } from '../src/spaces/registry.js';

const args = await yargs(process.argv.slice(2))
  .option('seconds', { type: 'number', default: 150 })
  .option('nets', { type: 'string', default: 'MobileNetV2-1.0,proxyless_cpu,EfficientNet-B0' })
  .option('random', { type: 'number', default: 2, describe: 'random mbv2 nets besides' })
  .option('resolution', { type: 'number', default: 128 })
  .option('threads', { type: 'number', default: 1 })
  .option('net-runs', { type: 'number', default: 10 })
  .option('ref-runs', { type: 'number', default: 5 })
  .option('out', { type: 'string', default: 'out/bench/reference-tracking.json' })
  .option('report', { type: 'string' })
  .strict()
  .parse();

interface Row {
  t: number;
  net: string;
  median: number;
  load1: number;
  /** Per candidate: its batch medians before and after the net's batch. */
  before: Record<string, number>;
  after: Record<string, number>;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: readonly number[]) => Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));

function report(rows: Row[], costs: Record<string, number> = {}): void {
  const nets = [...new Set(rows.map((r) => r.net))];
  const candidates = Object.keys(rows[0].before);
  const refOf = (r: Row, c: string) => Math.sqrt(r.before[c] * r.after[c]);
  const refMedian = Object.fromEntries(candidates.map((c) => [c, median(rows.map((r) => refOf(r, c)))]));
  const xs = new Map<Row, number>();
  for (const net of nets) {
    const rs = rows.filter((r) => r.net === net);
    const m = median(rs.map((r) => r.median));
    for (const r of rs) xs.set(r, Math.log(r.median / m));
  }
  const pairs = (f: (r: Row) => number, tol: number) => {
    let n = 0;
    let ok = 0;
    for (const net of nets) {
      const rs = rows.filter((r) => r.net === net);
      for (let i = 0; i < rs.length; i++)
        for (let j = i + 1; j < rs.length; j++) {
          n++;
          if (Math.abs(Math.exp(f(rs[i]) - f(rs[j])) - 1) <= tol) ok++;
        }
    }
    return (100 * ok) / n;
  };
  const x = rows.map((r) => xs.get(r)!);
  console.log(`\n${rows.length} measurements of ${nets.length} nets over ${rows[rows.length - 1].t.toFixed(0)} s; load1 ${Math.min(...rows.map((r) => r.load1))}–${Math.max(...rows.map((r) => r.load1))}`);
  console.log(`nets' own spread (SD of log net / its median): ${(100 * sd(x)).toFixed(1)}%; max/min per net: ${nets.map((n) => { const v = rows.filter((r) => r.net === n).map((r) => r.median); return `${n.slice(0, 14)} ${(Math.max(...v) / Math.min(...v)).toFixed(2)}×`; }).join(', ')}`);
  console.log('\n| reference | ms (median) | batch cost ms | ref max/min | slope | r | residual SD (raw SD ' + (100 * sd(x)).toFixed(1) + '%) | pairs ±5% raw → scaled | pairs ±10% raw → scaled |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const c of candidates) {
    const y = rows.map((r) => Math.log(refOf(r, c) / refMedian[c]));
    const my = mean(y);
    const mx = mean(x);
    const cov = x.reduce((s, xi, i) => s + (xi - mx) * (y[i] - my), 0);
    const vy = y.reduce((s, yi) => s + (yi - my) ** 2, 0);
    const vx = x.reduce((s, xi) => s + (xi - mx) ** 2, 0);
    const resid = x.map((xi, i) => xi - y[i]);
    const scaled = (r: Row) => xs.get(r)! - Math.log(refOf(r, c) / refMedian[c]);
    const raw = (r: Row) => xs.get(r)!;
    const refs = rows.map((r) => refOf(r, c));
    console.log(
      `| ${c} | ${refMedian[c].toFixed(4)} | ${costs[c]?.toFixed(2) ?? '–'} | ${(Math.max(...refs) / Math.min(...refs)).toFixed(2)}× | ${(cov / vy).toFixed(2)} | ${(cov / Math.sqrt(vx * vy)).toFixed(2)} | ${(100 * sd(resid)).toFixed(1)}% | ${pairs(raw, 0.05).toFixed(1)}% → ${pairs(scaled, 0.05).toFixed(1)}% | ${pairs(raw, 0.1).toFixed(1)}% → ${pairs(scaled, 0.1).toFixed(1)}% |`,
    );
  }
}

if (args.report) {
  const data = JSON.parse(readFileSync(args.report, 'utf8')) as { rows: Row[]; costs: Record<string, number> };
  report(data.rows, data.costs);
  process.exit(0);
}

const ort = (await import('onnxruntime-node')) as typeof Ort;
const sessionOptions = ortCpuSessionOptions({ threads: args.threads, graphOptimizationLevel: 'all' });
const load1 = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

interface Kept {
  name: string;
  session: Ort.InferenceSession;
  feeds: Record<string, Ort.Tensor>;
}
async function keep(name: string, model: ModelUnderTest): Promise<Kept> {
  const session = await ort.InferenceSession.create(await timedBytes(model.onnx, 'sliced'), sessionOptions);
  const feeds = randomFeeds(ort.Tensor, model) as Record<string, Ort.Tensor>;
  for (let i = 0; i < 10; i++) await session.run(feeds);
  return { name, session, feeds };
}
async function batch(k: Kept, n: number): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await k.session.run(k.feeds);
    out.push(performance.now() - t0);
  }
  return median(out);
}

const mbconv = (hw: number) => opModel(instance({ kind: 'mbconv', cout: 24, k: 3, stride: 1, expand: 6, se: 0, act: 'relu6', skip: true }, [1, 24, hw, hw]));
const small = createSpace('mbv2', { resolution: 64 });
const candidates = [
  await keep('conv', opModel(ANCHOR_INSTANCE)),
  await keep('mbconv32', mbconv(32)),
  await keep('mbconv56', mbconv(56)),
  await keep('net64', networkModel(small.build(small.sample(new Rng(7))))),
  // Second sessions of the same bytes: what a reference's own session adds (each process keeps its own).
  await keep('conv#2', opModel(ANCHOR_INSTANCE)),
  await keep('mbconv56#2', mbconv(56)),
];
const published = loadPublishedNets({ resolution: args.resolution }).nets;
const space = createSpace('mbv2', { resolution: args.resolution });
const rng = new Rng(0);
const archs = [
  ...args.nets.split(',').filter(Boolean).map((n) => published.find((a) => a.name === n) ?? (() => { throw new Error(`no published net '${n}'`); })()),
  ...Array.from({ length: args.random }, () => space.build(space.sample(rng))),
];
const nets: Kept[] = [];
for (const a of archs) nets.push(await keep(a.name, networkModel(a)));

const costs: Record<string, number> = {};
for (const c of candidates) {
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) await batch(c, args.refRuns);
  costs[c.name] = (performance.now() - t0) / 5;
}
console.log(`load ${readFileSync('/proc/loadavg', 'utf8').trim()}; reference batch cost (${args.refRuns} runs): ${Object.entries(costs).map(([k, v]) => `${k} ${v.toFixed(2)} ms`).join(', ')}`);

const shuffle = <T>(xs: T[]) => {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
};
const rows: Row[] = [];
const t0 = performance.now();
while (performance.now() - t0 < args.seconds * 1000) {
  for (const net of shuffle(nets)) {
    const before: Record<string, number> = {};
    const after: Record<string, number> = {};
    for (const c of shuffle(candidates)) before[c.name] = await batch(c, args.refRuns);
    const m = await batch(net, args.netRuns);
    for (const c of shuffle(candidates)) after[c.name] = await batch(c, args.refRuns);
    rows.push({ t: (performance.now() - t0) / 1000, net: net.name, median: m, load1: load1(), before, after });
  }
  const last = rows.slice(-nets.length);
  process.stderr.write(`t=${last[0].t.toFixed(0)}s load ${load1()} ${last.map((r) => `${r.net.slice(0, 10)} ${r.median.toFixed(2)}`).join(' ')} | conv ${last[0].before.conv.toFixed(4)} mbconv56 ${last[0].before.mbconv56.toFixed(3)}\n`);
}
for (const k of [...candidates, ...nets]) await k.session.release();
mkdirSync(path.dirname(args.out), { recursive: true });
writeFileSync(args.out, JSON.stringify({ args, costs, rows }, null, 1));
report(rows, costs);
console.log(`→ ${args.out}`);
