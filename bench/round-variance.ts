/**
 * Why does a whole net's round median move by 50–100% between rounds on ort-cpu? Separates what differs
 * between two rounds of the rounds protocol (devices/rounds.ts), measured in the same blocks so that the
 * machine's state over time cancels out of the comparison:
 *
 *   kept     S sessions per net created once and kept: their block-to-block movement is the machine's
 *            state over time (and the estimate's own noise); between them, per-session luck at creation
 *   cached   a fresh session per block from the same timed bytes (created, warmed, timed, released)
 *   device   a fresh round through device.time(), exactly as a round of the protocol times it (the
 *            outputs rewrite of the bytes every round, a fresh session, released after)
 *   rebuilt  the same, of a model exported anew for the round (what the protocol does for a net its model
 *            cache had no room for: devices/model-cache.ts)
 *
 * With --churn N, a random half of the measurements is preceded by N LUT entries' rounds (device.time on
 * one-op models of the mbv2 space), as interleaving nets with entries does; the flag is recorded.
 * Every measurement records its window's scheduler figures of the measuring thread (/proc/thread-self:
 * time runnable but waiting, migrations, involuntary switches), the CPU at start and end, V8's GC
 * pauses, the speed probe after it, and the load.
 *
 *   node --import tsx bench/round-variance.ts --blocks 8 --runs 40 --sessions 3 --churn 20
 *   node --import tsx bench/round-variance.ts --report out/bench/round-variance.json
 *
 * --nice N lowers the measuring thread's nice value by N (os.setPriority on the main thread only; needs
 * the privilege): on a loaded machine it keeps the other jobs' time slices off the measured runs, which
 * is what lets this experiment say anything there. Linux only (reads /proc).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import yargs from 'yargs';
import type * as Ort from 'onnxruntime-node';
import { currentCpu, setThreadAffinity, usableCpus } from '../devices/affinity.js';
import { ortCpuSessionOptions } from '../devices/ort-cpu/index.js';
import { timedBytes } from '../devices/ort-outputs.js';
import { randomFeeds } from '../devices/ort-wasm/feeds.js';
import { resolveDevice } from '../devices/registry.js';
import { speedProbe } from '../devices/speed-probe.js';
import type { ModelUnderTest, TimingProtocol } from '../devices/types.js';
import { networkModel, opModel } from '../export/model.js';
import { instance } from '../src/core/ops.js';
import { Rng } from '../src/core/rng.js';
import { loadPublishedNets } from '../src/spaces/published.js';
import { createSpace } from '../src/spaces/registry.js';
import { measureOwnLayout } from '../src/profile/own-layout.js';

const args = await yargs(process.argv.slice(2))
  .option('blocks', { type: 'number', default: 8 })
  .option('runs', { type: 'number', default: 40, describe: 'timed runs per measurement' })
  .option('sessions', { type: 'number', default: 3, describe: 'kept sessions per net' })
  .option('nets', { type: 'string', default: 'MobileNetV2-1.0,proxyless_cpu,EfficientNet-B0', describe: 'published nets (comma-separated names), at --resolution' })
  .option('random', { type: 'number', default: 1, describe: 'random mbv2 nets besides' })
  .option('resolution', { type: 'number', default: 128 })
  .option('churn', { type: 'number', default: 0, describe: 'entry rounds before a random half of the measurements' })
  .option('churn-layout', { type: 'boolean', default: false, describe: 'each churn entry is first profiled for its own NCHWc reorders, as `nas profile` does before an entry\'s first round on ort-cpu at 1 thread (src/profile/own-layout.ts: a profiled session and an optimised-model session)' })
  .option('nice', { type: 'number', default: 0, describe: 'lower the measuring thread\'s nice value by this much (needs the privilege)' })
  .option('pin', { choices: ['none', 'alternate'] as const, default: 'none', describe: 'alternate: each measurement\'s thread pinned to a CPU drawn at random (recorded), the other threads left free' })
  .option('out', { type: 'string', default: 'out/bench/round-variance.json' })
  .option('report', { type: 'string', describe: 'only print the tables of an earlier run\'s JSON' })
  .strict()
  .parse();

type Series = `kept${number}` | 'cached' | 'device' | 'rebuilt';
interface Row {
  block: number;
  t: number;
  load1: number;
  net: string;
  series: Series;
  churn: boolean;
  median: number;
  p10: number;
  min: number;
  /** Median of the first 10 timed runs over the median of the last 10: > 1 when the measurement was still warming up. */
  warmRatio: number;
  /** Share of the window the measuring thread was runnable but not running (/proc/thread-self/schedstat). */
  waitShare: number;
  migrations: number;
  involuntary: number;
  cpuStart?: number;
  cpuEnd?: number;
  gcCount: number;
  gcMs: number;
  probeMs: number;
  /** The fastest of 15 runs of a fixed conv unit in its own kept session, right after the measurement: the runtime's kernel speed on this CPU now. */
  ortProbeMs: number;
  setupMs?: number;
  /** The CPU the measuring thread was pinned to (--pin alternate). */
  pin?: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => (xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1)) : 0);
const pct = (logRatio: number) => `${(100 * (Math.exp(logRatio) - 1)).toFixed(1)}%`;

function report(rows: Row[], stat: 'p10' | 'median' | 'min' = 'p10'): void {
  const nets = [...new Set(rows.map((r) => r.net))];
  const blocks = [...new Set(rows.map((r) => r.block))].sort((a, b) => a - b);
  console.log(`\n### ${stat} of each measurement; time = block effect of the kept sessions (max/min over blocks); residual = log(x) − the block's kept mean, SD over blocks (as %)\n`);
  console.log('| net | time: max/min | kept sessions: effects | kept residual SD | cached: offset, residual SD | device: offset, residual SD | rebuilt: offset, residual SD | device+rebuilt with churn / without (offset) | device round spread (max/min over blocks) |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const net of nets) {
    const of = (series: (s: Series) => boolean, b: number) => rows.filter((r) => r.net === net && r.block === b && series(r.series));
    const isKept = (s: Series) => s.startsWith('kept');
    const blockMean = new Map(blocks.map((b) => [b, mean(of(isKept, b).map((r) => Math.log(r[stat])))]));
    const time = [...blockMean.values()];
    const keptNames = [...new Set(rows.filter((r) => r.net === net && isKept(r.series)).map((r) => r.series))];
    const keptResid = keptNames.map((k) => blocks.flatMap((b) => of((s) => s === k, b).map((r) => Math.log(r[stat]) - blockMean.get(b)!)));
    const effects = keptResid.map(mean);
    const resid = (series: Series) => rows.filter((r) => r.net === net && r.series === series).map((r) => ({ r, d: Math.log(r[stat]) - blockMean.get(r.block)! }));
    const cached = resid('cached').map((x) => x.d);
    const device = resid('device');
    const rebuilt = resid('rebuilt').map((x) => x.d);
    const fresh = [...device, ...resid('rebuilt')];
    const churned = fresh.filter((x) => x.r.churn).map((x) => x.d);
    const plain = fresh.filter((x) => !x.r.churn).map((x) => x.d);
    const deviceXs = device.map((x) => x.r[stat]);
    console.log(
      `| ${net.slice(0, 28)} | ${(Math.max(...time) / Math.min(...time)).toFixed(2)}× | ${effects.map(pct).join(', ')} | ${pct(mean(keptResid.map(sd)))} | ${pct(mean(cached))}, ${pct(sd(cached))} | ${pct(mean(device.map((x) => x.d)))}, ${pct(sd(device.map((x) => x.d)))} | ${rebuilt.length ? `${pct(mean(rebuilt))}, ${pct(sd(rebuilt))}` : '–'} | ${churned.length && plain.length ? pct(mean(churned) - mean(plain)) : '–'} | ${(Math.max(...deviceXs) / Math.min(...deviceXs)).toFixed(2)}× |`,
    );
  }
  const pinned = rows.filter((r) => r.pin !== undefined);
  if (pinned.length) {
    // Per pinned CPU: kept sessions' log offset from their block's kept mean (same net), i.e. what the CPU adds.
    console.log('\n| pinned CPU | kept measurements | offset from the block mean | probe ms |');
    console.log('|---|---|---|---|');
    for (const cpu of [...new Set(pinned.map((r) => r.pin!))].sort()) {
      const ds = pinned.filter((r) => r.pin === cpu && r.series.startsWith('kept')).map((r) => {
        const same = rows.filter((x) => x.net === r.net && x.block === r.block && x.series.startsWith('kept'));
        return Math.log(r[stat]) - mean(same.map((x) => Math.log(x[stat])));
      });
      console.log(`| ${cpu} | ${ds.length} | ${pct(mean(ds))} | ${median(pinned.filter((r) => r.pin === cpu).map((r) => r.probeMs)).toFixed(4)} |`);
    }
  }
  // Does the conv probe taken right after a measurement move with it? Each measurement against its net's
  // median over the run, and the probe against its median over the run (log ratios), Pearson r.
  const xs: number[] = [];
  const ys: number[] = [];
  for (const net of nets) {
    const rs = rows.filter((r) => r.net === net && r.ortProbeMs > 0);
    const m = median(rs.map((r) => r[stat]));
    const pm = median(rows.map((r) => r.ortProbeMs));
    for (const r of rs) {
      xs.push(Math.log(r[stat] / m));
      ys.push(Math.log(r.ortProbeMs / pm));
    }
  }
  if (xs.length > 2) {
    const mx = mean(xs);
    const my = mean(ys);
    const cov = xs.reduce((acc, x, i) => acc + (x - mx) * (ys[i] - my), 0);
    const r = cov / Math.sqrt(xs.reduce((acc, x) => acc + (x - mx) ** 2, 0) * ys.reduce((acc, y) => acc + (y - my) ** 2, 0));
    console.log(`\neach measurement against the conv probe right after it (log ratios to their medians): Pearson r ${r.toFixed(3)} over ${xs.length}`);
  }
  const by = (series: (r: Row) => boolean) => rows.filter(series);
  const line = (label: string, rs: Row[]) =>
    rs.length &&
    console.log(
      `${label}: n ${rs.length}, wait share median ${(100 * median(rs.map((r) => r.waitShare))).toFixed(1)}%, migrations ${rs.filter((r) => r.migrations > 0).length}, GC pauses ${rs.reduce((s, r) => s + r.gcCount, 0)} (${rs.reduce((s, r) => s + r.gcMs, 0).toFixed(1)} ms), warm ratio median ${median(rs.map((r) => r.warmRatio)).toFixed(3)}, probe ${median(rs.map((r) => r.probeMs)).toFixed(4)} ms, ort probe ${median(rs.map((r) => r.ortProbeMs)).toFixed(4)} ms (p90 ${quantile(rs.map((r) => r.ortProbeMs), 0.9).toFixed(4)}), CPUs ${[...new Set(rs.map((r) => `${r.cpuStart}→${r.cpuEnd}`))].join(' ')}`,
    );
  console.log('');
  line('kept', by((r) => r.series.startsWith('kept')));
  line('cached', by((r) => r.series === 'cached'));
  line('device', by((r) => r.series === 'device'));
  line('rebuilt', by((r) => r.series === 'rebuilt'));
  console.log(`load1 ${Math.min(...rows.map((r) => r.load1))}–${Math.max(...rows.map((r) => r.load1))}`);
}
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
}
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : NaN;
}

if (args.report) {
  const rows = JSON.parse(readFileSync(args.report, 'utf8')).rows as Row[];
  for (const stat of ['p10', 'median', 'min'] as const) report(rows, stat);
  process.exit(0);
}

/** The measuring thread's scheduler counters (Linux). */
function sched(): { runNs: number; waitNs: number; migrations: number; involuntary: number } {
  const [runNs, waitNs] = readFileSync('/proc/thread-self/schedstat', 'utf8').trim().split(/\s+/).map(Number);
  const text = readFileSync('/proc/thread-self/sched', 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name.replace('.', '\\.')}\\s*:\\s*(\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  return { runNs, waitNs, migrations: field('se.nr_migrations'), involuntary: field('nr_involuntary_switches') };
}

let gcCount = 0;
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcCount++;
    gcMs += e.duration;
  }
}).observe({ entryTypes: ['gc'] });

if (args.nice) os.setPriority(0, Math.max(-20, os.getPriority(0) - args.nice));
// Linux groups tasks by session (autogroup) and shares the CPU between groups first: a nice value acts inside
// the group only, so the group's own is lowered too (run this under `setsid` so that the group is this run's).
if (args.nice && existsSync('/proc/self/autogroup')) writeFileSync('/proc/self/autogroup', String(-Math.min(20, args.nice)));
const cpus = usableCpus();
const load1 = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
const options = { threads: 1 };
const device = await resolveDevice('ort-cpu', options);
await device.init();
const ort = (await import('onnxruntime-node')) as typeof Ort;
const sessionOptions = ortCpuSessionOptions({ threads: 1, graphOptimizationLevel: 'all' });

const published = loadPublishedNets({ resolution: args.resolution }).nets;
const wanted = args.nets ? args.nets.split(',').filter(Boolean) : [];
// A name is a published net's full name or the start of exactly one (names such as "FBNet-C (timm, derived from paper)" hold a comma).
const publishedNamed = (n: string) => {
  const exact = published.find((a) => a.name === n);
  if (exact) return exact;
  const starts = published.filter((a) => a.name.startsWith(n));
  if (starts.length === 1) return starts[0];
  throw new Error(`no published net '${n}'${starts.length ? ` (ambiguous: ${starts.map((a) => a.name).join(', ')})` : ''} (have: ${published.map((a) => a.name).join(', ')})`);
};
const space = createSpace('mbv2', { resolution: args.resolution });
const rng = new Rng(0);
const archs = [...wanted.map(publishedNamed), ...Array.from({ length: args.random }, () => space.build(space.sample(rng)))];
const instances = space.allInstances();
const probeModel = opModel(instance({ kind: 'conv', cout: 64, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, 64, 16, 16]));
const probeSession = await ort.InferenceSession.create(await timedBytes(probeModel.onnx, 'sliced'), sessionOptions);
const probeFeeds = randomFeeds(ort.Tensor, probeModel) as Record<string, Ort.Tensor>;
async function ortProbe(): Promise<number> {
  const xs = await timeRuns(() => probeSession.run(probeFeeds), 16);
  return Math.min(...xs.slice(1));
}

interface Net {
  name: string;
  arch: (typeof archs)[number];
  model: ModelUnderTest;
  bytes: Uint8Array;
  feeds: Record<string, Ort.Tensor>;
  kept: Ort.InferenceSession[];
}
const nets: Net[] = [];
for (const arch of archs) {
  const model = networkModel(arch);
  const bytes = await timedBytes(model.onnx, 'sliced');
  const feeds = randomFeeds(ort.Tensor, model) as Record<string, Ort.Tensor>;
  const kept: Ort.InferenceSession[] = [];
  for (let s = 0; s < args.sessions; s++) {
    const session = await ort.InferenceSession.create(bytes, sessionOptions);
    for (let i = 0; i < 10; i++) await session.run(feeds);
    kept.push(session);
  }
  nets.push({ name: arch.name, arch, model, bytes, feeds, kept });
}

/** n timed runs of `run`, as the harness times them (performance.now around each awaited run). */
async function timeRuns(run: () => Promise<unknown>, n: number): Promise<number[]> {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await run();
    out[i] = performance.now() - t0;
  }
  return out;
}

const fixed: TimingProtocol = { warmup: 10, minRepeats: args.runs, maxRepeats: args.runs, maxTimeMs: 1e9, targetCI: 1e-9 };
const churnProtocol: TimingProtocol = { warmup: 10, minRepeats: 7, maxRepeats: 400, maxTimeMs: 600, targetCI: 0.035 };

async function churn(): Promise<void> {
  for (let i = 0; i < args.churn; i++) {
    const unit = opModel(instances[rng.int(instances.length)]);
    if (args.churnLayout) await measureOwnLayout(unit);
    await device.time(unit, churnProtocol);
  }
}

const rows: Row[] = [];
const t0 = Date.now();
console.log(`nets: ${nets.map((n) => n.name).join(', ')}; ${args.sessions} kept sessions each; load ${readFileSync('/proc/loadavg', 'utf8').trim()}; nice ${os.getPriority(0)}`);
for (let block = 0; block < args.blocks; block++) {
  const jobs: { net: Net; series: Series }[] = nets.flatMap((net) => [...net.kept.map((_, k) => ({ net, series: `kept${k}` as Series })), { net, series: 'cached' as Series }, { net, series: 'device' as Series }, { net, series: 'rebuilt' as Series }]);
  for (let i = jobs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [jobs[i], jobs[j]] = [jobs[j], jobs[i]];
  }
  for (const { net, series } of jobs) {
    const withChurn = args.churn > 0 && rng.int(2) === 1;
    if (withChurn) await churn();
    const pin = args.pin === 'alternate' ? cpus[rng.int(cpus.length)] : undefined;
    if (pin !== undefined) setThreadAffinity([pin], process.pid);
    const s0 = sched();
    const g0 = { gcCount, gcMs };
    const cpuStart = currentCpu();
    const w0 = performance.now();
    let samples: number[];
    let setupMs: number | undefined;
    if (series === 'device' || series === 'rebuilt') {
      // The protocol's own round: its samples are not returned, so the figures come from its stats.
      const r = await device.time(series === 'device' ? net.model : networkModel(net.arch), fixed);
      samples = [];
      setupMs = r.setupMs;
      const s1 = sched();
      const wall = performance.now() - w0;
      rows.push({
        block, t: (Date.now() - t0) / 1000, load1: load1(), net: net.name, series, churn: withChurn,
        median: r.stats.median, p10: r.stats.p10, min: r.stats.min, warmRatio: NaN,
        waitShare: (s1.waitNs - s0.waitNs) / 1e6 / wall, migrations: s1.migrations - s0.migrations, involuntary: s1.involuntary - s0.involuntary,
        cpuStart, cpuEnd: currentCpu(), gcCount: gcCount - g0.gcCount, gcMs: gcMs - g0.gcMs, probeMs: speedProbe(5, 1).minMs, ortProbeMs: await ortProbe(), setupMs, pin,
      });
      continue;
    }
    let session: Ort.InferenceSession;
    if (series === 'cached') {
      const c0 = performance.now();
      session = await ort.InferenceSession.create(net.bytes, sessionOptions);
      setupMs = performance.now() - c0;
      await timeRuns(() => session.run(net.feeds), 10);
    } else {
      session = net.kept[Number(series.slice(4))];
      await timeRuns(() => session.run(net.feeds), 5);
    }
    samples = await timeRuns(() => session.run(net.feeds), args.runs);
    if (series === 'cached') await session.release();
    const s1 = sched();
    const wall = performance.now() - w0;
    const sorted = [...samples].sort((a, b) => a - b);
    rows.push({
      block, t: (Date.now() - t0) / 1000, load1: load1(), net: net.name, series, churn: withChurn,
      median: sorted[sorted.length >> 1], p10: sorted[Math.floor(sorted.length / 10)], min: sorted[0],
      warmRatio: median(samples.slice(0, 10)) / median(samples.slice(-10)),
      waitShare: (s1.waitNs - s0.waitNs) / 1e6 / wall, migrations: s1.migrations - s0.migrations, involuntary: s1.involuntary - s0.involuntary,
      cpuStart, cpuEnd: currentCpu(), gcCount: gcCount - g0.gcCount, gcMs: gcMs - g0.gcMs, probeMs: speedProbe(5, 1).minMs, ortProbeMs: await ortProbe(), setupMs, pin,
    });
  }
  const last = rows.filter((r) => r.block === block);
  console.log(`block ${block} t=${last[last.length - 1].t.toFixed(0)}s load ${load1()}: ` + nets.map((n) => `${n.name.slice(0, 12)} ` + last.filter((r) => r.net === n.name).map((r) => `${r.series[0]}${r.series.slice(4)} ${r.p10.toFixed(2)}`).join(' ')).join(' | '));
}
if (args.pin === 'alternate') setThreadAffinity(cpus, process.pid);
for (const n of nets) for (const s of n.kept) await s.release();
await probeSession.release();
await device.dispose();
mkdirSync(path.dirname(args.out), { recursive: true });
writeFileSync(args.out, JSON.stringify({ args, rows }, null, 1));
for (const stat of ['p10', 'median', 'min'] as const) report(rows, stat);
console.log(`${rows.length} measurements in ${((Date.now() - t0) / 1000).toFixed(0)} s → ${args.out}`);
