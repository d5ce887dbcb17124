/**
 * What a model timed alone pays per run for each of its run-time inputs and outputs beyond the overhead model's
 * one, on the device's own harness (device.time, outputs sliced as LUTs are measured): a unit inside its file
 * binds nothing (its inputs are the kernel before's outputs), alone it is fed one tensor per run-time input and
 * hands back one (sliced) output per output. Models (all tensors 1×C×H×W, nothing to compute beyond a Sum):
 *
 *   in<k>@<C>x<H>   k inputs summed into one output (Sum of one input: the single-input baseline)
 *   out<j>@<C>x<H>  one input handed on as j outputs (Identity each)
 *
 * at a one-element shape and at a unit-sized one. Prints each model's median (ms) and the differences that are
 * a per-input and a per-output cost. Asserts nothing.
 *
 *   node --import tsx bench/unit-io-cost.ts --device cpu --threads 1
 */
import onnxProto from 'onnx-proto';
import yargs from 'yargs';
import { resolveDevice } from '../devices/registry.js';
import { timeModelsInRounds } from '../devices/measurables.js';
import { DEFAULT_PROTOCOL, type ModelUnderTest, type TimingProtocol } from '../devices/types.js';
import { loadavg } from './wall-blocks.js';

const { onnx } = onnxProto;
const args = await yargs(process.argv.slice(2))
  .option('device', { type: 'string', default: 'cpu' })
  .option('threads', { type: 'number', default: 1 })
  .option('rounds', { type: 'number', default: 5 })
  .option('shapes', { type: 'string', default: '1x1x1,16x24x24', describe: 'C×H×W of every tensor, comma separated' })
  .strict()
  .parse();

const vi = (name: string, shape: number[]) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } });

function model(key: string, shape: number[], inputs: number, outputs: number): ModelUnderTest {
  const ins = Array.from({ length: inputs }, (_, i) => `x${i}`);
  const node =
    outputs === 1 ? [{ opType: 'Sum', input: ins, output: ['y0'], name: 'sum' }] : Array.from({ length: outputs }, (_, j) => ({ opType: 'Identity', input: ['x0'], output: [`y${j}`], name: `id${j}` }));
  const graph = { name: key, node, input: ins.map((n) => vi(n, shape)), output: Array.from({ length: outputs }, (_, j) => vi(`y${j}`, shape)) };
  const m = onnx.ModelProto.create({ irVersion: 7, producerName: 'unit-io-cost', opsetImport: [{ domain: '', version: 13 }], graph });
  return { key, onnx: onnx.ModelProto.encode(m).finish(), inputs: ins.map((name) => ({ name, shape })), ops: [] };
}

const device = await resolveDevice(args.device, { threads: args.threads });
const info = await device.init();
const protocol: TimingProtocol = { ...DEFAULT_PROTOCOL, warmup: 10, minRepeats: 50, maxRepeats: 4000, maxTimeMs: 400, targetCI: 0.02, rounds: args.rounds };
const models: ModelUnderTest[] = [];
for (const s of args.shapes.split(',')) {
  const shape = [1, ...s.split('x').map(Number)];
  for (const k of [1, 2, 3, 4]) models.push(model(`in${k}@${s}`, shape, k, 1));
  for (const j of [2, 3]) models.push(model(`out${j}@${s}`, shape, 1, j));
}
const load0 = loadavg();
const results = await timeModelsInRounds(
  device,
  models.map((m) => ({ id: m.key, build: () => m })),
  protocol,
  { seed: 1 },
);
await device.dispose();
const ms = new Map(models.map((m, i) => [m.key, results[i].stats.median]));
console.log(`device ${info.device} (${info.runtime} ${info.runtimeVersion}, ${JSON.stringify(info.options)}); ${args.rounds} rounds; load ${load0} → ${loadavg()}`);
console.log('| model | median µs | − in1 µs |\n|---|---|---|');
for (const m of models) {
  const base = ms.get(`in1@${m.key.split('@')[1]}`)!;
  console.log(`| ${m.key} | ${(1000 * ms.get(m.key)!).toFixed(2)} | ${(1000 * (ms.get(m.key)! - base)).toFixed(2)} |`);
}
