/**
 * Does what runs on the other CPU slow a net timed on this one? The measuring thread is pinned to one CPU
 * (its other threads apart, devices/pin.ts), a co-runner process to another, and each measurement of a
 * kept session of each net runs beside one co-runner kind, the kinds shuffled in every block:
 *
 *   spin    a register-only loop (the speed probe's kernel): the other CPU busy, no memory traffic
 *   stream  sums over a 256 MiB array: the other CPU busy streaming memory (what a type-check, a test run or
 *           V8's concurrent garbage collector does to the caches and the memory bus)
 *   ort     onnxruntime running a small conv whose data stays in the core's own caches: the other CPU busy
 *           with the same vector units the measured kernels use (if the two vCPUs are hyperthreads of one
 *           host core, this is what slows the measured net most; if they are separate cores, hardly at all)
 *   none    the co-runner idle: on a quiet machine the other CPU is idle; on a loaded one other jobs run there
 *
 * Both processes can be given a higher priority (--nice N lowers their nice values by N; needs the
 * privilege) so that on a loaded machine the co-runner, not other jobs, is what runs on the other CPU.
 *
 *   node --import tsx bench/neighbour.ts --blocks 6 --nice 20
 */
import { fork } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const file = fileURLToPath(import.meta.url);
const KINDS = ['none', 'spin', 'stream', 'ort'];

if (process.argv.includes('--co-runner')) {
  // The child: runs the kind it was last told, in 5 ms slices so that messages get through.
  let kind = 'none';
  const big = new Float64Array((256 * 2 ** 20) / 8).fill(1);
  const ort = await import('onnxruntime-node');
  const { opModel } = await import('../export/model.js');
  const { instance } = await import('../src/core/ops.js');
  const { randomFeeds } = await import('../devices/ort-wasm/feeds.js');
  const conv = opModel(instance({ kind: 'conv', cout: 64, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, 64, 16, 16]));
  const session = await ort.InferenceSession.create(conv.onnx, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
  const feeds = randomFeeds(ort.Tensor, conv) as Record<string, InstanceType<typeof ort.Tensor>>;
  let at = 0;
  let sink = 0;
  process.on('message', (m: string) => {
    kind = m;
    process.send!('ok');
  });
  process.on('disconnect', () => process.exit(0));
  const slice = async () => {
    const end = performance.now() + 5;
    if (kind === 'ort') {
      while (performance.now() < end) await session.run(feeds);
    } else if (kind === 'spin') {
      let a = 1.0001;
      while (performance.now() < end) for (let i = 0; i < 10_000; i++) a = a * 0.9999999 + 1e-7;
      sink += a;
    } else if (kind === 'stream') {
      while (performance.now() < end) {
        let s = 0;
        const stop = Math.min(big.length, at + 262_144);
        for (let i = at; i < stop; i += 8) s += big[i];
        at = stop === big.length ? 0 : stop;
        sink += s;
      }
    }
    if (sink === -1) console.log(sink);
    setTimeout(() => void slice(), kind === 'none' ? 5 : 0);
  };
  process.send!('ready');
  void slice();
} else {
  const { default: yargs } = await import('yargs');
  const args = await yargs(process.argv.slice(2))
    .option('blocks', { type: 'number', default: 6 })
    .option('runs', { type: 'number', default: 60 })
    .option('nice', { type: 'number', default: 0 })
    .option('measure-cpu', { type: 'number', default: 0 })
    .option('other-cpu', { type: 'number', default: 1 })
    .option('nets', { type: 'string', default: 'MobileNetV2-1.0,proxyless_cpu' })
    .option('resolution', { type: 'number', default: 128 })
    .option('out', { type: 'string', default: 'out/bench/neighbour.json' })
    .strict()
    .parse();
  const { pinMeasuringThread } = await import('../devices/pin.js');
  const { ortCpuSessionOptions } = await import('../devices/ort-cpu/index.js');
  const { timedBytes } = await import('../devices/ort-outputs.js');
  const { randomFeeds } = await import('../devices/ort-wasm/feeds.js');
  const { networkModel } = await import('../export/model.js');
  const { loadPublishedNets } = await import('../src/spaces/published.js');
  const { currentCpu } = await import('../devices/affinity.js');
  const { Rng } = await import('../src/core/rng.js');
  const ort = await import('onnxruntime-node');

  const placement = pinMeasuringThread(String(args.measureCpu));
  if (args.nice) os.setPriority(0, Math.max(-20, os.getPriority(0) - args.nice));
  // Linux groups tasks by session (autogroup) and shares the CPU between groups first: a nice value acts inside
  // the group only, so the group's own is lowered too (run this under `setsid` so that the group is this run's).
  if (args.nice && existsSync('/proc/self/autogroup')) writeFileSync('/proc/self/autogroup', String(-Math.min(20, args.nice)));
  const child = fork(file, ['--co-runner'], { execPath: 'taskset', execArgv: ['-c', String(args.otherCpu), process.execPath, ...process.execArgv] });
  await new Promise((r) => child.once('message', r));
  if (args.nice) os.setPriority(child.pid!, Math.max(-20, os.getPriority(child.pid!) - args.nice));
  const tell = (kind: string) => new Promise<void>((resolve) => { child.once('message', () => resolve()); child.send(kind); });

  const published = loadPublishedNets({ resolution: args.resolution }).nets;
  const sessionOptions = ortCpuSessionOptions({ threads: 1, graphOptimizationLevel: 'all' });
  const nets = [];
  for (const name of args.nets.split(',')) {
    const arch = published.find((a) => a.name === name);
    if (!arch) throw new Error(`no published net ${name}`);
    const model = networkModel(arch);
    const session = await ort.InferenceSession.create(await timedBytes(model.onnx, 'sliced'), sessionOptions);
    const feeds = randomFeeds(ort.Tensor, model) as Record<string, InstanceType<typeof ort.Tensor>>;
    for (let i = 0; i < 10; i++) await session.run(feeds);
    nets.push({ name, session, feeds });
  }
  const load1 = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  const rng = new Rng(0);
  const rows: { block: number; net: string; kind: string; p10: number; median: number; min: number; load1: number; cpu?: number }[] = [];
  console.log(`measuring on CPU ${placement?.measuring.join(',')} (helpers ${placement?.helpers?.join(',') ?? placement?.shared}), co-runner on CPU ${args.otherCpu}; nice ${os.getPriority(0)}; load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  for (let block = 0; block < args.blocks; block++) {
    const jobs = nets.flatMap((n) => KINDS.map((kind) => ({ n, kind })));
    for (let i = jobs.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [jobs[i], jobs[j]] = [jobs[j], jobs[i]];
    }
    for (const { n, kind } of jobs) {
      await tell(kind);
      await sleep(50);
      for (let i = 0; i < 5; i++) await n.session.run(n.feeds);
      const xs: number[] = [];
      for (let i = 0; i < args.runs; i++) {
        const t0 = performance.now();
        await n.session.run(n.feeds);
        xs.push(performance.now() - t0);
      }
      xs.sort((a, b) => a - b);
      rows.push({ block, net: n.name, kind, p10: xs[Math.floor(xs.length / 10)], median: xs[xs.length >> 1], min: xs[0], load1: load1(), cpu: currentCpu() });
    }
    await tell('none');
    console.log(`block ${block} load ${load1()}: ` + rows.filter((r) => r.block === block).map((r) => `${r.net.slice(0, 10)}/${r.kind} ${r.p10.toFixed(2)}`).join('  '));
  }
  child.disconnect();
  mkdirSync(path.dirname(args.out), { recursive: true });
  writeFileSync(args.out, JSON.stringify({ args, placement, rows }, null, 1));
  const gmean = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
  console.log('\n| net | statistic | none / spin | stream / spin | ort / spin | spin ms |');
  console.log('|---|---|---|---|---|---|');
  for (const n of nets)
    for (const stat of ['min', 'p10', 'median'] as const) {
      const by = (kind: string) => gmean(rows.filter((r) => r.net === n.name && r.kind === kind).map((r) => r[stat]));
      console.log(`| ${n.name} | ${stat} | ${(by('none') / by('spin')).toFixed(3)} | ${(by('stream') / by('spin')).toFixed(3)} | ${(by('ort') / by('spin')).toFixed(3)} | ${by('spin').toFixed(3)} |`);
    }
  console.log(`load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  for (const n of nets) await n.session.release();
}
