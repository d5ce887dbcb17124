/**
 * What one more unit costs inside a model, against what the LUT counts for it (its one-unit model's median
 * less the per-session overhead), at 1 thread and at onnxruntime's default threads, in the same process and
 * the same shuffled blocks. For each unit, models of k copies of it in a chain (k = 1, 2, 4, 8: shape-
 * preserving blocks) are timed exactly as a LUT entry is (device.time, outputs kept in the session); the
 * slope of time over k is the unit's cost in context, the intercept what a model pays once. The LUT's plain
 * sum is right when the slope equals (one-unit median − overhead), i.e. when the overhead model (a
 * one-element Identity) costs what a one-unit model pays beyond its unit.
 *
 *   node --import tsx bench/chain-overhead.ts --blocks 5 --resolution 28
 */
import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import type { Architecture } from '../src/core/arch.js';
import type { OpSpec } from '../src/core/ops.js';
import { resolveDevice } from '../devices/registry.js';
import type { Device, ModelUnderTest, TimingProtocol } from '../devices/types.js';
import { networkModel, overheadModel } from '../export/model.js';
import { Rng } from '../src/core/rng.js';

const args = await yargs(process.argv.slice(2))
  .option('blocks', { type: 'number', default: 5 })
  .option('runs', { type: 'number', default: 40, describe: 'timed runs per measurement' })
  .option('resolution', { type: 'number', default: 28, describe: 'spatial size of the chained units' })
  .strict()
  .parse();

const R = args.resolution;
const units: { name: string; channels: number; spec: OpSpec }[] = [
  { name: `mbconv k5 e6 c40 @${R}`, channels: 40, spec: { kind: 'mbconv', cout: 40, k: 5, stride: 1, expand: 6, se: 0, act: 'relu6', skip: true } },
  { name: `mbconv k3 e3 c80 @${Math.max(1, R >> 1)}`, channels: 80, spec: { kind: 'mbconv', cout: 80, k: 3, stride: 1, expand: 3, se: 0, act: 'relu6', skip: true } },
  { name: `conv 1x1 c96 @${R}`, channels: 96, spec: { kind: 'conv', cout: 96, k: 1, stride: 1, groups: 1, dilation: 1, act: 'relu' } },
];
const KS = [1, 2, 4, 8];
const chain = (u: (typeof units)[number], k: number): Architecture => {
  const size = u.name.includes(`@${R >> 1}`) ? Math.max(1, R >> 1) : R;
  return { name: `${u.name} ×${k}`, input: [1, u.channels, size, size], dtype: 'f32', layers: Array.from({ length: k }, () => ({ role: 'block' as const, spec: u.spec })) };
};
const protocol: TimingProtocol = { warmup: 10, minRepeats: args.runs, maxRepeats: args.runs, maxTimeMs: 1e9, targetCI: 1e-9 };
const threadsList = [1, 0];
const devices = new Map<number, Device>();
for (const t of threadsList) {
  const d = await resolveDevice('ort-cpu', { threads: t });
  await d.init();
  devices.set(t, d);
}
type Job = { threads: number; unit: string; k: number; model: ModelUnderTest };
const models: Job[] = [];
for (const t of threadsList) {
  models.push({ threads: t, unit: 'overhead', k: 0, model: overheadModel([1, 1, 1, 1]) });
  for (const u of units) for (const k of KS) models.push({ threads: t, unit: u.name, k, model: networkModel(chain(u, k)) });
}
const rng = new Rng(7);
const rows: { threads: number; unit: string; k: number; block: number; median: number }[] = [];
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`load ${load()}; ${models.length} models × ${args.blocks} blocks, ${args.runs} runs each`);
for (let block = 0; block < args.blocks; block++) {
  const order = [...models];
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (const m of order) {
    const r = await devices.get(m.threads)!.time(m.model, protocol);
    rows.push({ threads: m.threads, unit: m.unit, k: m.k, block, median: r.stats.median });
  }
}
const med = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(`load ${load()} at the end\n`);
console.log('| threads | unit | overhead ms | one-unit median ms | LUT counts (median − overhead) ms | slope over k (cost in a chain) ms | intercept ms | LUT count − slope, ms per unit | k=1,2,4,8 medians ms |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const t of threadsList) {
  const ovh = med(rows.filter((r) => r.threads === t && r.unit === 'overhead').map((r) => r.median));
  for (const u of units) {
    const ys = KS.map((k) => med(rows.filter((r) => r.threads === t && r.unit === u.name && r.k === k).map((r) => r.median)));
    // Least squares of the block medians over k.
    const mx = KS.reduce((a, b) => a + b, 0) / KS.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const slope = KS.reduce((s, k, i) => s + (k - mx) * (ys[i] - my), 0) / KS.reduce((s, k) => s + (k - mx) ** 2, 0);
    const intercept = my - slope * mx;
    console.log(
      `| ${t === 0 ? 'default' : t} | ${u.name} | ${ovh.toFixed(4)} | ${ys[0].toFixed(4)} | ${(ys[0] - ovh).toFixed(4)} | ${slope.toFixed(4)} | ${intercept.toFixed(4)} | ${(ys[0] - ovh - slope).toFixed(4)} | ${ys.map((y) => y.toFixed(3)).join(', ')} |`,
    );
  }
}
for (const d of devices.values()) await d.dispose();
