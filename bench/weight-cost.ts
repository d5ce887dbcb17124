/**
 * The calibration's weight cost (src/predict/weight-cost.ts) as `nas profile --calibrate` measures it, on either
 * runtime whose kernels this process can profile (ort-cpu, wasm; 1 thread, level all), on the first N calibration
 * networks of a space (src/predict/calibration-plan.ts), REPEAT times in one process; then, with --detail, the
 * profiled blocks' sums (matched kernels in the network and alone, and what did not pair) and every sixth block.
 *
 *   node --import tsx bench/weight-cost.ts --device wasm|cpu [--space regnet] [--resolution 128] [--threads 1] [--nets 4] [--repeat 2] [--detail]
 */
import { readFileSync } from 'node:fs';
import { useWasmCompiler } from '../devices/ort-wasm/compiler.js';
import { calibrationNetsOf } from '../src/predict/calibration-plan.js';
import { measureWeightCost, profileBlocks, type WeightCostRuntime } from '../src/predict/weight-cost.js';
import { createSpace } from '../src/spaces/registry.js';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const device = arg('device', 'wasm');
if (device !== 'wasm' && device !== 'cpu') throw new Error(`--device must be wasm or cpu, got ${device}`);
const runtime: WeightCostRuntime = device === 'wasm' ? 'wasm' : 'ort-cpu';
// As the wasm device starts its runtime (devices/ort-wasm/compiler.ts): TurboFan from the first call.
if (runtime === 'wasm') useWasmCompiler('turbofan');
const space = createSpace(arg('space', 'mbv2'), { resolution: Number(arg('resolution', '128')) });
const n = Number(arg('nets', '4'));
// ort-cpu's intra-op threads (0: onnxruntime chooses, as its default); wasm runs 1.
const threads = runtime === 'wasm' ? 1 : Number(arg('threads', '1'));
const nets = calibrationNetsOf(space, Math.max(n, 3));
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
for (let rep = 0; rep < Number(arg('repeat', '2')); rep++) {
  const t0 = Date.now();
  const w = await measureWeightCost(nets, n, { runtime, threads });
  console.log(
    `${runtime} (${threads} threads) ${space.id}@${space.resolution}: ${(w.perWeightByteMs * 2 ** 20 * 1000).toFixed(1)} µs/MiB + ${(w.perUnitMs * 1000).toFixed(1)} µs per block ` +
      `(${w.blocks} blocks of ${n} nets, residual RMS ${(w.residualMs * 1000).toFixed(1)} µs), ${((Date.now() - t0) / 1000).toFixed(1)} s, load ${load()}`,
  );
}
if (argv.includes('--detail')) {
  const blocks = await profileBlocks(nets.slice(0, n), 20, threads, runtime);
  const sum = (f: (b: (typeof blocks)[number]) => number) => blocks.reduce((t, b) => t + f(b), 0).toFixed(2);
  console.log(`paired kernels: ${sum((b) => b.matchedNetMs)} ms in the networks, ${sum((b) => b.matchedAloneMs)} ms alone; unpaired: ${sum((b) => b.aloneOnlyMs)} ms alone, ${sum((b) => b.netOnlyMs)} ms in the networks`);
  for (const b of blocks.filter((_, i) => i % 6 === 0))
    console.log(`${b.net} layer ${b.layer} ${b.key}: ${(b.weightBytes / 2 ** 20).toFixed(2)} MiB, ${b.matchedNetMs.toFixed(3)} ms in the network, ${b.matchedAloneMs.toFixed(3)} ms alone`);
}
