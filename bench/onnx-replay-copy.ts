/**
 * Replay (measures nothing): what a per-byte input-copy correction would do on a finished onnx-fidelity run on wasm.
 * onnxruntime-web copies every input of a model into its heap on every run (bench/onnx-unit-gap.ts's feed ladder:
 * 42.4 µs per MiB at load 11–13, docs/benchmarks.md "Issue 17: why the PP-OCR mobile direction classifier…"), which
 * a unit alone pays and inside its file does not. Each unit not counted at its in-chain figure, whose activations fit
 * in a core's L2 (chainMaxBytes), is counted less --per-mib × its run-time input MiB; the LUT's in-file fit is kept
 * as it is (not refitted). Prints every file's error with and without it.
 *
 *   node --import tsx bench/onnx-replay-copy.ts --run out/bench/onnx-fidelity-wasm-t1-64.json --npm-dir …
 */
import path from 'node:path';
import yargs from 'yargs';
import { readLut } from '../lut/store.js';
import { chainMaxBytes } from '../src/onnx/extract.js';
import { partitionRuleFor, planOnnx } from '../src/onnx/plan.js';
import { predictOnnx } from '../src/onnx/predict.js';
import { OCR_MODELS, packedModels } from './npm-models.js';

const args = await yargs(process.argv.slice(2))
  .option('run', { type: 'string', demandOption: true })
  .option('npm-dir', { type: 'string', demandOption: true })
  .option('per-mib', { type: 'number', default: 0.0424, describe: 'ms per MiB of input copied' })
  .strict()
  .parse();
const { readFileSync } = await import('node:fs');
const run = JSON.parse(readFileSync(args.run, 'utf8'));
const lut = readLut(args.run.replace(/\.json$/, '.lut.json'));
const rule = partitionRuleFor(run.device);
const files = [...Object.values(OCR_MODELS), ...packedModels(args.npmDir)];
const dir = path.join(path.dirname(args.run), 'onnx-fidelity-files');
console.log(`run ${args.run}; ${args.perMib * 1000} µs per MiB, units within ${chainMaxBytes()} bytes of activations\n`);
console.log('| file | set | measured ms | error as run | with the copy correction | copy taken off ms |\n|---|---|---|---|---|---|');
for (const p of run.points as { name: string; set: string; measured: number; errorPct: number }[]) {
  const f = files.find((x) => x.name === p.name);
  const file = f?.file ?? (p.set === 'published' ? path.join(dir, `pub-${p.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.onnx`) : path.join(dir, `rand-${p.name.split('#')[1]}.onnx`));
  const plan = await planOnnx(file, { inputShapes: f?.inputShapes, ...rule });
  const pred = predictOnnx(lut, plan);
  let off = 0;
  for (const u of plan.units) {
    const chained = u.chainKey && Object.hasOwn(lut.entries, u.chainKey);
    if (chained || u.bytes > chainMaxBytes()) continue;
    const inMiB = (4 * u.inputs.reduce((t, s) => t + s.reduce((a, b) => a * b, 1), 0)) / 2 ** 20;
    off += Math.min(lut.entries[u.key]?.net ?? 0, args.perMib * inMiB);
  }
  const e = (x: number) => `${((100 * (x - p.measured)) / p.measured).toFixed(1)}%`;
  console.log(`| ${p.name} | ${p.set} | ${p.measured.toFixed(3)} | ${e(pred.ms)} | ${e(pred.ms - off)} | ${off.toFixed(3)} |`);
}
