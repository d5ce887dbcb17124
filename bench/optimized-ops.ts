/**
 * What onnxruntime-node (CPU) makes of a space's network: op counts of the exported graph and of the graph it
 * runs at levels basic and all (its optimised model), for the first random net of a seed. Shows what a network
 * merges, fuses or converts that its LUT units, each alone, cannot (docs/benchmarks.md, issue 11 sections).
 *
 *   node --import tsx bench/optimized-ops.ts --space darts --resolution 32 --seed 0
 */
import onnxProto from 'onnx-proto';
import yargs from 'yargs';
import { Rng } from '../src/core/rng.js';
import { ortOptimizedModelNodes } from '../src/onnx/partition.js';
import { createSpace } from '../src/spaces/registry.js';
import { networkModel } from '../export/model.js';

const args = await yargs(process.argv.slice(2))
  .option('space', { type: 'string', default: 'darts' })
  .option('resolution', { type: 'number', default: 32 })
  .option('seed', { type: 'number', default: 0 })
  .strict()
  .parse();
const space = createSpace(args.space, { resolution: args.resolution });
const arch = space.build(space.sample(new Rng(args.seed)));
const model = networkModel(arch);
const count = (ops: string[]) => Object.fromEntries([...new Set(ops)].sort().map((o) => [o, ops.filter((x) => x === o).length]));
const exported = onnxProto.onnx.ModelProto.decode(model.onnx).graph?.node ?? [];
const reluInputs = new Set(exported.filter((n) => n.opType === 'Relu').map((n) => n.input?.[0]));
console.log(`${arch.name}`);
console.log(`exported: ${JSON.stringify(count(exported.map((n) => n.opType ?? '')))}; distinct Relu inputs ${reluInputs.size}`);
for (const level of ['basic', 'all'] as const) console.log(`${level}: ${JSON.stringify(count((await ortOptimizedModelNodes(model.onnx, level)).nodes.map((n) => n.op)))}`);
