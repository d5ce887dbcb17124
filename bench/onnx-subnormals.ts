/**
 * Whether a file's activations hold subnormal floats (which x86 and WebAssembly compute far slower): the
 * inputs of the units of given ops and input shape, computed by onnxruntime-node on the whole file (fed
 * uniform values in [−1, 1), as bench/onnx-file-cost.ts profiles it), counted. Written for PaddleOCR's
 * detector, whose element-wise units on 1×32×160×160 ran 13–110× slower inside the file than alone on wasm
 * (docs/benchmarks.md, "Issue 17, sixth pass").
 *
 *   node --import tsx bench/onnx-subnormals.ts --ops Mul,Clip --shape 1x32x160x160
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import yargs from 'yargs';
import { unitIo } from '../src/onnx/extract.js';
import { partitionRuleFor, planOnnx } from '../src/onnx/plan.js';

const args = await yargs(process.argv.slice(2))
  .option('file', { type: 'string', default: path.join('node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_PP-OCRv4_det_infer.onnx') })
  .option('input-shape', { type: 'string', default: 'x=1x3x320x320' })
  .option('ops', { type: 'string', default: 'Mul,Clip', describe: "the units' ops (each unit's ops joined by +), comma-separated" })
  .option('shape', { type: 'string', default: '1x32x160x160', describe: "the units' first input shape" })
  .strict()
  .parse();

const [inputName, dims] = args.inputShape.split('=');
const shape = dims.split('x').map(Number);
const plan = await planOnnx(args.file, { inputShapes: { [inputName]: shape }, ...partitionRuleFor('wasm') });
const ops = args.ops.split(',');
const units = plan.units.filter((u) => ops.includes(u.ops.join('+')) && u.inputs[0]?.join('x') === args.shape);
const names = [...new Set(units.flatMap((u) => unitIo(plan.graph, u.unit).inputs.map((t) => t.name)))];
const model = onnxProto.onnx.ModelProto.decode(readFileSync(args.file));
for (const n of names) model.graph!.output!.push(onnxProto.onnx.ValueInfoProto.create({ name: n, type: { tensorType: { elemType: 1 } } }));
const ort = await import('onnxruntime-node');
const session = await ort.InferenceSession.create(onnxProto.onnx.ModelProto.encode(model).finish(), { intraOpNumThreads: 1 });
// The same values ort-profile.ts feeds for 'uniform' (xorshift32).
let state = 0x2545f491;
const x = new Float32Array(shape.reduce((a, b) => a * b, 1));
for (let i = 0; i < x.length; i++) {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  x[i] = ((state >>> 0) / 2 ** 32) * 2 - 1;
}
const out = await session.run({ [inputName]: new ort.Tensor('float32', x, shape) });
console.log(`${units.length} units (${args.ops} on ${args.shape}) of ${args.file}, their ${names.length} input tensors:`);
for (const n of names) {
  const d = out[n].data as Float32Array;
  let subnormal = 0;
  let zero = 0;
  for (const v of d) {
    if (v === 0) zero++;
    else if (Math.abs(v) < 1.1754944e-38) subnormal++;
  }
  console.log(`  ${n}: ${d.length} values, ${subnormal} subnormal, ${zero} zero`);
}
await session.release();
