/**
 * What a model timed alone pays per run to be fed one input, by the input's size, on the device's own harness
 * (device.time, outputs sliced as LUTs are measured): a Slice of the input's first element (nothing to compute),
 * against the same model on a one-element input. onnxruntime-web copies every input into its heap on every run,
 * which a unit inside its file does not (its input is the kernel before's output, already there); is that copy's
 * cost per byte the same for a tensor within a core's L2 and one beyond it? (src/onnx/feeds.ts, COPY_SIZES.)
 * Prints each size's median, the extra over the one-element model and µs per MiB. Asserts nothing.
 *
 *   node --import tsx bench/feed-copy-size.ts --device wasm --threads 1
 */
import yargs from 'yargs';
import { resolveDevice } from '../devices/registry.js';
import { timeModelsInRounds } from '../devices/measurables.js';
import { DEFAULT_PROTOCOL, type TimingProtocol } from '../devices/types.js';
import { copyModelOf } from '../src/onnx/feeds.js';
import { l2CacheBytes } from '../src/onnx/cache-size.js';
import { loadavg } from './wall-blocks.js';

const args = await yargs(process.argv.slice(2))
  .option('device', { type: 'string', default: 'wasm' })
  .option('threads', { type: 'number', default: 1 })
  .option('rounds', { type: 'number', default: 5 })
  .option('kib', { type: 'string', default: '64,256,512,1024,1536,2048,4096,8192', describe: 'input sizes, KiB, comma separated' })
  .strict()
  .parse();

const sizes = args.kib.split(',').map(Number);
const models = [copyModelOf([1, 1, 1, 1], 'size:1'), ...sizes.map((k) => copyModelOf([1, 1, k / 4, 1024], `size:${k}`))];
const device = await resolveDevice(args.device, { threads: args.threads });
const info = await device.init();
const protocol: TimingProtocol = { ...DEFAULT_PROTOCOL, warmup: 10, minRepeats: 30, maxRepeats: 4000, maxTimeMs: 400, targetCI: 0.02, rounds: args.rounds };
const load0 = loadavg();
const results = await timeModelsInRounds(
  device,
  models.map((m) => ({ id: m.key, build: () => m })),
  protocol,
  { seed: 1 },
);
await device.dispose();
console.log(`device ${info.device} (${info.runtime} ${info.runtimeVersion}, ${JSON.stringify(info.options)}); L2 ${l2CacheBytes()} bytes; ${args.rounds} rounds; load ${load0} → ${loadavg()}`);
const base = results[0].stats.median;
console.log(`\n| input KiB | median ms | extra over one element, ms | µs per MiB |\n|---|---|---|---|\n| (one element) | ${base.toFixed(4)} | | |`);
sizes.forEach((k, i) => {
  const m = results[i + 1].stats.median;
  console.log(`| ${k} | ${m.toFixed(4)} | ${(m - base).toFixed(4)} | ${((1000 * (m - base)) / (k / 1024)).toFixed(1)} |`);
});
