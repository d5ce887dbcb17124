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
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import yargs from 'yargs';
import { Rng } from '../src/core/rng.js';
import { layoutModel, NCHWC_DOMAIN } from '../src/onnx/layout.js';
import { renamedModelBytes } from '../src/onnx/partition.js';
import { planOnnx } from '../src/onnx/plan.js';
import { overheadModel } from '../export/model.js';
import { ortCpuSessionOptions } from '../devices/ort-cpu/index.js';
import { slicedOutputs } from '../devices/ort-outputs.js';
import { fileOrNet } from './onnx-files.js';
import { ortCpuOptimized } from './ort-flavour.js';
import { blockTimes, loadavg, median, shuffledPasses } from './wall-blocks.js';

const { onnx } = onnxProto;
const args = await yargs(process.argv.slice(2))
  .option('file', { type: 'string', default: 'cls', describe: 'det, rec, cls, or a published net (at --resolution)' })
  .option('resolution', { type: 'number', default: 64 })
  .option('passes', { type: 'number', default: 7 })
  .option('block-ms', { type: 'number', default: 10 })
  .strict()
  .parse();
const ort = await import('onnxruntime-node');

const { file, inputShapes } = fileOrNet(args.file, args.resolution, (name) => path.join(os.tmpdir(), `reorders-${name}.onnx`));
const plan = await planOnnx(file, { inputShapes, level: 'all', nchwc: true });
const optBytes = await ortCpuOptimized(renamedModelBytes(plan.graph));

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
await shuffledPasses(items, args.passes, rng, async (it) => {
  it.meds.push(median(await blockTimes(() => it.session.run(it.feeds), args.blockMs)));
});
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
