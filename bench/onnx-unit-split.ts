/**
 * Where a file's units, each timed alone, part from the whole file on ort-cpu or wasm, split per run into what
 * JavaScript adds around session.run (wall less the runtime's `model_run`: the inputs bound or copied in), what
 * the executor does between kernels (`model_run` less the kernels) and the kernels, for the overhead model, a
 * ladder of "feed" models (the overhead model at larger input shapes: a Slice of the input's first element, so
 * what feeding an input of that size costs a run), every distinct unit and the whole file. Models are timed as
 * the device times them (outputs sliced, devices/ort-outputs.ts), wall clock in blocks in a shuffled order over
 * several passes (as bench/onnx-unit-gap.ts), and profiled in sessions of their own (onnxruntime's profiler).
 *
 *   node --import tsx bench/onnx-unit-split.ts --device cpu --third-party cls --published MobileNetV2-1.0 --count 1
 *
 * Printed: the feed ladder (wall − overhead against input bytes, with its line), per file the plain sum
 * O + Σ (u − O) beside the file and the same sum less each unit's inputs' feed cost plus the file's own (on
 * ort-cpu both layout-corrected as src/onnx/layout.ts does), and per unit kind the three parts alone against
 * the unit's kernels inside the file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { linearRegression } from 'simple-statistics';
import { errorPct } from '../src/core/agreement.js';
import { Rng } from '../src/core/rng.js';
import { unitModel } from '../src/onnx/extract.js';
import { layoutModel, ownLayout, type LayoutUnit } from '../src/onnx/layout.js';
import { ortProfileTrace, wasmProfileTrace } from '../src/onnx/ort-profile.js';
import { ortVersion, renamedModelBytes } from '../src/onnx/partition.js';
import { partitionRuleFor, planOnnx, type OnnxPlan } from '../src/onnx/plan.js';
import { overheadModel } from '../export/model.js';
import { SLICED_SUFFIX, slicedOutputs } from '../devices/ort-outputs.js';
import { randomFeeds } from '../devices/ort-wasm/feeds.js';
import { benchFiles } from './onnx-files.js';
import { ortFlavour, type Session } from './ort-flavour.js';
import { blockTimes, loadavg, median, shuffledPasses } from './wall-blocks.js';

const args = await yargs(process.argv.slice(2))
  .option('device', { choices: ['cpu', 'wasm'] as const, default: 'cpu' as const })
  .option('resolution', { type: 'number', default: 64 })
  .option('published', { type: 'string', default: 'MobileNetV2-1.0', describe: 'comma-separated published nets ("" for none)' })
  .option('count', { type: 'number', default: 1, describe: 'random mbv2 nets (seed 0: the first nets of bench/onnx-fidelity.ts)' })
  .option('third-party', { type: 'string', default: 'cls', describe: 'det, rec, cls (PaddleOCR), oww (openWakeWord and its melspectrogram, --npm-dir)' })
  .option('npm-dir', { type: 'string', default: 'out/bench/npm-models' })
  .option('passes', { type: 'number', default: 5 })
  .option('block-ms', { type: 'number', default: 8 })
  .option('runs', { type: 'number', default: 30, describe: 'profiled runs per model (after --skip)' })
  .option('skip', { type: 'number', default: 3 })
  .option('out', { type: 'string', default: 'out/bench/onnx-unit-split' })
  .strict()
  .parse();

const wasm = args.device === 'wasm';
const { ort, sessionOptions } = await ortFlavour(args.device);
const us = (ms: number) => (ms * 1000).toFixed(2);

interface Split {
  /** JavaScript's wall per run in the profiled session, model_run, Σ kernels (the Slices of sliced outputs apart), those Slices. */
  wall: number;
  run: number;
  kernels: number;
  slices: number;
  /** NCHWc reorders among the kernels (ort-cpu), also in `kernels`. */
  reorders: number;
  byKernel: Map<string, number>;
}
interface Item {
  key: string;
  kind: 'overhead' | 'feed' | 'unit' | 'layout' | 'file';
  bytes: Uint8Array;
  inputs: { name: string; shape: number[] }[];
  session?: Session;
  feeds?: Record<string, unknown>;
  blocks: { min: number; med: number }[];
  split?: Split;
}

function splitOf(trace: string, wallMs: number[]): Split {
  type Ev = { cat: string; name: string; ts: number; dur: number; args?: { op_name?: string } };
  const events = JSON.parse(trace) as Ev[];
  const runs = events
    .filter((e) => e.cat === 'Session' && e.name === 'model_run')
    .sort((a, b) => a.ts - b.ts)
    .map((r) => ({ run: r.dur, start: r.ts, end: r.ts + r.dur, kernels: new Map<string, number>() }));
  const reorder = new Set<string>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    if (/^Reorder(Input|Output)$/.test(e.args?.op_name ?? '')) reorder.add(e.name.slice(0, -'_kernel_time'.length));
    const r = runs.find((x) => e.ts >= x.start && e.ts <= x.end);
    if (r) r.kernels.set(e.name.slice(0, -'_kernel_time'.length), (r.kernels.get(e.name.slice(0, -'_kernel_time'.length)) ?? 0) + e.dur);
  }
  const kept = runs.slice(args.skip);
  const names = new Set(kept.flatMap((r) => [...r.kernels.keys()]));
  const isSlice = (n: string) => n.includes(SLICED_SUFFIX);
  const sum = (r: (typeof kept)[number], f: (n: string) => boolean) => [...r.kernels].filter(([n]) => f(n)).reduce((t, [, d]) => t + d, 0);
  return {
    wall: median(wallMs.slice(args.skip)),
    run: median(kept.map((r) => r.run)) / 1000,
    kernels: median(kept.map((r) => sum(r, (n) => !isSlice(n)))) / 1000,
    slices: median(kept.map((r) => sum(r, isSlice))) / 1000,
    reorders: median(kept.map((r) => sum(r, (n) => reorder.has(n)))) / 1000,
    byKernel: new Map([...names].map((n) => [n, median(kept.map((r) => r.kernels.get(n) ?? 0)) / 1000])),
  };
}

async function profileItem(it: Item, level: OnnxPlan['level']): Promise<void> {
  const bytes = await slicedOutputs(it.bytes);
  const n = args.runs + args.skip;
  const { trace, wallMs } = wasm ? await wasmProfileTrace(bytes, it.inputs, level, n, 'uniform') : await ortProfileTrace(bytes, it.inputs, level, n, 'uniform');
  it.split = splitOf(trace, wallMs);
}

async function open(it: Item): Promise<void> {
  it.session = await ort.InferenceSession.create(await slicedOutputs(it.bytes), sessionOptions);
  it.feeds = randomFeeds(ort.Tensor, { key: it.key, onnx: it.bytes, inputs: it.inputs, ops: [] }) as Record<string, unknown>;
}

async function block(it: Item): Promise<void> {
  const times = await blockTimes(() => it.session!.run(it.feeds!), args.blockMs);
  it.blocks.push({ min: Math.min(...times), med: median(times) });
}

mkdirSync(args.out, { recursive: true });
const files = benchFiles({ resolution: args.resolution, published: args.published, count: args.count, thirdParty: args.thirdParty, npmDir: args.npmDir, out: args.out });

const load0 = loadavg();
const rule = partitionRuleFor(wasm ? 'wasm' : 'cpu');
const version = await ortVersion();
const items = new Map<string, Item>();
const add = (key: string, kind: Item['kind'], bytes: Uint8Array, inputs: { name: string; shape: number[] }[]) => {
  if (!items.has(key)) items.set(key, { key, kind, bytes, inputs, blocks: [] });
  return items.get(key)!;
};
const overhead = add('overhead', 'overhead', overheadModel([1, 1, 1, 1]).onnx, [{ name: 'input', shape: [1, 1, 1, 1] }]);
// The feed ladder: what binding (ort-cpu) or copying into the wasm heap (wasm) an input of n floats costs a run.
const LADDER = [256, 1024, 4096, 16384, 38400, 65536, 147456, 262144];
for (const n of LADDER) add(`feed:${n}`, 'feed', overheadModel([1, 1, 1, n]).onnx, [{ name: 'input', shape: [1, 1, 1, n] }]);
const layoutItem = async (l: LayoutUnit) => {
  const m = await layoutModel(l);
  return add(l.key, 'layout', m.onnx, m.inputs);
};
const plans: { name: string; plan: OnnxPlan; file: Item; own: Map<string, string[]> }[] = [];
for (const f of files) {
  const plan = await planOnnx(f.file, { inputShapes: f.inputShapes, ...rule });
  const own = new Map<string, string[]>();
  for (const u of plan.units) {
    if (u.unsupported || items.has(u.key)) continue;
    const m = unitModel(plan.graph, u.unit);
    add(u.key, 'unit', m.onnx, m.inputs);
    if (plan.nchwc) {
      const ls = await ownLayout(m.onnx, plan.level, (t) => plan.graph.tensors.get(t)?.shape, version);
      own.set(u.key, ls.map((l) => l.key));
      for (const l of ls) await layoutItem(l);
    }
  }
  for (const l of plan.layout) await layoutItem(l);
  const file = add(`file:${f.name}`, 'file', renamedModelBytes(plan.graph), plan.graph.inputs);
  plans.push({ name: f.name, plan, file, own });
}
const all = [...items.values()];
process.stderr.write(`${files.length} files, ${all.length} models; load ${loadavg()}\n`);

// Profiled, each in its own session (before the wall-clock sessions are opened).
for (const it of all) await profileItem(it, rule.level);
process.stderr.write(`profiled; load ${loadavg()}\n`);
const loadProfiled = loadavg();
for (const it of all) await open(it);
await shuffledPasses(all, args.passes, new Rng(1), block);
for (const it of all) await it.session!.release();
const load1 = loadavg();

const wall = (it: Item) => median(it.blocks.map((b) => b.med));
const O = wall(overhead);
const js = (it: Item) => it.split!.wall - it.split!.run;
const exec = (it: Item) => it.split!.run - it.split!.kernels - it.split!.slices;
const lines: string[] = [
  `device ${args.device} (1 thread, level ${rule.level}, outputs sliced): wall = median of ${args.passes} blocks' medians (~${args.blockMs} ms each, shuffled); split = ${args.runs} profiled runs after ${args.skip}, medians`,
  `load: start ${load0}; after profiling ${loadProfiled}; end ${load1}`,
  `overhead model: wall ${us(O)} µs; profiled: JS ${us(js(overhead))}, executor ${us(exec(overhead))}, Slice ${us(overhead.split!.slices)} µs`,
  '',
  '| feed model (input floats) | input KB | wall − O µs | JS − O\'s µs | executor − O\'s µs | Slice − O\'s µs |',
  '|---|---|---|---|---|---|',
];
const feeds = all.filter((i) => i.kind === 'feed');
for (const f of feeds) {
  const n = f.inputs[0].shape[3];
  lines.push(`| ${n} | ${((4 * n) / 1024).toFixed(1)} | ${us(wall(f) - O)} | ${us(js(f) - js(overhead))} | ${us(exec(f) - exec(overhead))} | ${us(f.split!.slices - overhead.split!.slices)} |`);
}
const line = linearRegression(feeds.map((f) => [4 * f.inputs[0].shape[3], wall(f) - O]));
lines.push(`feed line (wall − O against input bytes): ${us(line.b)} µs + ${(line.m * 1e3 * 1024 * 1024).toFixed(2)} µs per MiB`);
const feedMs = (bytes: number) => Math.max(0, line.m * bytes);
const inputBytes = (shapes: number[][]) => shapes.reduce((t, s) => t + 4 * s.reduce((a, b) => a * b, 1), 0);

lines.push('', '| file | units | file wall ms | plain O + Σ(u − O) | error | less units\' feeds, plus the file\'s | error |' + (rule.nchwc ? ' layout-corrected | error | layout-corrected less feeds | error |' : ''), '|---|---|---|---|---|---|---|' + (rule.nchwc ? '---|---|---|---|' : ''));
const json: Record<string, unknown>[] = [];
for (const { name, plan, file, own } of plans) {
  const F = wall(file);
  const units = plan.units.filter((u) => items.has(u.key));
  const net = (k: string) => wall(items.get(k)!) - O;
  const plain = O + units.reduce((t, u) => t + net(u.key), 0);
  const unitFeeds = units.reduce((t, u) => t + feedMs(inputBytes(u.inputs)), 0);
  const fileFeed = feedMs(inputBytes(plan.graph.inputs.map((i) => i.shape)));
  const fed = plain - unitFeeds + fileFeed;
  let corrected = NaN;
  if (plan.nchwc)
    corrected =
      O +
      units.reduce((t, u) => {
        const v = Math.max(0, net(u.key));
        return t + v - Math.min(v, (own.get(u.key) ?? []).reduce((s, k) => s + Math.max(0, net(k)), 0));
      }, 0) +
      plan.layout.reduce((t, l) => t + Math.max(0, net(l.key)), 0);
  const pct = (x: number) => `${errorPct(x, F).toFixed(1)}%`;
  lines.push(
    `| ${name} | ${plan.units.length} | ${F.toFixed(4)} | ${plain.toFixed(4)} | ${pct(plain)} | ${fed.toFixed(4)} | ${pct(fed)} |` +
      (plan.nchwc ? ` ${corrected.toFixed(4)} | ${pct(corrected)} | ${(corrected - unitFeeds + fileFeed).toFixed(4)} | ${pct(corrected - unitFeeds + fileFeed)} |` : ''),
  );
  json.push({ file: name, units: plan.units.length, fileMs: F, plain, fed, corrected, unitFeeds, fileFeed, fileSplit: { js: js(file), exec: exec(file), kernels: file.split!.kernels } });
}

// Per file and unit kind: wall − O alone, its split alone (each less the overhead model's), its kernels in the file.
lines.push('', 'Per unit kind (Σ over the file\'s units; alone: each part less the overhead model\'s; file: the unit\'s kernels in the whole file\'s profile)', '');
lines.push('| file | kind | n | Σ wall − O µs | Σ JS − O\'s | Σ executor − O\'s | Σ kernels alone (own reorders apart) | Σ kernels in file | Σ feed line | input KB per unit |', '|---|---|---|---|---|---|---|---|---|---|');
const perUnit: Record<string, unknown>[] = [];
for (const { name, plan, file } of plans) {
  const kinds = new Map<string, { n: number; wall: number; js: number; exec: number; alone: number; inFile: number; feed: number; inKB: number }>();
  let fileJs = 0;
  for (const u of plan.units) {
    const it = items.get(u.key);
    if (!it) continue;
    const kind = `${u.ops.join('+')}${u.weightBytes ? ' (w)' : ''}`;
    const k = kinds.get(kind) ?? { n: 0, wall: 0, js: 0, exec: 0, alone: 0, inFile: 0, feed: 0, inKB: 0 };
    const names = [u.unit.kernel.name, ...(u.unit.also ?? []).map((a) => a.name)];
    const inFile = names.reduce((t, n) => t + (file.split!.byKernel.get(n) ?? NaN), 0);
    k.n++;
    k.wall += wall(it) - O;
    k.js += js(it) - js(overhead);
    fileJs += js(it) - js(overhead);
    k.exec += exec(it) - exec(overhead);
    k.alone += it.split!.kernels - it.split!.reorders;
    k.inFile += inFile;
    k.feed += feedMs(inputBytes(u.inputs));
    k.inKB += inputBytes(u.inputs) / 1024;
    kinds.set(kind, k);
    perUnit.push({ file: name, key: u.key, kind, inputBytes: inputBytes(u.inputs), wallNet: wall(it) - O, js: js(it) - js(overhead), exec: exec(it) - exec(overhead), kernelsAlone: it.split!.kernels, reordersAlone: it.split!.reorders, slices: it.split!.slices, kernelsInFile: inFile });
  }
  const rows = [...kinds].sort((a, b) => b[1].wall - a[1].wall);
  for (const [kind, k] of rows)
    lines.push(`| ${name} | ${kind} | ${k.n} | ${us(k.wall)} | ${us(k.js)} | ${us(k.exec)} | ${us(k.alone)} | ${us(k.inFile)} | ${us(k.feed)} | ${(k.inKB / k.n).toFixed(1)} |`);
  const t = [...kinds.values()].reduce((a, k) => ({ wall: a.wall + k.wall, exec: a.exec + k.exec, alone: a.alone + k.alone, inFile: a.inFile + k.inFile }), { wall: 0, exec: 0, alone: 0, inFile: 0 });
  lines.push(
    `| ${name} | **all** | ${plan.units.length} | ${us(t.wall)} | ${us(fileJs)} | ${us(t.exec)} | ${us(t.alone)} | ${us(t.inFile)} | | |`,
    `| ${name} | whole file (wall ${us(wall(file))}) | | | JS ${us(js(file))} | executor ${us(exec(file))} | | kernels ${us(file.split!.kernels)}, of them its reorders ${us(file.split!.reorders)} | | |`,
  );
  const ownReorders = plan.units.reduce((t, u) => t + (items.get(u.key)?.split!.reorders ?? 0), 0);
  if (plan.nchwc) lines.push(`| ${name} | units' own reorders alone (not in the kernels column) | | | | | ${us(ownReorders)} | | | |`);
}
console.log(lines.join('\n'));
writeFileSync(
  path.join(args.out, `unit-split-${args.device}.json`),
  JSON.stringify({ args, load: [load0, loadProfiled, load1], overheadMs: O, feedLine: line, feeds: feeds.map((f) => ({ floats: f.inputs[0].shape[3], wallNet: wall(f) - O, js: js(f) - js(overhead) })), files: json, perUnit }, null, 1),
);
