/**
 * What a file's own NCHWc reorders cost inside it on ort-cpu, against what the prediction adds for them (each
 * timed alone as a one-node model, src/onnx/layout.ts): onnxruntime's optimized model of the file (level all,
 * NCHWc) is timed as it is and with every reorder run twice over (after each ReorderOutput a round trip
 * ReorderInput → ReorderOutput of the same tensor; before each ReorderInput a round trip ReorderOutput →
 * ReorderInput), so the difference is one more of each of its reorders, in the file's context. Wall clock, blocks
 * in a shuffled order over several passes, outputs sliced, beside the one-node reorder models and the overhead model.
 *
 *   node --import tsx bench/onnx-file-reorders.ts --file cls
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import yargs from 'yargs';
import { Rng } from '../src/core/rng.js';
import { layoutModel, NCHWC_DOMAIN } from '../src/onnx/layout.js';
import { renamedModelBytes } from '../src/onnx/partition.js';
import { planOnnx } from '../src/onnx/plan.js';
import { loadPublishedNets } from '../src/spaces/published.js';
import { networkModel, overheadModel } from '../export/model.js';
import { ortCpuSessionOptions } from '../devices/ort-cpu/index.js';
import { slicedOutputs } from '../devices/ort-outputs.js';
import { OCR_MODELS } from './npm-models.js';

const { onnx } = onnxProto;
const args = await yargs(process.argv.slice(2))
  .option('file', { type: 'string', default: 'cls', describe: 'det, rec, cls, or a published net (at --resolution)' })
  .option('resolution', { type: 'number', default: 64 })
  .option('passes', { type: 'number', default: 7 })
  .option('block-ms', { type: 'number', default: 10 })
  .strict()
  .parse();
const ort = await import('onnxruntime-node');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

let file: string;
let inputShapes: Record<string, number[]> | undefined;
if (args.file in OCR_MODELS) {
  const m = OCR_MODELS[args.file as keyof typeof OCR_MODELS];
  file = m.file;
  inputShapes = { ...m.inputShapes };
} else {
  const net = loadPublishedNets({ resolution: args.resolution }).nets.find((n) => n.name === args.file);
  if (!net) throw new Error(`no file or published net '${args.file}'`);
  file = path.join(os.tmpdir(), `reorders-${net.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.onnx`);
  writeFileSync(file, networkModel(net).onnx);
}
const plan = await planOnnx(file, { inputShapes, level: 'all', nchwc: true });
const dir = mkdtempSync(path.join(os.tmpdir(), 'hwnas-frr-'));
const optPath = path.join(dir, 'opt.onnx');
await (await ort.InferenceSession.create(renamedModelBytes(plan.graph), { ...ortCpuSessionOptions({ threads: 1, graphOptimizationLevel: 'all' }), optimizedModelFilePath: optPath, logSeverityLevel: 3 })).release();
const optBytes = readFileSync(optPath);
rmSync(dir, { recursive: true, force: true });

/** The optimized model with one more round trip at every reorder. */
function doubled(bytes: Uint8Array): { bytes: Uint8Array; added: number } {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph!;
  const out: typeof g.node = [];
  let added = 0;
  for (const n of g.node ?? []) {
    const isOut = n.domain === NCHWC_DOMAIN && n.opType === 'ReorderOutput';
    const isIn = n.domain === NCHWC_DOMAIN && n.opType === 'ReorderInput';
    if (isIn) {
      // blocked? no: ReorderInput reads a plain tensor; go plain → blocked → plain first.
      const x = n.input![0];
      const b = `${x}__rt_b`;
      const p = `${x}__rt_p`;
      const channelsLast = (n.attribute ?? []).find((a) => a.name === 'channels_last');
      const channels = plan.graph.tensors.get(x)?.shape[channelsLast && Number(channelsLast.i) ? 3 : 1];
      if (channels === undefined) {
        out.push(n);
        continue;
      }
      out.push({ ...n, name: `${n.name}__rt1`, input: [x], output: [b] });
      out.push({ name: `${n.name}__rt2`, opType: 'ReorderOutput', domain: NCHWC_DOMAIN, input: [b], output: [p], attribute: [...(channelsLast ? [channelsLast] : []), { name: 'channels', type: onnx.AttributeProto.AttributeType.INT, i: channels }] });
      out.push({ ...n, input: [p] });
      added += 2;
    } else if (isOut) {
      const y = n.output![0];
      const y0 = `${y}__rt_0`;
      const b = `${y}__rt_b`;
      const channelsLast = (n.attribute ?? []).find((a) => a.name === 'channels_last');
      const channels = Number((n.attribute ?? []).find((a) => a.name === 'channels')?.i ?? 0);
      // ReorderInput takes multiples of 4 channels only: those reorders are left single (and not counted alone).
      if (channels % 4 !== 0) {
        out.push(n);
        continue;
      }
      out.push({ ...n, output: [y0] });
      out.push({ name: `${n.name}__rt1`, opType: 'ReorderInput', domain: NCHWC_DOMAIN, input: [y0], output: [b], attribute: channelsLast ? [channelsLast] : [] });
      out.push({ ...n, name: `${n.name}__rt2`, input: [b], output: [y] });
      added += 2;
    } else out.push(n);
  }
  g.node = out;
  return { bytes: onnx.ModelProto.encode(m).finish(), added };
}

const rng = new Rng(1);
interface Item {
  key: string;
  session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  feeds: Record<string, InstanceType<typeof ort.Tensor>>;
  meds: number[];
}
const items: Item[] = [];
async function add(key: string, bytes: Uint8Array, inputs: { name: string; shape: number[] }[], level: 'all' | 'disabled'): Promise<Item> {
  const session = await ort.InferenceSession.create(await slicedOutputs(bytes), ortCpuSessionOptions({ threads: 1, graphOptimizationLevel: level }));
  const feeds = Object.fromEntries(inputs.map((i) => [i.name, new ort.Tensor('float32', rng.fill(i.shape.reduce((a, b) => a * b, 1)), i.shape)]));
  const it = { key, session, feeds, meds: [] };
  items.push(it);
  return it;
}
const O = await add('overhead', overheadModel([1, 1, 1, 1]).onnx, [{ name: 'input', shape: [1, 1, 1, 1] }], 'all');
const F = await add('file', renamedModelBytes(plan.graph), plan.graph.inputs, 'all');
const asIs = await add('optimized', optBytes, plan.graph.inputs, 'disabled');
const d = doubled(optBytes);
const twice = await add('reorders twice', d.bytes, plan.graph.inputs, 'disabled');
const layout: Item[] = [];
for (const l of plan.layout) {
  if (l.op.endsWith('ReorderOutput') && l.attrs.channels % 4 !== 0) continue;
  const m = await layoutModel(l);
  layout.push(await add(l.key, m.onnx, m.inputs, 'all'));
  // the opposite direction of the same plain shape (the round trip adds both)
  const other = (await import('../src/onnx/layout.js')).layoutUnit(l.op.endsWith('ReorderInput') ? 'ReorderOutput' : 'ReorderInput', l.shape, l.op.endsWith('ReorderInput') ? { ...l.attrs, channels: l.attrs.channels_last ? l.shape[3] : l.shape[1] } : { channels_last: l.attrs.channels_last });
  const om = await layoutModel(other);
  layout.push(await add(other.key, om.onnx, om.inputs, 'all'));
}
const load0 = loadavg();
for (let p = 0; p < args.passes; p++) {
  const order = [...items];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (const it of order) {
    for (let i = 0; i < 2; i++) await it.session.run(it.feeds);
    const times: number[] = [];
    const t0 = performance.now();
    while (times.length < 10 || performance.now() - t0 < args.blockMs) {
      const s = performance.now();
      await it.session.run(it.feeds);
      times.push(performance.now() - s);
    }
    it.meds.push(median(times));
  }
  process.stderr.write(`pass ${p + 1}/${args.passes}, load ${loadavg()}\n`);
}
const w = (it: Item) => median(it.meds);
const o = w(O);
const us = (x: number) => (x * 1000).toFixed(1);
const alone = layout.reduce((t, it) => t + w(it) - o, 0);
console.log(
  [
    `ort-cpu 1 thread, ${args.file} (${plan.layout.length} reorders in its optimized graph); wall medians of ${args.passes} blocks; load ${load0} → ${loadavg()}`,
    `overhead ${us(o)} µs; file ${us(w(F))} µs; its optimized model as is ${us(w(asIs))} µs; with every reorder's round trip added (${d.added} kernels) ${us(w(twice))} µs`,
    `one more of each reorder in the file: ${us(w(twice) - w(asIs))} µs; the same ${d.added} reorders timed alone (one-node models, less the overhead), as the prediction counts them: ${us(alone)} µs`,
  ].join('\n'),
);
for (const it of items) await it.session.release();
