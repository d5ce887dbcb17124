/**
 * What a device pays per run for a model's inputs and outputs: the same models timed by one device under
 * option variants (e.g. outputs=full against outputs=sliced, or webgpu-native's inputs=cpu against
 * inputs=gpu-buffer), each variant its own device instance, alternated in a shuffled order over several
 * rounds so drift and neighbours hit all variants alike. The models (--models) are ladders at growing
 * resolutions of 1×1 convs, output-heavy (conv16-64: 16 → 64 channels) and input-heavy (conv64-16), and of
 * the overhead model (identity: one Identity of 64 channels, the model whose run is its I/O and dispatch
 * only): the figures are what a LUT entry of each would get (device.time, the device's own harness). Prints per model and variant the median of the round medians and the median over
 * rounds of (variant / first variant). Asserts nothing.
 *
 *   node --import tsx bench/device-io.ts --device webgpu-native --set timing=wall --variants inputs=cpu inputs=gpu-buffer
 *   node --import tsx bench/device-io.ts --device webgpu --set timing=wall --variants outputs=full outputs=sliced
 *   node --import tsx bench/device-io.ts --device browser-wasm --variants outputs=full outputs=sliced
 */
import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { resolveDevice } from '../devices/registry.js';
import type { Device, DeviceOptions, ModelUnderTest, TimingProtocol } from '../devices/types.js';
import { opModel, overheadModel } from '../export/model.js';
import { instance } from '../src/core/ops.js';
import { Rng } from '../src/core/rng.js';

const args = await yargs(process.argv.slice(2))
  .option('device', { type: 'string', demandOption: true })
  .option('variants', { type: 'array', string: true, demandOption: true, describe: 'one key=value[,key=value] per variant; the first is the baseline' })
  .option('set', { type: 'array', string: true, default: [] as string[], describe: 'options every variant gets (key=value)' })
  .option('resolutions', { type: 'string', default: '14,28,56,112' })
  .option('models', { type: 'string', default: 'identity,conv16-64,conv64-16' })
  .option('rounds', { type: 'number', default: 5 })
  .option('max-time-ms', { type: 'number', default: 600, describe: 'per model and round' })
  .option('min-repeats', { type: 'number', default: 20 })
  .option('seed', { type: 'number', default: 0 })
  .strict()
  .parse();

const parseKv = (items: readonly string[]): DeviceOptions =>
  Object.fromEntries(
    items.flatMap((s) => s.split(',')).filter(Boolean).map((kv) => {
      const i = kv.indexOf('=');
      if (i < 1) throw new Error(`not key=value: ${kv}`);
      return [kv.slice(0, i), kv.slice(i + 1)];
    }),
  );
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const common = parseKv(args.set);
const variants = args.variants.map((v) => ({ name: v, options: { ...common, ...parseKv([v]) } }));
const protocol: TimingProtocol = { warmup: 5, minRepeats: args.minRepeats, maxRepeats: 2000, maxTimeMs: args.maxTimeMs, targetCI: 0.02 };

const models: { label: string; bytesIn: number; bytesOut: number; model: ModelUnderTest }[] = [];
const resolutions = args.resolutions.split(',').map(Number);
for (const kind of args.models.split(','))
  for (const r of resolutions) {
    if (kind === 'identity') {
      models.push({ label: `Identity 64ch @${r}`, bytesIn: 4 * 64 * r * r, bytesOut: 4 * 64 * r * r, model: overheadModel([1, 64, r, r]) });
      continue;
    }
    const m = /^conv(\d+)-(\d+)$/.exec(kind);
    if (!m) throw new Error(`--models: unknown '${kind}' (identity, convCIN-COUT)`);
    const [cin, cout] = [Number(m[1]), Number(m[2])];
    const inst = instance({ kind: 'conv', cout, k: 1, stride: 1, groups: 1, dilation: 1, act: 'none' }, [1, cin, r, r]);
    models.push({ label: `conv1x1 ${cin}→${cout} @${r}`, bytesIn: 4 * cin * r * r, bytesOut: 4 * cout * r * r, model: opModel(inst) });
  }

const devices: Device[] = [];
console.log(`${args.device}, variants ${variants.map((v) => v.name).join(' | ')}, common options ${JSON.stringify(common)}; ${args.rounds} rounds; load average ${loadavg()} at ${new Date().toISOString()}`);
for (const v of variants) {
  const d = await resolveDevice(args.device, v.options);
  const info = await d.init();
  console.log(`  ${v.name}: options ${JSON.stringify(info.options)}\n    timing: ${info.timing}`);
  devices.push(d);
}

const rng = new Rng(args.seed);
/** medians[model][variant] = one round median per round. */
const medians = models.map(() => variants.map(() => [] as number[]));
const t0 = performance.now();
for (let round = 0; round < args.rounds; round++) {
  const order = models.flatMap((_, m) => variants.map((_, v) => [m, v] as const));
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (const [m, v] of order) {
    const r = await devices[v].time(models[m].model, protocol);
    medians[m][v].push(r.stats.median);
  }
  process.stderr.write(`round ${round + 1}/${args.rounds} done (${((performance.now() - t0) / 1000).toFixed(0)} s, load ${loadavg()})\n`);
}
for (const d of devices) await d.dispose();

const kb = (b: number) => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${(b / 1e3).toFixed(0)} KB`);
console.log(`\n| model | input | output | ${variants.map((v) => `${v.name} ms`).join(' | ')} | ${variants.slice(1).map((v) => `${v.name} / ${variants[0].name}`).join(' | ')} |`);
console.log(`|---|---|---|${variants.map(() => '---|').join('')}${variants.slice(1).map(() => '---|').join('')}`);
for (const [m, mod] of models.entries()) {
  const ms = medians[m].map((xs) => median(xs).toFixed(4));
  const ratios = variants.slice(1).map((_, k) => median(medians[m][k + 1].map((x, round) => x / medians[m][0][round])).toFixed(3));
  console.log(`| ${mod.label} | ${kb(mod.bytesIn)} | ${kb(mod.bytesOut)} | ${ms.join(' | ')} | ${ratios.join(' | ')} |`);
}
console.log(`\n${((performance.now() - t0) / 1000).toFixed(0)} s; load average ${loadavg()} at ${new Date().toISOString()}`);
