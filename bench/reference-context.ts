/**
 * Does the reference's reading depend on what ran just before it? Times a small LUT entry and a whole net
 * alternately with the timing reference interleaved (devices/reference.ts), with and without untimed
 * reference runs before each timed batch of it, and prints the reference's median beside each. If scaling is
 * to be fair to entries and nets alike, the reference must read the same beside both.
 *
 *   node --import tsx bench/reference-context.ts --times 10 --warm 0,1,2,4
 */
import { median } from 'simple-statistics';
import yargs from 'yargs';
import { resolveDevice } from '../devices/registry.js';
import { canInterleave, referenceModel, REFERENCE_WARM_RUNS } from '../devices/reference.js';
import { DEFAULT_PROTOCOL } from '../devices/types.js';
import { networkModel, opModel } from '../export/model.js';
import { instance } from '../src/core/ops.js';
import { loadPublishedNets } from '../src/spaces/published.js';

const args = await yargs(process.argv.slice(2))
  .option('times', { type: 'number', default: 12, describe: 'measurements of each (item, warm runs) pair, shuffled' })
  .option('reference', { type: 'string', default: 'mbv2net64' })
  .option('net', { type: 'string', default: 'MobileNetV2-1.0' })
  .option('resolution', { type: 'number', default: 128 })
  .option('warm', { type: 'string', default: `0,${REFERENCE_WARM_RUNS}`, describe: 'untimed reference runs before each timed batch of it, the counts to compare' })
  .strict()
  .parse();

const device = await resolveDevice('ort-cpu', { threads: 1 });
await device.init();
if (!canInterleave(device)) throw new Error('ort-cpu cannot interleave a reference');
const reference = referenceModel(args.reference);
const net = loadPublishedNets({ resolution: args.resolution }).nets.find((n) => n.name === args.net);
if (!net) throw new Error(`no published net ${args.net}`);
const items = {
  entry: opModel(instance({ kind: 'conv', cout: 16, k: 1, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, 16, 32, 32])),
  net: networkModel(net),
};
const protocol = { ...DEFAULT_PROTOCOL, rounds: undefined, maxTimeMs: 300 };
const warms = args.warm.split(',').map(Number);
const cells = new Map<string, number[]>();
const order: [keyof typeof items, number][] = [];
for (let t = 0; t < args.times; t++) for (const k of Object.keys(items) as (keyof typeof items)[]) for (const w of warms) order.push([k, w]);
for (let i = order.length - 1; i > 0; i--) {
  const j = Math.floor(Math.random() * (i + 1));
  [order[i], order[j]] = [order[j], order[i]];
}
const load0 = (await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
for (const [k, w] of order) {
  const r = await device.timeWithReference(items[k], protocol, reference, w);
  const key = `${k} warm ${w}`;
  cells.set(key, [...(cells.get(key) ?? []), r.referenceMs]);
}
const load1 = (await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`reference ${args.reference} beside a 16→16 1×1 conv on 32×32 (entry) and ${args.net} at ${args.resolution} px (net), ort-cpu 1 thread; load ${load0} → ${load1}\n`);
console.log('| untimed reference runs first | reference median beside the entry (ms) | beside the net (ms) | net / entry |');
console.log('|---|---|---|---|');
for (const w of warms) {
  const e = median(cells.get(`entry warm ${w}`)!);
  const n = median(cells.get(`net warm ${w}`)!);
  console.log(`| ${w} | ${e.toFixed(4)} | ${n.toFixed(4)} | ${(n / e).toFixed(3)} |`);
}
await device.dispose();
