/**
 * Each kernel's time (onnxruntime-web's profiler, 1 thread, medians of the runs after the first 5) inside runs of
 * consecutive units of a file, each run of units extracted as one model (src/onnx/extract.ts), fed uniform values in
 * [-1, 1): does a unit's kernel cost what it costs alone when the kernels before it compute its input? (PP-OCRv4 det's
 * weight-free units run up to 25× slower inside the file than alone on wasm: docs/benchmarks.md, "Issue 17: the input
 * copy beyond the L2".) Asserts nothing.
 *
 *   node --import tsx bench/onnx-segment-kernels.ts --file det --units 14-14,13-14,10-18,0-18
 */
import yargs from 'yargs';
import { unitModel } from '../src/onnx/extract.js';
import { wasmProfileTrace } from '../src/onnx/ort-profile.js';
import { partitionRuleFor, planOnnx } from '../src/onnx/plan.js';
import { fileOrNet } from './onnx-files.js';
import { loadavg } from './wall-blocks.js';

const args = await yargs(process.argv.slice(2))
  .option('file', { type: 'string', default: 'det', describe: 'det, rec, cls, or a published net name' })
  .option('units', { type: 'string', default: '14-14,13-14,10-18,0-18', describe: 'ranges of unit indices (the plan\'s order), comma separated' })
  .option('runs', { type: 'number', default: 25 })
  .strict()
  .parse();
const f = fileOrNet(args.file, 64, (n) => `/tmp/${n}.onnx`);
const plan = await planOnnx(f.file, { inputShapes: f.inputShapes, ...partitionRuleFor('wasm') });
console.log(`${args.file}: ${plan.units.length} units; load ${loadavg()}`);
for (const r of args.units.split(',')) {
  const [a, b] = r.split('-').map(Number);
  const us = plan.units.slice(a, b + 1);
  const m = unitModel(plan.graph, { nodes: us.flatMap((u) => u.unit.nodes), kernel: us[0].unit.kernel });
  const { trace } = await wasmProfileTrace(m.onnx, m.inputs, plan.level, args.runs, 'uniform');
  const by = new Map<string, number[]>();
  for (const e of JSON.parse(trace) as { cat: string; name: string; dur: number }[])
    if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) by.set(e.name.slice(0, -12), [...(by.get(e.name.slice(0, -12)) ?? []), e.dur]);
  const med = (v: number[]) => v.slice(5).sort((x, y) => x - y)[Math.floor((v.length - 5) / 2)];
  console.log(`units ${r}: ${[...by].map(([k, v]) => `${k} ${med(v)} µs`).join(', ')}`);
}
console.log(`load ${loadavg()}`);
