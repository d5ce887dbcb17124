/**
 * Training step time of the reference MBConv net (src/train/reference-net.ts, 28x28x1, batch 64) on
 * each training backend: forward + loss + backward + SGD update, the same trainStep the trainer runs.
 * Prints a markdown table with the step time, the step's arithmetic (forward multiply-accumulates
 * from the op catalog, times 3 for forward + backward) and the rate achieved (GFLOP/s, 2 FLOP per
 * MAC), then where the time goes on wasm (tf.profile, per kernel).
 *
 *   node --import tsx bench/train-step.ts [--batch 64] [--steps 5] [--variants wasm,cpu-kernels,cpu,tensorflow] [--profile]
 *
 * Variants: wasm = wasm + SIMD with the training kernels; cpu-kernels = cpu backend with the same
 * replacement kernels; cpu = cpu with tfjs's own kernels; tensorflow = tfjs-node when installed.
 * The plain cpu backend takes tens of seconds per step: it runs one measured step.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { placeLayers } from '../src/core/arch.js';
import { macs } from '../src/core/ops.js';
import { Rng } from '../src/core/rng.js';
import { useTrainingBackend, type BackendPreference } from '../src/train/backend.js';
import { registerTrainingKernels } from '../src/train/kernels/register.js';
import { Network } from '../src/train/nn/network.js';
import { DEFAULT_OPTIMIZER, Optimizer } from '../src/train/optimizer.js';
import { referenceNet } from '../src/train/reference-net.js';
import { trainStep } from '../src/train/trainer.js';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '5' },
    variants: { type: 'string', default: 'wasm,cpu-kernels,cpu,tensorflow' },
    profile: { type: 'boolean', default: false },
  },
});
const batchSize = Number(values.batch);
const steps = Number(values.steps);
const arch = referenceNet();
const forwardMacs = placeLayers({ ...arch, input: [batchSize, 1, 28, 28] }).reduce((s, p) => s + macs(p.inst), 0);
const rng = new Rng(1);
const batch = {
  x: rng.fill(batchSize * 28 * 28),
  labels: Uint8Array.from({ length: batchSize }, (_, i) => i % 10),
  count: batchSize,
};

interface Row {
  variant: string;
  detail: string;
  /** Wall-clock and CPU (user + system) milliseconds of each measured step. */
  ms: number[];
  cpuMs: number[];
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function measure(variant: string): Promise<Row | string> {
  const prefer: BackendPreference = variant === 'cpu-kernels' ? 'cpu' : (variant as BackendPreference);
  let detail: string;
  try {
    detail = (await useTrainingBackend(prefer, { stockCpuKernels: variant === 'cpu' })).detail;
  } catch (e) {
    return `${variant}: not available (${(e as Error).message.split('\n')[0]})`;
  }
  const restore = variant === 'cpu-kernels' ? registerTrainingKernels('cpu') : undefined;
  const net = new Network(arch, { seed: 1 });
  const optimizer = new Optimizer(DEFAULT_OPTIMIZER, net.params());
  const slow = variant === 'cpu';
  const ms: number[] = [];
  const cpuMs: number[] = [];
  try {
    for (let i = 0; i < (slow ? 1 : 2); i++) trainStep(net, optimizer, batch, 0.01);
    for (let i = 0; i < (slow ? 1 : steps); i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      trainStep(net, optimizer, batch, 0.01);
      const c = process.cpuUsage(c0);
      ms.push(performance.now() - t0);
      cpuMs.push((c.user + c.system) / 1000);
    }
    if (values.profile && variant === 'wasm') await profile(net, optimizer);
  } finally {
    optimizer.dispose();
    net.dispose();
    // cpu with tfjs's own kernels must not keep ours after this variant.
    if (variant === 'cpu-kernels') restore?.();
  }
  return { variant, detail, ms, cpuMs };
}

async function profile(net: Network, optimizer: Optimizer): Promise<void> {
  const info = await tf.profile(() => {
    trainStep(net, optimizer, batch, 0.01);
    return tf.scalar(0);
  });
  const byKernel = new Map<string, number>();
  for (const k of info.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
  console.log(`\nwasm, one step by kernel (${info.kernels.length} kernel calls, ${total.toFixed(0)} ms inside kernels):\n`);
  console.log('| kernel | ms | share |');
  console.log('|---|---|---|');
  for (const [k, v] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`| ${k} | ${v.toFixed(1)} | ${((100 * v) / total).toFixed(0)}% |`);
}

const rows: (Row | string)[] = [];
for (const v of String(values.variants).split(',')) rows.push(await measure(v.trim()));

const flop = 2 * 3 * forwardMacs;
console.log(`\nreference net '${arch.name}', batch ${batchSize}, 28x28x1: forward ${(forwardMacs / 1e6).toFixed(0)} M MACs, step (forward + backward ≈ 3x) ${(flop / 1e9).toFixed(2)} GFLOP\n`);
// On a shared machine wall time includes waiting for a core; CPU time (the process is one thread of
// compute) is what the step costs, and GFLOP/s is computed from it.
console.log('| variant | backend | step ms, wall (median) | step ms, CPU (median) | min CPU | steps | GFLOP/s (CPU) |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  if (typeof r === 'string') continue;
  const cpu = median(r.cpuMs);
  console.log(`| ${r.variant} | ${r.detail} | ${median(r.ms).toFixed(0)} | ${cpu.toFixed(0)} | ${Math.min(...r.cpuMs).toFixed(0)} | ${r.ms.length} | ${(flop / cpu / 1e6).toFixed(2)} |`);
}
for (const r of rows) if (typeof r === 'string') console.log(`\n${r}`);
