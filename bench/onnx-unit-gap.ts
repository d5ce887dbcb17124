/**
 * Where the sum of an ONNX file's units, each timed alone, parts from the whole file: a controlled comparison
 * in one process, every model (the overhead model, each distinct unit, each NCHWc layout unit on ort-cpu, each
 * whole file) in its own open session, all timed in blocks in a shuffled order over several passes, so that
 * drift and load hit them alike. Each model is timed the way the device times it (outputs sliced,
 * devices/ort-outputs.ts). Per model: the fastest run over all blocks (min), the median of the block medians
 * (med) and the process CPU time per run (cpu, getrusage: what the runs consumed, whatever the queue).
 *
 *   node --import tsx bench/onnx-unit-gap.ts --device wasm --count 2 --passes 7
 *
 * Printed: the overhead model per pass (does the per-run cost drift, e.g. while V8 tiers the wasm code up?),
 * how many units run faster than the overhead model, and per file the plain sum
 * overhead + Σ (unit − overhead) by each clock against the file, with the overhead of the first pass (as a
 * LUT measured at its start would subtract) and of all passes; on ort-cpu also the layout-corrected sum
 * (each unit less its own reorders, plus the file's reorders: src/onnx/layout.ts). With --cold, the overhead
 * model is first timed in a fresh runtime, as a LUT's first measurement is.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { errorPct } from '../src/core/agreement.js';
import { Rng } from '../src/core/rng.js';
import { unitModel } from '../src/onnx/extract.js';
import { layoutModel, ownLayout, type LayoutUnit } from '../src/onnx/layout.js';
import { ortVersion, renamedModelBytes } from '../src/onnx/partition.js';
import { partitionRuleFor, planOnnx, type OnnxPlan } from '../src/onnx/plan.js';
import { overheadModel } from '../export/model.js';
import { slicedOutputs } from '../devices/ort-outputs.js';
import { randomFeeds } from '../devices/ort-wasm/feeds.js';
import { benchFiles } from './onnx-files.js';
import { ortFlavour, type Session } from './ort-flavour.js';
import { blockTimes, loadavg, median, shuffledPasses } from './wall-blocks.js';

const args = await yargs(process.argv.slice(2))
  .option('device', { choices: ['cpu', 'wasm'] as const, default: 'wasm' as const })
  .option('resolution', { type: 'number', default: 64 })
  .option('published', { type: 'string', default: 'MobileNetV2-1.0', describe: 'comma-separated published nets ("" for none)' })
  .option('count', { type: 'number', default: 2, describe: 'random mbv2 nets (seed 0: the first nets of bench/onnx-fidelity.ts)' })
  .option('passes', { type: 'number', default: 7 })
  .option('block-ms', { type: 'number', default: 8, describe: 'each block of runs of one model lasts about this long (at least 10 runs)' })
  .option('cold', { type: 'boolean', default: true, describe: 'time the overhead model first, in the fresh runtime, before anything else runs' })
  .option('out', { type: 'string', default: 'out/bench/onnx-unit-gap' })
  .strict()
  .parse();

const { ort, sessionOptions } = await ortFlavour(args.device);
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Item {
  key: string;
  kind: 'overhead' | 'unit' | 'layout' | 'file';
  session: Session;
  feeds: Record<string, unknown>;
  blocks: { min: number; med: number; cpu: number }[];
}

async function open(key: string, kind: Item['kind'], bytes: Uint8Array, inputs: { name: string; shape: number[] }[]): Promise<Item> {
  const session = await ort.InferenceSession.create(await slicedOutputs(bytes), sessionOptions);
  const feeds = randomFeeds(ort.Tensor, { key, onnx: bytes, inputs, ops: [] }) as Record<string, unknown>;
  return { key, kind, session, feeds, blocks: [] };
}

async function block(it: Item): Promise<void> {
  for (let i = 0; i < 2; i++) await it.session.run(it.feeds);
  const c0 = cpuNow();
  const times = await blockTimes(() => it.session.run(it.feeds), args.blockMs, 0);
  it.blocks.push({ min: Math.min(...times), med: median(times), cpu: (cpuNow() - c0) / times.length });
}

const load0 = loadavg();
const head: string[] = [`device ${args.device} (1 thread, level all, outputs sliced), ${args.passes} passes of ~${args.blockMs} ms blocks; load at start ${load0}`];

// The overhead model in the fresh runtime, as a LUT's first measurement sees it.
const overhead = await open('overhead', 'overhead', overheadModel([1, 1, 1, 1]).onnx, [{ name: 'input', shape: [1, 1, 1, 1] }]);
if (args.cold) {
  for (let b = 0; b < 5; b++) await block(overhead);
  head.push(`overhead model in the fresh runtime, 5 blocks: min ${overhead.blocks.map((b) => b.min.toFixed(4)).join(' ')} ms; med ${overhead.blocks.map((b) => b.med.toFixed(4)).join(' ')} ms`);
  overhead.blocks = [];
}

// Files: published nets and random mbv2 at --resolution, as bench/onnx-fidelity.ts writes them.
const outDir = args.out;
mkdirSync(outDir, { recursive: true });
const files = benchFiles({ resolution: args.resolution, published: args.published, count: args.count, out: outDir });

const openLayout = async (l: LayoutUnit) => {
  const m = await layoutModel(l);
  return open(l.key, 'layout', m.onnx, m.inputs);
};
const rule = partitionRuleFor(args.device);
const version = await ortVersion();
const items = new Map<string, Item>([['overhead', overhead]]);
const plans: { name: string; plan: OnnxPlan; file: Item; own: Map<string, string[]> }[] = [];
for (const f of files) {
  const plan = await planOnnx(f.file, rule);
  const own = new Map<string, string[]>();
  for (const u of plan.units) {
    if (items.has(u.key)) continue;
    const m = unitModel(plan.graph, u.unit);
    items.set(u.key, await open(u.key, 'unit', m.onnx, m.inputs));
    if (plan.nchwc) {
      const ls = await ownLayout(m.onnx, plan.level, (t) => plan.graph.tensors.get(t)?.shape, version);
      own.set(u.key, ls.map((l) => l.key));
      for (const l of ls) if (!items.has(l.key)) items.set(l.key, await openLayout(l));
    }
  }
  for (const l of plan.layout) if (!items.has(l.key)) items.set(l.key, await openLayout(l));
  const file = await open(`file:${f.name}`, 'file', renamedModelBytes(plan.graph), plan.graph.inputs);
  items.set(file.key, file);
  plans.push({ name: f.name, plan, file, own });
}
head.push(`${files.length} files, ${[...items.values()].filter((i) => i.kind === 'unit').length} distinct units, ${[...items.values()].filter((i) => i.kind === 'layout').length} layout units`);

const all = [...items.values()];
await shuffledPasses(all, args.passes, new Rng(1), block);
for (const it of all) await it.session.release();
const load1 = loadavg();

type Clock = 'min' | 'med' | 'cpu';
const CLOCKS: Clock[] = ['min', 'med', 'cpu'];
const est = (it: Item, c: Clock) => (c === 'min' ? Math.min(...it.blocks.map((b) => b.min)) : median(it.blocks.map((b) => b[c])));
const lines = [...head, `load at end ${load1}`, ''];
lines.push(`overhead model per pass (ms): min ${overhead.blocks.map((b) => b.min.toFixed(4)).join(' ')}; med ${overhead.blocks.map((b) => b.med.toFixed(4)).join(' ')}; cpu ${overhead.blocks.map((b) => b.cpu.toFixed(4)).join(' ')}`);
const units = all.filter((i) => i.kind === 'unit');
for (const c of CLOCKS) {
  const o = est(overhead, c);
  const sorted = units.map((u) => est(u, c)).sort((a, b) => a - b);
  lines.push(`${c}: overhead ${o.toFixed(4)} ms; units below it ${sorted.filter((x) => x < o).length} of ${units.length}; cheapest units ${sorted.slice(0, 3).map((x) => x.toFixed(4)).join(', ')} ms`);
}
lines.push('');
lines.push('| file | clock | units | file ms | Σ units raw | plain: O + Σ (u − O) | error | clamped at 0 | error | O of pass 1 only, clamped | error |' + (rule.nchwc ? ' layout-corrected | error |' : ''));
lines.push('|---|---|---|---|---|---|---|---|---|---|---|' + (rule.nchwc ? '---|---|' : ''));
const json: Record<string, unknown>[] = [];
for (const { name, plan, file, own } of plans) {
  for (const c of CLOCKS) {
    const o = est(overhead, c);
    const o1 = c === 'min' ? overhead.blocks[0].min : overhead.blocks[0][c];
    const f = est(file, c);
    const raw = plan.units.map((u) => est(items.get(u.key)!, c));
    const plain = o + raw.reduce((t, x) => t + (x - o), 0);
    const clamped = o + raw.reduce((t, x) => t + Math.max(0, x - o), 0);
    const first = o1 + raw.reduce((t, x) => t + Math.max(0, x - o1), 0);
    let corrected = NaN;
    if (plan.nchwc) {
      const net = (k: string) => Math.max(0, est(items.get(k)!, c) - o);
      corrected =
        o +
        plan.units.reduce((t, u, i) => {
          const v = Math.max(0, raw[i] - o);
          return t + v - Math.min(v, (own.get(u.key) ?? []).reduce((s, k) => s + net(k), 0));
        }, 0) +
        plan.layout.reduce((t, l) => t + net(l.key), 0);
    }
    const pct = (x: number) => `${errorPct(x, f).toFixed(1)}%`;
    lines.push(`| ${name} | ${c} | ${plan.units.length} | ${f.toFixed(4)} | ${raw.reduce((a, b) => a + b, 0).toFixed(4)} | ${plain.toFixed(4)} | ${pct(plain)} | ${clamped.toFixed(4)} | ${pct(clamped)} | ${first.toFixed(4)} | ${pct(first)} |${plan.nchwc ? ` ${corrected.toFixed(4)} | ${pct(corrected)} |` : ''}`);
    json.push({ file: name, clock: c, units: plan.units.length, fileMs: f, overheadMs: o, overheadPass1Ms: o1, rawMs: raw, plain, clamped, first, corrected });
  }
}
if (rule.nchwc) {
  // ReorderInput against ReorderOutput of the same plain shape: the same bytes moved one way or the other.
  const layouts = all.filter((i) => i.kind === 'layout');
  const byShape = new Map<string, Record<string, number>>();
  for (const l of layouts) {
    const [, op, shape] = l.key.split(':');
    const r = byShape.get(shape) ?? {};
    r[op.endsWith('ReorderInput') ? 'in' : 'out'] = est(l, 'min') - est(overhead, 'min');
    byShape.set(shape, r);
  }
  const both = [...byShape].filter(([, r]) => r.in !== undefined && r.out !== undefined);
  lines.push('', `layout units with both directions (${both.length} shapes), net of the overhead, min clock: ReorderInput / ReorderOutput, median ratio ${median(both.map(([, r]) => r.in / Math.max(r.out, 1e-6))).toFixed(2)}`);
  for (const [s, r] of both.slice(0, 12)) lines.push(`  ${s}: ${(r.in * 1000).toFixed(2)} / ${(r.out * 1000).toFixed(2)} µs`);
}
console.log(lines.join('\n'));
writeFileSync(path.join(outDir, `gap-${args.device}.json`), JSON.stringify({ args, load: [load0, load1], overheadBlocks: overhead.blocks, rows: json }, null, 1));
