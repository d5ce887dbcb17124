/**
 * What the NCHWc reorders a unit's one-unit model runs on ort-cpu cost inside that model, against what the
 * prediction subtracts for them (each reorder timed alone as a one-node model, src/onnx/layout.ts): every unit of
 * a file whose one-unit model has reorders is optimized by onnxruntime (level all, NCHWc), and the optimized model
 * is timed as it is and stripped of its reorders (its NCHWc kernels fed and read in the blocked layout), at wall
 * clock in blocks in a shuffled order over several passes, outputs sliced, beside the one-node reorder models and
 * the overhead model.
 *
 *   node --import tsx bench/onnx-own-reorders.ts --file cls
 */
import onnxProto from 'onnx-proto';
import yargs from 'yargs';
import { Rng } from '../src/core/rng.js';
import { unitModel } from '../src/onnx/extract.js';
import { layoutModel, ownLayout } from '../src/onnx/layout.js';
import { isReorder, ortVersion } from '../src/onnx/partition.js';
import { planOnnx } from '../src/onnx/plan.js';
import { num } from '../src/onnx/tensor.js';
import { overheadModel } from '../export/model.js';
import { ortCpuSessionOptions } from '../devices/ort-cpu/index.js';
import { slicedOutputs } from '../devices/ort-outputs.js';
import { OCR_MODELS } from './npm-models.js';
import { ortCpuOptimized } from './ort-flavour.js';
import { blockTimes, loadavg, median, shuffledPasses } from './wall-blocks.js';

const { onnx } = onnxProto;
const args = await yargs(process.argv.slice(2))
  .option('file', { choices: ['det', 'rec', 'cls'] as const, default: 'cls' as const })
  .option('passes', { type: 'number', default: 5 })
  .option('block-ms', { type: 'number', default: 6 })
  .strict()
  .parse();
const ort = await import('onnxruntime-node');

/** The optimized model without its reorders: each ReorderInput's output becomes a graph input, each ReorderOutput's input a graph output (blocked shapes given). */
function stripped(opt: Uint8Array, blockedShape: (name: string) => number[]): { bytes: Uint8Array; inputs: { name: string; shape: number[] }[] } {
  const m = onnx.ModelProto.decode(opt);
  const g = m.graph!;
  const nodes = g.node ?? [];
  const ins = nodes.filter((n) => isReorder(`${n.domain}:${n.opType}`) && n.opType === 'ReorderInput');
  const outs = nodes.filter((n) => isReorder(`${n.domain}:${n.opType}`) && n.opType === 'ReorderOutput');
  const info = (name: string, shape: number[]) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } });
  const inputs = ins.map((n) => ({ name: n.output![0], shape: blockedShape(n.output![0]) }));
  g.node = nodes.filter((n) => !ins.includes(n) && !outs.includes(n));
  const keptInputs = (g.input ?? []).filter((i) => g.node!.some((n) => (n.input ?? []).includes(i.name!)));
  g.input = [...keptInputs, ...inputs.map((i) => info(i.name, i.shape))];
  g.output = [...(g.output ?? []).filter((o) => g.node!.some((n) => (n.output ?? []).includes(o.name!))), ...outs.map((n) => info(n.input![0], blockedShape(n.input![0])))];
  return { bytes: onnx.ModelProto.encode(m).finish(), inputs: [...keptInputs.map((i) => ({ name: i.name!, shape: (i.type!.tensorType!.shape!.dim ?? []).map((d) => num(d.dimValue ?? 0)) })), ...inputs] };
}

/** Blocked shapes of a model's tensors, from one run of its optimized model with every tensor an output. */
async function tensorShapes(opt: Uint8Array, inputs: { name: string; shape: number[] }[]): Promise<Map<string, number[]>> {
  const m = onnx.ModelProto.decode(opt);
  const names = (m.graph!.node ?? []).flatMap((n) => n.output ?? []).filter(Boolean);
  m.graph!.output = names.map((name) => ({ name, type: { tensorType: { elemType: 1 } } }));
  const s = await ort.InferenceSession.create(onnx.ModelProto.encode(m).finish(), { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
  const feeds = Object.fromEntries(inputs.map((i) => [i.name, new ort.Tensor('float32', new Float32Array(i.shape.reduce((a, b) => a * b, 1)).fill(0.5), i.shape)]));
  const out = await s.run(feeds);
  await s.release();
  return new Map(Object.entries(out).map(([k, v]) => [k, [...v.dims]]));
}

const spec = OCR_MODELS[args.file];
const plan = await planOnnx(spec.file, { inputShapes: { ...spec.inputShapes }, level: 'all', nchwc: true });
const version = await ortVersion();
interface Item {
  key: string;
  session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  feeds: Record<string, InstanceType<typeof ort.Tensor>>;
  meds: number[];
}
const rng = new Rng(1);
const items = new Map<string, Item>();
async function add(key: string, bytes: Uint8Array, inputs: { name: string; shape: number[] }[], level: 'all' | 'disabled'): Promise<Item> {
  if (items.has(key)) return items.get(key)!;
  const session = await ort.InferenceSession.create(await slicedOutputs(bytes), ortCpuSessionOptions({ threads: 1, graphOptimizationLevel: level }));
  const feeds = Object.fromEntries(inputs.map((i) => [i.name, new ort.Tensor('float32', rng.fill(i.shape.reduce((a, b) => a * b, 1)), i.shape)]));
  const it = { key, session, feeds, meds: [] };
  items.set(key, it);
  return it;
}
const O = await add('overhead', overheadModel([1, 1, 1, 1]).onnx, [{ name: 'input', shape: [1, 1, 1, 1] }], 'all');
const rows: { key: string; ops: string; whole: Item; optimizedAsIs: Item; bare: Item; reorders: string[]; n: number }[] = [];
const seen = new Map<string, number>();
const skipped: string[] = [];
for (const u of plan.units) {
  seen.set(u.key, (seen.get(u.key) ?? 0) + 1);
  if (seen.get(u.key)! > 1 || u.unsupported) continue;
  const m = unitModel(plan.graph, u.unit);
  const own = await ownLayout(m.onnx, 'all', (t) => plan.graph.tensors.get(t)?.shape, version);
  if (!own.length) continue;
  for (const l of own) {
    const lm = await layoutModel(l);
    await add(l.key, lm.onnx, lm.inputs, 'all');
  }
  const opt = await ortCpuOptimized(m.onnx);
  try {
    const shapes = await tensorShapes(opt, m.inputs);
    const s = stripped(opt, (n) => shapes.get(n)!);
    const bare = await add(`bare:${u.key}`, s.bytes, s.inputs, 'disabled');
    rows.push({
      key: u.key,
      ops: u.ops.join('+'),
      whole: await add(u.key, m.onnx, m.inputs, 'all'),
      optimizedAsIs: await add(`opt:${u.key}`, opt, m.inputs, 'disabled'),
      bare,
      reorders: own.map((l) => l.key),
      n: 0,
    });
  } catch (e) {
    skipped.push(`${u.ops.join('+')} ${u.key.split(':')[2]} (${(e as Error).message.split('\n')[0].slice(0, 80)})`);
  }
}
for (const u of plan.units) {
  const r = rows.find((x) => x.key === u.key);
  if (r) r.n++;
}
const all = [...items.values()];
const load0 = loadavg();
await shuffledPasses(all, args.passes, rng, async (it) => {
  it.meds.push(median(await blockTimes(() => it.session.run(it.feeds), args.blockMs)));
});
const w = (it: Item) => median(it.meds) - median(O.meds);
const us = (x: number) => (x * 1000).toFixed(2);
const lines = [
  `ort-cpu 1 thread, ${args.file}: units whose one-unit model runs NCHWc reorders; wall medians of ${args.passes} blocks less the overhead model (${us(median(O.meds))} µs); load ${load0} → ${loadavg()}`,
  '',
  '| unit | × in file | unit − O µs | its optimized model as is | without its reorders (blocked in/out) | reorders inside: as is − without | Σ its reorders timed alone |',
  '|---|---|---|---|---|---|---|',
];
const tot = { unit: 0, asIs: 0, bare: 0, alone: 0 };
for (const r of rows) {
  const alone = r.reorders.reduce((t, k) => t + w(items.get(k)!), 0);
  lines.push(`| ${r.ops} ${r.key.split(':')[2]} | ${r.n} | ${us(w(r.whole))} | ${us(w(r.optimizedAsIs))} | ${us(w(r.bare))} | ${us(w(r.optimizedAsIs) - w(r.bare))} | ${us(alone)} |`);
  tot.unit += r.n * w(r.whole);
  tot.asIs += r.n * w(r.optimizedAsIs);
  tot.bare += r.n * w(r.bare);
  tot.alone += r.n * alone;
}
lines.push(`| **Σ over the file's units** | | ${us(tot.unit)} | ${us(tot.asIs)} | ${us(tot.bare)} | ${us(tot.asIs - tot.bare)} | ${us(tot.alone)} |`);
lines.push('', `not stripped (${skipped.length}): ${skipped.join('; ')}`);
console.log(lines.join('\n'));
for (const it of all) await it.session.release();
