/**
 * Which of the timing reference's batches read what (issue 13)? LUT entries of the mbv2 space and whole nets
 * are timed as the profiler times a round (a fresh session, the protocol's round limits, the reference
 * interleaved: devices/reference.ts), shuffled, and every reference batch is kept with its position in the
 * round (right after the item's cold run, before a timed batch, after the last) and the item's kind and time.
 * If the reference is to scale entries and nets alike, its reading must not depend on either.
 *
 *   node --import tsx bench/reference-position.ts --entries 40 --passes 2
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { median, quantile } from 'simple-statistics';
import yargs from 'yargs';
import { resolveDevice } from '../devices/registry.js';
import { canInterleave, referenceModel, type ReferenceBatch } from '../devices/reference.js';
import { roundProtocol } from '../devices/rounds.js';
import { DEFAULT_PROTOCOL, type ModelUnderTest } from '../devices/types.js';
import { networkModel, opModel } from '../export/model.js';
import { Rng } from '../src/core/rng.js';
import { loadPublishedNets } from '../src/spaces/published.js';
import { createSpace } from '../src/spaces/registry.js';

const args = await yargs(process.argv.slice(2))
  .option('entries', { type: 'number', default: 40 })
  .option('nets', { type: 'string', default: 'MobileNetV2-1.0,EfficientNet-B0,proxyless_mobile_14' })
  .option('resolution', { type: 'number', default: 128 })
  .option('passes', { type: 'number', default: 2 })
  .option('warm', { type: 'number', describe: 'untimed reference runs before each timed batch (default REFERENCE_WARM_RUNS)' })
  .option('out', { type: 'string' })
  .strict()
  .parse();

const device = await resolveDevice('ort-cpu', { threads: 1 });
await device.init();
if (!canInterleave(device)) throw new Error('ort-cpu cannot interleave a reference');
const reference = referenceModel('mbv2net64');
const space = createSpace('mbv2', { resolution: args.resolution });
const rng = new Rng(5);
const all = space.allInstances();
const items: { kind: string; model: ModelUnderTest }[] = [];
for (let i = 0; i < args.entries; i++) items.push({ kind: 'entry', model: opModel(all[rng.int(all.length)]) });
const published = loadPublishedNets({ resolution: args.resolution }).nets;
for (const name of args.nets.split(',')) {
  const arch = published.find((n) => n.name === name);
  if (!arch) throw new Error(`no published net ${name}`);
  items.push({ kind: 'net', model: networkModel(arch) });
}
const protocol = roundProtocol(DEFAULT_PROTOCOL);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const load0 = loadavg();
const rows: { kind: string; key: string; ms: number; at: number; batches: ReferenceBatch[] }[] = [];
const t0 = Date.now();
for (let pass = 0; pass < args.passes; pass++) {
  const order = [...items];
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (const it of order) {
    const r = await device.timeWithReference(it.model, protocol, reference, args.warm);
    rows.push({ kind: it.kind, key: it.model.key, ms: r.stats.median, at: (Date.now() - t0) / 1000, batches: r.batches ?? [] });
  }
}
const load1 = loadavg();
// Entries split at their median time into small and large; nets apart.
const entryMs = rows.filter((r) => r.kind === 'entry').map((r) => r.ms);
const cut = median(entryMs);
const group = (r: (typeof rows)[number]) => (r.kind === 'net' ? 'net' : r.ms < cut ? 'entry, small' : 'entry, large');
console.log(`reference mbv2net64, ort-cpu 1 thread, ${rows.length} rounds over ${((Date.now() - t0) / 1000).toFixed(0)} s (${args.entries} entries of mbv2@${args.resolution}, nets ${args.nets}), round protocol ${JSON.stringify(protocol)}; load ${load0} → ${load1}\n`);
console.log('| item | rounds | batches after the cold run | before a timed batch | after the last | round median (all batches, as live) | lowest batch of the round |');
console.log('|---|---|---|---|---|---|---|');
const cell = (xs: number[]) => (xs.length ? `${median(xs).toFixed(4)} (p10 ${quantile(xs, 0.1).toFixed(4)}, p90 ${quantile(xs, 0.9).toFixed(4)}, n ${xs.length})` : '–');
for (const g of ['entry, small', 'entry, large', 'net']) {
  const rs = rows.filter((r) => group(r) === g);
  const at = (p: string) => rs.flatMap((r) => r.batches.filter((b) => b.position === p).map((b) => b.ms));
  console.log(
    `| ${g} | ${rs.length} | ${cell(at('warmup'))} | ${cell(at('batch'))} | ${cell(at('after'))} | ${cell(rs.map((r) => median(r.batches.map((b) => b.ms))))} | ${cell(rs.map((r) => Math.min(...r.batches.map((b) => b.ms))))} |`,
  );
}
// Within a round: the k-th batch over the round's lowest, by position in the round.
console.log('\n| batch index in the round | n | median reading / the round\'s lowest batch |');
console.log('|---|---|---|');
for (let k = 0; k < 8; k++) {
  const xs = rows.filter((r) => r.batches.length > k).map((r) => r.batches[k].ms / Math.min(...r.batches.map((b) => b.ms)));
  if (xs.length) console.log(`| ${k} | ${xs.length} | ${median(xs).toFixed(3)} |`);
}
if (args.out) writeFileSync(args.out, JSON.stringify({ args, load: [load0, load1], rows }, null, 1));
await device.dispose();
