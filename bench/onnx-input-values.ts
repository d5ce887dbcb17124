/**
 * Do a file's kernel times depend on the values it is fed, or on the session? Every unit is timed alone on
 * constant inputs (0.5, as the harness feeds), so a runtime whose kernels ran slower or faster on other
 * values (denormal floats, which WebAssembly cannot flush to zero, were the suspect) would predict its
 * files off by that much. Profiles each file whole with onnxruntime's profiler, a new session for each
 * profile, alternating 0.5 and uniform [−1, 1) inputs (fastest of --runs runs per kernel, summed), --rounds
 * times, and prints both sums: the two columns compare values, the rounds compare sessions.
 *
 *   node dist/bench/onnx-input-values.js --device wasm --rounds 2
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { ortProfileModel, wasmProfileModel, type InputValues } from '../src/onnx/ort-profile.js';
import { renamedModelBytes } from '../src/onnx/partition.js';
import { partitionRuleFor, planOnnx } from '../src/onnx/plan.js';

const args = await yargs(process.argv.slice(2))
  .option('device', { choices: ['cpu', 'wasm'] as const, default: 'wasm' as const })
  .option('rounds', { type: 'number', default: 2 })
  .option('runs', { type: 'number', default: 10 })
  .strict()
  .parse();

const OCR = path.join('node_modules', '@gutenye', 'ocr-models', 'assets');
const files = [
  { name: 'PP-OCRv4 det @320x320', file: path.join(OCR, 'ch_PP-OCRv4_det_infer.onnx'), inputShapes: { x: [1, 3, 320, 320] } },
  { name: 'PP-OCRv4 rec @48x320', file: path.join(OCR, 'ch_PP-OCRv4_rec_infer.onnx'), inputShapes: { x: [1, 3, 48, 320] } },
  { name: 'PP-OCR mobile cls @48x192', file: path.join(OCR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'), inputShapes: { x: [1, 3, 48, 192] } },
];
const rule = partitionRuleFor(args.device);
const profile = args.device === 'wasm' ? wasmProfileModel : ortProfileModel;
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`${args.device === 'wasm' ? 'onnxruntime-web (wasm)' : 'onnxruntime-node (ort-cpu)'}, 1 thread, level ${rule.level}${rule.nchwc ? '' : ' without NCHWc'}; Σ kernels, each its fastest of ${args.runs} runs; load ${load()}`);
console.log('\n| file | round | inputs 0.5, ms | inputs uniform [−1, 1), ms | uniform / 0.5 |\n|---|---|---|---|---|');
for (const f of files) {
  const plan = await planOnnx(f.file, { inputShapes: f.inputShapes, ...rule });
  const bytes = renamedModelBytes(plan.graph);
  for (let r = 0; r < args.rounds; r++) {
    const ms: Record<InputValues, number> = { half: 0, uniform: 0 };
    for (const v of ['half', 'uniform'] as const) ms[v] = (await profile(bytes, plan.graph.inputs, rule.level, args.runs, v)).reduce((t, k) => t + k.minUs, 0) / 1000;
    console.log(`| ${f.name} | ${r + 1} | ${ms.half.toFixed(2)} | ${ms.uniform.toFixed(2)} | ${(ms.uniform / ms.half).toFixed(2)} |`);
  }
}
console.log(`\nload at the end ${load()}`);
