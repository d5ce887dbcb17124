/**
 * The two forms of the training kernels' filter gradient (src/train/kernels/conv2d-backprop-filter.ts:
 * per-tap products `taps`, one forward convolution `conv`) per shape, in one process: for each case
 * the two forms alternate call by call, and the table gives the CPU ms per call of each (median), their
 * ratio, which form `auto` picks, and how far apart the two results are (max |a − b| / max |a|).
 * Shapes: the NB201 cells the zero-cost proxies score (batch 64, 16 px), the reference MBConv net's
 * training step (batch 64, 28 px), a strided conv, a 5×5, a dilated conv as GeneralConv runs it
 * (zero-inserted 5×5 kernel on the explicitly padded input, 'valid') and a grouped one (one call per
 * group on its channel slice), and depthwise convs: the training kernel's DepthwiseConv2dNativeBackpropFilter
 * (per tap, `taps`) against a candidate written here (`conv`: one depthwise convolution of x seen as
 * [1, h, w, n·c] by dy seen as the filter [oh, ow, n·c, 1], the n images' results summed), which lost
 * on every shape and so is not in src/.
 *
 * With --proxy-cells N (wasm): then all six zero-cost proxies on the first N cells of the NB201 seed-0
 * sample (bench/proxies-nb201.ts's), one net per cell, scored with the filter gradient forced to `taps`
 * and left to `auto`, alternating which goes first: CPU s per cell and the largest score difference.
 *
 *   node --import tsx bench/conv-filter-grad.ts [--backend wasm|cpu] [--reps 15] [--only substring] [--proxy-cells N]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../src/core/rng.js';
import { loadTf, ProxyScorer } from '../src/evaluators/proxy/index.js';
import { BASE_PROXY_NAMES } from '../src/evaluators/proxy/scores.js';
import { createNb201Space, nb201Connected } from '../src/spaces/nb201.js';
import { useTrainingBackend } from '../src/train/backend.js';
import { filterGradForm } from '../src/train/kernels/conv2d-backprop-filter.js';
import { geometry, type ConvGeometry } from '../src/train/kernels/conv-layout.js';
import { reshaped, trainingKernel, type KernelHost } from '../src/train/kernels/host.js';
import { withFilterGradForm } from '../src/train/kernels/register.js';

const { values } = parseArgs({
  options: { backend: { type: 'string', default: 'wasm' }, reps: { type: 'string', default: '15' }, only: { type: 'string' }, 'proxy-cells': { type: 'string', default: '0' } },
});
const backendName = values.backend as 'wasm' | 'cpu';
const reps = Number(values.reps);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

interface Case {
  name: string;
  depthwise?: boolean;
  /** x [n, h, w, cin]. */
  x: [number, number, number, number];
  k: number;
  cout: number;
  stride: number;
  pad: number | 'valid';
  /** Calls per gradient (GeneralConv runs one per group). */
  calls?: number;
}

const CASES: Case[] = [
  { name: 'NB201 1×1, 64×16×16, 16→16', x: [64, 16, 16, 16], k: 1, cout: 16, stride: 1, pad: 0 },
  { name: 'NB201 3×3, 64×16×16, 16→16', x: [64, 16, 16, 16], k: 3, cout: 16, stride: 1, pad: 1 },
  { name: 'NB201 3×3, 64×8×8, 32→32', x: [64, 8, 8, 32], k: 3, cout: 32, stride: 1, pad: 1 },
  { name: 'NB201 3×3, 64×4×4, 64→64', x: [64, 4, 4, 64], k: 3, cout: 64, stride: 1, pad: 1 },
  { name: '3×3, 64×32×32, 32→32', x: [64, 32, 32, 32], k: 3, cout: 32, stride: 1, pad: 1 },
  { name: 'NB201 stem 3×3, 64×16×16, 3→16', x: [64, 16, 16, 3], k: 3, cout: 16, stride: 1, pad: 1 },
  { name: 'resblock 3×3 stride 2, 64×16×16, 16→32', x: [64, 16, 16, 16], k: 3, cout: 32, stride: 2, pad: 1 },
  { name: '5×5, 64×16×16, 16→16', x: [64, 16, 16, 16], k: 5, cout: 16, stride: 1, pad: 2 },
  { name: 'dilated 3×3 d2 (5×5 valid), 64×20×20, 16→16', x: [64, 20, 20, 16], k: 5, cout: 16, stride: 1, pad: 'valid' },
  { name: 'grouped 3×3, 4 groups of 8→8, 64×16×16', x: [64, 16, 16, 8], k: 3, cout: 8, stride: 1, pad: 1, calls: 4 },
  { name: 'reference net stem 3×3, 64×28×28, 1→16', x: [64, 28, 28, 1], k: 3, cout: 16, stride: 1, pad: 1 },
  { name: 'reference net 1×1, 64×28×28, 16→48', x: [64, 28, 28, 16], k: 1, cout: 48, stride: 1, pad: 0 },
  { name: 'depthwise 3×3, 64×16×16×16', depthwise: true, x: [64, 16, 16, 16], k: 3, cout: 16, stride: 1, pad: 1 },
  { name: 'depthwise 5×5, 64×16×16×16', depthwise: true, x: [64, 16, 16, 16], k: 5, cout: 16, stride: 1, pad: 2 },
  { name: 'depthwise 3×3 stride 2, 64×16×16×16', depthwise: true, x: [64, 16, 16, 16], k: 3, cout: 16, stride: 2, pad: 1 },
  { name: 'reference net depthwise 3×3, 64×28×28×48', depthwise: true, x: [64, 28, 28, 48], k: 3, cout: 48, stride: 1, pad: 1 },
];

await useTrainingBackend(backendName);
const kernelName = (c: Case) => (c.depthwise ? tf.DepthwiseConv2dNativeBackpropFilter : tf.Conv2DBackpropFilter);

/** The candidate depthwise filter gradient as one depthwise convolution (dilated by the stride, padded like the conv). */
function depthwiseByConvolution(host: KernelHost, x: tf.TensorInfo, dy: tf.TensorInfo, g: ConvGeometry): tf.TensorInfo {
  const { n, kh, kw, cin: c, sh, sw, pt, pl } = g;
  const pb = Math.max(0, (g.oh - 1) * sh + kh - g.h - pt);
  const pr = Math.max(0, (g.ow - 1) * sw + kw - g.w - pl);
  const image = host.run(tf.Transpose, { x }, { perm: [1, 2, 0, 3] });
  const filter = host.run(tf.Transpose, { x: dy }, { perm: [1, 2, 0, 3] });
  const attrs = { strides: [1, 1], pad: [[0, 0], [pt, pb], [pl, pr], [0, 0]], dilations: [sh, sw] };
  const r = host.run(tf.DepthwiseConv2dNative, { x: reshaped(image, [1, g.h, g.w, n * c]), filter: reshaped(filter, [g.oh, g.ow, n * c, 1]) }, attrs as never);
  host.dispose(image);
  host.dispose(filter);
  const rw = r.shape[2];
  const sums = new Float64Array(kh * kw * c);
  const v = host.view(r);
  for (let t = 0; t < kh * kw; t++)
    for (let b = 0; b < n; b++) {
      const from = ((Math.floor(t / kw) * rw + (t % kw)) * n + b) * c;
      for (let ch = 0; ch < c; ch++) sums[t * c + ch] += v[from + ch];
    }
  host.dispose(r);
  const out = host.alloc([kh, kw, c, 1]);
  host.view(out).set(sums);
  return out;
}
const depthwiseCandidate = trainingKernel<'x' | 'dy', tf.DepthwiseConv2dNativeBackpropFilterAttrs>(tf.DepthwiseConv2dNativeBackpropFilter, backendName, ({ x, dy }, a, host) =>
  depthwiseByConvolution(host, x, dy, geometry(x.shape, a.filterShape, a.strides, a.pad, true, a.dilations, a.dimRoundingMode)),
);
/** Runs f with the case's kernel in the given form. */
function inForm<T>(c: Case, form: 'taps' | 'conv', f: () => T): T {
  if (!c.depthwise) return withFilterGradForm(backendName, form, f);
  if (form === 'taps') return f();
  const training = tf.getKernel(tf.DepthwiseConv2dNativeBackpropFilter, backendName)!;
  tf.unregisterKernel(training.kernelName, backendName);
  tf.registerKernel(depthwiseCandidate);
  try {
    return f();
  } finally {
    tf.unregisterKernel(training.kernelName, backendName);
    tf.registerKernel(training);
  }
}

const rng = new Rng(1);
const random = (shape: number[]) => tf.tensor4d(rng.fill(shape.reduce((a, b) => a * b, 1)), shape as [number, number, number, number]);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

console.log(`# Filter gradient, taps against conv form (${backendName}); load average at start ${loadavg()}\n`);
console.log(`CPU ms per gradient, median of ${reps} calls of each form, alternating (after 2 warm-up calls each):\n`);
console.log('| shape | taps ms | conv ms | taps / conv | auto picks | max diff / max |');
console.log('|---|---|---|---|---|---|');
for (const c of CASES) {
  if (values.only && !c.name.includes(values.only)) continue;
  const x = random(c.x);
  const filterShape = [c.k, c.k, c.x[3], c.depthwise ? 1 : c.cout];
  const g = geometry(c.x, filterShape, c.stride, c.pad, !!c.depthwise);
  const dy = random([g.n, g.oh, g.ow, g.cout]);
  const attrs = c.depthwise ? { strides: c.stride, pad: c.pad, dilations: 1, filterShape } : { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape };
  const once = () => tf.engine().runKernel(kernelName(c), { x, dy }, attrs as never) as tf.Tensor;
  const run = (form: 'taps' | 'conv') =>
    inForm(c, form, () => {
      const t0 = process.cpuUsage();
      for (let i = 0; i < (c.calls ?? 1); i++) tf.dispose(once());
      const u = process.cpuUsage(t0);
      return (u.user + u.system) / 1000;
    });
  const times: Record<'taps' | 'conv', number[]> = { taps: [], conv: [] };
  for (let i = 0; i < 2; i++) for (const f of ['taps', 'conv'] as const) run(f);
  for (let i = 0; i < reps; i++) for (const f of i % 2 ? (['conv', 'taps'] as const) : (['taps', 'conv'] as const)) times[f].push(run(f));
  const a = inForm(c, 'taps', once);
  const b = inForm(c, 'conv', once);
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(a)).dataSync()[0]);
  tf.dispose([a, b, x, dy]);
  const [mt, mc] = [median(times.taps), median(times.conv)];
  const auto = c.depthwise ? 'taps' : filterGradForm(g, backendName);
  console.log(`| ${c.name} | ${mt.toFixed(2)} | ${mc.toFixed(2)} | ${(mt / mc).toFixed(2)} | ${auto} | ${diff.toExponential(1)} |`);
}
console.log(`\nload average at end ${loadavg()}`);

const proxyCells = Number(values['proxy-cells']);
if (proxyCells > 0 && backendName === 'wasm') {
  const space = createNb201Space();
  const sample = new Rng(0);
  const cells: number[][] = [];
  while (cells.length < proxyCells) {
    const e = space.sample(sample);
    if (nb201Connected(e) && !cells.some((c) => c.join() === e.join())) cells.push(e);
  }
  const scorer = new ProxyScorer(await loadTf('wasm'), { resolution: 16, seed: 0, data: 'fashion-mnist' });
  scorer.score(space.build([3, 3, 3, 3, 3, 3]), BASE_PROXY_NAMES);
  const cpu = { taps: 0, auto: 0 };
  let maxDiff = 0;
  const start = loadavg();
  cells.forEach((e, i) => {
    const scores: Record<string, Record<string, number>> = {};
    for (const form of i % 2 ? (['auto', 'taps'] as const) : (['taps', 'auto'] as const)) {
      const c = process.cpuUsage();
      scores[form] = withFilterGradForm('wasm', form, () => scorer.score(space.build(e), BASE_PROXY_NAMES));
      const u = process.cpuUsage(c);
      cpu[form] += (u.user + u.system) / 1e6;
    }
    for (const p of BASE_PROXY_NAMES) {
      const [a, b] = [scores.taps[p], scores.auto[p]];
      maxDiff = Math.max(maxDiff, a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));
    }
  });
  scorer.dispose();
  console.log(`\nall six proxies on ${proxyCells} NB201 cells (seed-0 sample, 16 px, fashion-mnist), CPU s per cell: taps ${(cpu.taps / proxyCells).toFixed(3)}, auto ${(cpu.auto / proxyCells).toFixed(3)}, taps / auto ${(cpu.taps / cpu.auto).toFixed(2)}; largest relative score difference ${maxDiff.toExponential(1)}; load average ${start} at start, ${loadavg()} at end`);
}
