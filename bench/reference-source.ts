/**
 * Where ort-cpu's drift comes from (issue 13): the same whole net timed in short blocks, over and over, in
 * kept sessions of onnxruntime-node with different session options, in a fresh session per block (as the
 * protocol's rounds are), in onnxruntime-web's wasm EP, beside the timing reference and a scalar probe — all
 * in shuffled order inside each block, so every variant meets the same machine state. If one session option
 * removed the drift, its block figures would move less than the default's; if the drift is the machine's
 * speed for onnxruntime-node's kernels, every ort-cpu variant moves together and the reference with them.
 *
 *   node --import tsx bench/reference-source.ts --seconds 90
 *
 * Per variant: median ms, the spread of its block medians (p90 / p10 and max / min), the correlation of its
 * block log-ratios with the default session's, and its spread after dividing by the reference of the same
 * block (what scaling by the reference leaves).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { median, quantile, sampleCorrelation } from 'simple-statistics';
import yargs from 'yargs';
import { ortCpuSessionOptions } from '../devices/ort-cpu/index.js';
import { randomFeeds } from '../devices/ort-wasm/feeds.js';
import { timedBytes } from '../devices/ort-outputs.js';
import { referenceModel } from '../devices/reference.js';
import { speedProbe } from '../devices/speed-probe.js';
import { networkModel } from '../export/model.js';
import { loadPublishedNets } from '../src/spaces/published.js';
import type { ModelUnderTest } from '../devices/types.js';

const args = await yargs(process.argv.slice(2))
  .option('seconds', { type: 'number', default: 90 })
  .option('runs', { type: 'number', default: 8, describe: 'timed runs of each variant per block (after one untimed run)' })
  .option('net', { type: 'string', default: 'MobileNetV2-1.0' })
  .option('resolution', { type: 'number', default: 128 })
  .option('wasm', { type: 'boolean', default: true })
  .option('out', { type: 'string' })
  .strict()
  .parse();

const ortNode = await import('onnxruntime-node');
const net = loadPublishedNets({ resolution: args.resolution }).nets.find((n) => n.name === args.net);
if (!net) throw new Error(`no published net ${args.net}`);
const model = networkModel(net);
const reference = referenceModel('mbv2net64');
const base = ortCpuSessionOptions({ threads: 1, graphOptimizationLevel: 'all' });

type Run = () => Promise<unknown>;
async function kept(ort: { InferenceSession: { create(b: Uint8Array, o: never): Promise<{ run(f: never): Promise<unknown> }> }; Tensor: never }, m: ModelUnderTest, options: object): Promise<Run> {
  const s = await ort.InferenceSession.create(await timedBytes(m.onnx, 'sliced'), options as never);
  const feeds = randomFeeds(ort.Tensor, m) as never;
  for (let i = 0; i < 5; i++) await s.run(feeds);
  return () => s.run(feeds);
}
const O = ortNode as never;
const variants: Record<string, () => Promise<number[]>> = {};
const timeRuns = async (run: Run): Promise<number[]> => {
  await run();
  const out: number[] = [];
  for (let i = 0; i < args.runs; i++) {
    const t0 = performance.now();
    await run();
    out.push(performance.now() - t0);
  }
  return out;
};
const defaultRun = await kept(O, model, base);
variants['ort default (kept session)'] = () => timeRuns(defaultRun);
const noArena = await kept(O, model, { ...base, enableCpuMemArena: false, enableMemPattern: false });
variants['ort no arena, no mem pattern'] = () => timeRuns(noArena);
const daz = await kept(O, model, { ...base, extra: { session: { set_denormal_as_zero: '1', intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } });
variants['ort denormals as zero, no spinning'] = () => timeRuns(daz);
const bytes = await timedBytes(model.onnx, 'sliced');
variants['ort fresh session per block'] = async () => {
  const s = await ortNode.InferenceSession.create(bytes, base);
  const feeds = randomFeeds(ortNode.Tensor, model) as never;
  try {
    for (let i = 0; i < 3; i++) await s.run(feeds);
    return await timeRuns(() => s.run(feeds));
  } finally {
    await s.release();
  }
};
const ref = await kept(O, reference, base);
variants['reference mbv2net64 (ort, kept)'] = () => timeRuns(ref);
if (args.wasm) {
  const ortWeb = await import('onnxruntime-web');
  ortWeb.env.wasm.numThreads = 1;
  const w = await kept(ortWeb as never, model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  variants['wasm (kept session)'] = () => timeRuns(w);
}
variants['scalar probe (JS, registers)'] = async () => Array.from({ length: 3 }, () => speedProbe(3, 1).minMs);

const names = Object.keys(variants);
const blocks: Record<string, number>[] = [];
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const load0 = loadavg();
const start = performance.now();
while (performance.now() - start < args.seconds * 1000) {
  const order = [...names];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const b: Record<string, number> = { t: (performance.now() - start) / 1000 };
  for (const n of order) b[n] = quantile(await variants[n](), 0.5);
  blocks.push(b);
}
const load1 = loadavg();
const refName = 'reference mbv2net64 (ort, kept)';
const logRatio = (n: string) => {
  const m = median(blocks.map((b) => b[n]));
  return blocks.map((b) => Math.log(b[n] / m));
};
const spread = (xs: number[]) => `${Math.exp(quantile(xs, 0.9) - quantile(xs, 0.1)).toFixed(3)} / ${Math.exp(Math.max(...xs) - Math.min(...xs)).toFixed(3)}`;
const lr0 = logRatio(names[0]);
const lrRef = logRatio(refName);
console.log(`${args.net} at ${args.resolution} px, ${blocks.length} blocks over ${args.seconds} s, ${args.runs} runs per variant per block (median), shuffled; load ${load0} → ${load1}\n`);
console.log('| variant | median ms | block spread p90/p10 / max/min | r with ort default | spread scaled by the reference p90/p10 / max/min |');
console.log('|---|---|---|---|---|');
for (const n of names) {
  const lr = logRatio(n);
  const scaled = lr.map((x, i) => x - lrRef[i]);
  console.log(`| ${n} | ${median(blocks.map((b) => b[n])).toFixed(3)} | ${spread(lr)} | ${sampleCorrelation(lr, lr0).toFixed(2)} | ${n === refName ? '–' : spread(scaled)} |`);
}
if (args.out) (await import('node:fs')).writeFileSync(args.out, JSON.stringify({ args, load: [load0, load1], blocks }, null, 1));
process.exit(0);
