/**
 * Where, inside one ONNX file, the sum of its units timed alone parts from the file, at wall clock: the file's
 * units (in the order its optimized graph runs them) cut into segments of --size consecutive units, each segment
 * extracted as one model (src/onnx/extract.ts, as a unit is) and timed beside its units, the overhead model and
 * the whole file, in blocks in a shuffled order over several passes, outputs sliced as the devices time them.
 *
 *   node --import tsx bench/onnx-segments.ts --device cpu --file cls --size 4
 *
 * With --chain, each weight-free unit whose output has its input's shape is also timed applied twice in a row
 * (src/onnx/extract.ts chainedModel, as the LUT's in-chain figures are).
 *
 * Per segment: its units' Σ (u − O), the segment's own (seg − O), and on ort-cpu both less the NCHWc reorders
 * their models run alone (each timed alone as a layout unit); a segment whose units together cost much less
 * than apart locates the part of the file the prediction over-counts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { Rng } from '../src/core/rng.js';
import { chainedModel, unitModel } from '../src/onnx/extract.js';
import { layoutModel, ownLayout } from '../src/onnx/layout.js';
import { ortVersion, renamedModelBytes } from '../src/onnx/partition.js';
import { partitionRuleFor, planOnnx } from '../src/onnx/plan.js';
import { overheadModel } from '../export/model.js';
import { slicedOutputs } from '../devices/ort-outputs.js';
import { randomFeeds } from '../devices/ort-wasm/feeds.js';
import { fileOrNet } from './onnx-files.js';
import { ortFlavour, type Session } from './ort-flavour.js';
import { blockTimes, loadavg, median, shuffledPasses } from './wall-blocks.js';

const args = await yargs(process.argv.slice(2))
  .option('device', { choices: ['cpu', 'wasm'] as const, default: 'cpu' as const })
  .option('file', { type: 'string', default: 'cls', describe: 'det, rec, cls, or a published net name (at --resolution)' })
  .option('resolution', { type: 'number', default: 64 })
  .option('size', { type: 'number', default: 4, describe: 'units per segment' })
  .option('passes', { type: 'number', default: 5 })
  .option('block-ms', { type: 'number', default: 6 })
  .option('chain', { type: 'boolean', default: true, describe: 'also every weight-free unit whose output has its first input\'s shape, timed applied twice in a row (its output fed to its copy): (twice − once) is what it costs with its input just written by the kernel before it, as inside the file' })
  .option('nchwc', { type: 'boolean', default: true, describe: "ort-cpu: --no-nchwc turns onnxruntime's NchwcTransformer off (the partition and every session), as the wasm partition has it" })
  .option('out', { type: 'string', default: 'out/bench/onnx-segments' })
  .strict()
  .parse();

const wasm = args.device === 'wasm';
const flavour = await ortFlavour(args.device);
const { ort } = flavour;
let { sessionOptions } = flavour;
if (!wasm && !args.nchwc) sessionOptions = { ...sessionOptions, extra: { optimization: { disable_specified_optimizers: 'NchwcTransformer' } } };
mkdirSync(args.out, { recursive: true });
const { file, inputShapes } = fileOrNet(args.file, args.resolution, (name) => path.join(args.out, `pub-${name}.onnx`));
const rule = { ...partitionRuleFor(wasm ? 'wasm' : 'cpu'), ...(args.nchwc ? {} : { nchwc: false }) };
const plan = await planOnnx(file, { inputShapes, ...rule });
const version = await ortVersion();

interface Item {
  key: string;
  session: Session;
  feeds: Record<string, unknown>;
  meds: number[];
  /** Reorder keys its model runs (ort-cpu). */
  own: string[];
}
const items = new Map<string, Item>();
async function add(key: string, bytes: Uint8Array, inputs: { name: string; shape: number[] }[], layout: boolean): Promise<Item> {
  if (items.has(key)) return items.get(key)!;
  const own = layout && plan.nchwc ? await ownLayout(bytes, plan.level, (t) => plan.graph.tensors.get(t)?.shape, version) : [];
  for (const l of own) {
    const m = await layoutModel(l);
    await add(l.key, m.onnx, m.inputs, false);
  }
  const session = await ort.InferenceSession.create(await slicedOutputs(bytes), sessionOptions);
  const it: Item = { key, session, feeds: randomFeeds(ort.Tensor, { key, onnx: bytes, inputs, ops: [] }) as Record<string, unknown>, meds: [], own: own.map((l) => l.key) };
  items.set(key, it);
  return it;
}
const O = await add('overhead', overheadModel([1, 1, 1, 1]).onnx, [{ name: 'input', shape: [1, 1, 1, 1] }], false);
const whole = await add('file', renamedModelBytes(plan.graph), plan.graph.inputs, false);
const units = plan.units.filter((u) => !u.unsupported);
for (const u of units) {
  const m = unitModel(plan.graph, u.unit);
  await add(u.key, m.onnx, m.inputs, true);
}
const chained = new Map<string, Item>();
if (args.chain)
  for (const u of units) {
    const same = u.inputs.length > 0 && u.outputs.length === 1 && JSON.stringify(u.outputs[0]) === JSON.stringify(u.inputs[0]);
    if (u.weightBytes > 0 || !same || chained.has(u.key)) continue;
    const m = unitModel(plan.graph, u.unit);
    chained.set(u.key, await add(`twice:${u.key}`, chainedModel(m).onnx, m.inputs, false));
  }
const segments: { units: typeof units; item: Item }[] = [];
for (let i = 0; i < units.length; i += args.size) {
  const us = units.slice(i, i + args.size);
  const nodes = us.flatMap((u) => u.unit.nodes).sort((a, b) => a.index - b.index);
  const m = unitModel(plan.graph, { nodes, kernel: us[0].unit.kernel });
  segments.push({ units: us, item: await add(`segment:${i}`, m.onnx, m.inputs, true) });
}
const all = [...items.values()];
const load0 = loadavg();
const rng = new Rng(3);
await shuffledPasses(all, args.passes, rng, async (it) => {
  it.meds.push(median(await blockTimes(() => it.session.run(it.feeds), args.blockMs)));
});
for (const it of all) await it.session.release();
const w = (it: Item) => median(it.meds);
const o = w(O);
const net = (k: string) => w(items.get(k)!) - o;
/** Less the reorders its model runs alone (each timed alone), at most its own figure. */
const corrected = (it: Item) => {
  const v = Math.max(0, w(it) - o);
  return v - Math.min(v, it.own.reduce((t, k) => t + Math.max(0, net(k)), 0));
};
const us = (x: number) => (x * 1000).toFixed(1);
const chainLines: string[] = [];
if (chained.size) {
  const inChain = units.filter((u) => chained.has(u.key));
  const alone = inChain.reduce((t, u) => t + net(u.key), 0);
  const again = inChain.reduce((t, u) => t + w(chained.get(u.key)!) - w(items.get(u.key)!), 0);
  const plain = o + units.reduce((t, u) => t + net(u.key), 0);
  chainLines.push(
    `chained: ${inChain.length} weight-free units of the file (${chained.size} distinct) cost Σ (u − O) ${us(alone)} µs alone and Σ (twice − once) ${us(again)} µs as the second of two; the plain sum with the second figure for them: ${us(plain - alone + again)} µs (file ${us(w(whole))})`,
  );
  const byOp = new Map<string, { n: number; alone: number; again: number }>();
  for (const u of inChain) {
    const k = byOp.get(u.ops.join('+')) ?? { n: 0, alone: 0, again: 0 };
    k.n++;
    k.alone += net(u.key);
    k.again += w(chained.get(u.key)!) - w(items.get(u.key)!);
    byOp.set(u.ops.join('+'), k);
  }
  for (const [op, k] of byOp) chainLines.push(`  ${op}: ${k.n} units, alone ${us(k.alone)} µs, as the second of two ${us(k.again)} µs`);
}
const lines = [
  `${args.device} (1 thread, level ${plan.level}${plan.nchwc ? ', NCHWc' : ''}), ${plan.graph.file}: ${units.length} units in ${segments.length} segments of ${args.size}; ${args.passes} passes of ~${args.blockMs} ms blocks, wall medians; load ${load0} → ${loadavg()}`,
  `overhead ${us(o)} µs; file ${us(w(whole))} µs; O + Σ (u − O) ${us(o + units.reduce((t, u) => t + net(u.key), 0))} µs; O + Σ (seg − O) ${us(o + segments.reduce((t, s) => t + net(s.item.key), 0))} µs` +
    (plan.nchwc ? `; corrected: O + Σ units ${us(o + units.reduce((t, u) => t + corrected(items.get(u.key)!), 0))}, O + Σ segments ${us(o + segments.reduce((t, s) => t + corrected(s.item), 0))} µs (each less its own reorders)` : ''),
  '',
  `| segment | units (ops) | Σ (u − O) µs | seg − O µs | seg / Σ |${plan.nchwc ? ' Σ units corrected | seg corrected | seg reorders / units\' |' : ''}`,
  `|---|---|---|---|---|${plan.nchwc ? '---|---|---|' : ''}`,
];
for (const s of segments) {
  const sum = s.units.reduce((t, u) => t + net(u.key), 0);
  const seg = net(s.item.key);
  const cu = s.units.reduce((t, u) => t + corrected(items.get(u.key)!), 0);
  const ownUnits = s.units.reduce((t, u) => t + items.get(u.key)!.own.length, 0);
  lines.push(
    `| ${s.item.key.split(':')[1]} | ${s.units.map((u) => u.ops.join('+')).join(', ')} | ${us(sum)} | ${us(seg)} | ${(seg / sum).toFixed(2)} |` +
      (plan.nchwc ? ` ${us(cu)} | ${us(corrected(s.item))} | ${s.item.own.length} / ${ownUnits} |` : ''),
  );
}
console.log([...lines, '', ...chainLines].join('\n'));
writeFileSync(path.join(args.out, `segments-${args.device}${args.nchwc ? '' : '-no-nchwc'}-${args.file}-${args.size}.json`), JSON.stringify({ args, o, file: w(whole), segments: segments.map((s) => ({ units: s.units.map((u) => u.key), seg: net(s.item.key), sum: s.units.reduce((t, u) => t + net(u.key), 0) })) }, null, 1));
