/**
 * What the outputs=sliced rewrite (devices/ort-outputs.ts) costs per time() call without and with its cache:
 * slicedOutputs (decode, add the Slices, encode) on a whole network, against timedBytes called again for the
 * same bytes (the cached rewrite). Outside the timed region either way; the question is the work between
 * rounds. Asserts nothing.
 *
 *   node --import tsx bench/sliced-rewrite.ts --space mbv2 --resolution 224 --repeats 7
 */
import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { slicedOutputs, timedBytes } from '../devices/ort-outputs.js';
import { networkModel } from '../export/model.js';
import { Rng } from '../src/core/rng.js';
import { createSpace } from '../src/spaces/registry.js';

const args = await yargs(process.argv.slice(2))
  .option('space', { type: 'string', default: 'mbv2' })
  .option('resolution', { type: 'number', default: 224 })
  .option('seed', { type: 'number', default: 0 })
  .option('repeats', { type: 'number', default: 7 })
  .strict()
  .parse();

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const timed = async (f: () => Promise<unknown>) => {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
};

const space = createSpace(args.space, { resolution: args.resolution });
const model = networkModel(space.build(space.sample(new Rng(args.seed))));
console.log(`${args.space}@${args.resolution}, random net of seed ${args.seed}: ${(model.onnx.byteLength / 1e6).toFixed(2)} MB of ONNX; load average ${loadavg()}`);
await slicedOutputs(new Uint8Array([0])); // onnx-proto loaded before timing
const rewrite: number[] = [];
const cached: number[] = [];
for (let i = 0; i < args.repeats; i++) {
  // A copy each time: a fresh identity, so timedBytes rewrites it (as for a model exported again).
  const fresh = model.onnx.slice();
  rewrite.push(await timed(() => timedBytes(fresh, 'sliced')));
  cached.push(await timed(() => timedBytes(fresh, 'sliced')));
}
console.log(`rewrite (first timedBytes of new bytes): median ${median(rewrite).toFixed(1)} ms [${rewrite.map((x) => x.toFixed(1)).join(', ')}]`);
console.log(`cached (timedBytes again, same bytes): median ${median(cached).toFixed(3)} ms [${cached.map((x) => x.toFixed(3)).join(', ')}]`);
console.log(`load average ${loadavg()}`);
