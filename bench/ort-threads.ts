/**
 * How many threads ort-cpu really runs with at each `threads` setting, 0 (onnxruntime's own choice) included:
 * one net timed through device.time at each setting, twice in alternating order, with the process's CPU time over
 * the wall time of the measurement (≈ the threads that were busy), and the threads the process holds while a
 * session of that setting lives (an intra-op pool adds its worker threads).
 *
 *   node --import tsx bench/ort-threads.ts --net MobileNetV2-1.0 --resolution 224 --threads 1,0,2
 */
import { readdirSync, readFileSync } from 'node:fs';
import yargs from 'yargs';
import type * as Ort from 'onnxruntime-node';
import { ortCpuSessionOptions } from '../devices/ort-cpu/index.js';
import { resolveDevice } from '../devices/registry.js';
import { networkModel } from '../export/model.js';
import { loadPublishedNets } from '../src/spaces/published.js';

const args = await yargs(process.argv.slice(2))
  .option('net', { type: 'string', default: 'MobileNetV2-1.0' })
  .option('resolution', { type: 'number', default: 224 })
  .option('threads', { type: 'string', default: '1,0,2' })
  .option('runs', { type: 'number', default: 30 })
  .strict()
  .parse();

const arch = loadPublishedNets({ resolution: args.resolution }).nets.find((n) => n.name === args.net);
if (!arch) throw new Error(`no published net '${args.net}'`);
const model = networkModel(arch);
const settings = args.threads.split(',').map(Number);
const ort = (await import('onnxruntime-node')) as typeof Ort;
const tasks = () => readdirSync('/proc/self/task').length;
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`${args.net} @${args.resolution}, ${args.runs} runs per measurement; load ${load()}; threads in the process with no session: ${tasks()}`);
console.log('| pass | threads setting | median ms | process CPU / wall | threads in the process while a session lives |');
console.log('|---|---|---|---|---|');
for (const pass of [0, 1]) {
  for (const threads of pass ? [...settings].reverse() : settings) {
    const device = await resolveDevice('ort-cpu', { threads });
    await device.init();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await device.time(model, { warmup: 5, minRepeats: args.runs, maxRepeats: args.runs, maxTimeMs: 1e9, targetCI: 1e-9 });
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const session = await ort.InferenceSession.create(model.onnx, ortCpuSessionOptions({ threads, graphOptimizationLevel: 'all' }));
    const held = tasks();
    await session.release();
    await device.dispose();
    console.log(`| ${pass} | ${threads} | ${r.stats.median.toFixed(3)} | ${((cpu.user + cpu.system) / 1000 / wall).toFixed(2)} | ${held} |`);
  }
}
console.log(`load ${load()} at the end`);
