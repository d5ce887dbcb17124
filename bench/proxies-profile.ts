/**
 * Where a cell's proxy time goes: CPU time of each step of the all-proxies computation (net
 * construction, NASWOT, synflow, jacob_cov, the loss-gradient pass of snip/grad_norm/fisher) on the
 * first K cells of the seed's sample, then single tfjs wasm kernels at the size of the 64-image
 * passes (16×16×16 maps): the avg pool and its stock gradient, the conv filter gradient of the
 * training kernels against a conv2d of the transposed tensors, and a tensor copy.
 *
 *   node --import tsx bench/proxies-profile.ts [--n 4] [--data fashion-mnist]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type * as TF from '@tensorflow/tfjs';
import { Rng } from '../src/core/rng.js';
import { withAliasingCopies } from '../src/evaluators/proxy/alias-kernels.js';
import { lossGradientScores } from '../src/evaluators/proxy/gradient.js';
import { loadTf } from '../src/evaluators/proxy/index.js';
import { proxyBatch, type ProxyData } from '../src/evaluators/proxy/input.js';
import { jacobCovScore } from '../src/evaluators/proxy/jacob-cov.js';
import { naswotScore } from '../src/evaluators/proxy/naswot.js';
import { synflowScore } from '../src/evaluators/proxy/synflow.js';
import { tfProxyNetwork } from '../src/evaluators/proxy/tf-net.js';
import { createNb201Space, nb201Connected } from '../src/spaces/nb201.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '4' }, data: { type: 'string', default: 'fashion-mnist' } } });
const n = Number(values.n);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const tf = await loadTf('wasm');
const space = createNb201Space();
const rng = new Rng(0);
const cells: number[][] = [];
while (cells.length < n) {
  const e = space.sample(rng);
  if (nb201Connected(e) && !cells.some((c) => c.join() === e.join())) cells.push(e);
}
const batch = (size: number) => {
  const b = proxyBatch({ data: values.data as ProxyData, batch: size, resolution: 16, channels: 3, classes: 10, seed: 0 });
  return { x: tf.tensor4d(b.x, b.shape), labels: tf.tensor1d(b.labels, 'int32') };
};
const [b16, b64] = [batch(16), batch(64)];
const cpuMs = (f: () => unknown) => {
  const c = process.cpuUsage();
  tf.dispose(f() as TF.Tensor);
  const u = process.cpuUsage(c);
  return (u.user + u.system) / 1000;
};

console.log(`# Where a cell's proxy time goes (current code, wasm, 16 px, data ${values.data}); load average at start ${loadavg()}\n`);
const steps = ['net', 'naswot', 'synflow', 'jacob_cov', 'snip+grad_norm+fisher'] as const;
const total: Record<string, number> = Object.fromEntries(steps.map((s) => [s, 0]));
// The first cell is run twice: once to warm kernels up (not counted), then counted with the others.
[cells[0], ...cells].forEach((e, i) =>
  withAliasingCopies(tf, () => {
    let net!: ReturnType<typeof tfProxyNetwork>;
    const t: Record<string, number> = {
      net: cpuMs(() => void (net = tfProxyNetwork(tf, space.build(e), { weightSeed: 1, resolution: 16 }))),
      naswot: cpuMs(() => void naswotScore(net, b16.x)),
      synflow: cpuMs(() => void synflowScore(net)),
      jacob_cov: cpuMs(() => void jacobCovScore(net, b64.x)),
      'snip+grad_norm+fisher': cpuMs(() => void lossGradientScores(net, b64.x, b64.labels)),
    };
    net.dispose();
    if (i > 0) for (const s of steps) total[s] += t[s];
  }),
);
console.log(`CPU ms per cell, mean over ${n} cells (after one warm-up cell):\n`);
console.log(`| ${steps.join(' | ')} | all |`);
console.log(`|${steps.map(() => '---').join('|')}|---|`);
console.log(`| ${steps.map((s) => (total[s] / n).toFixed(0)).join(' | ')} | ${(steps.reduce((a, s) => a + total[s], 0) / n).toFixed(0)} |\n`);

// Single kernels at the 64-image passes' size.
const g = new Rng(1);
const t4 = (shape: [number, number, number, number]) => tf.tensor4d(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => g.normal()), shape);
const x = t4([64, 16, 16, 16]);
const dy = t4([64, 16, 16, 16]);
const poolAttrs = { filterSize: [3, 3], strides: [1, 1], pad: [[0, 0], [1, 1], [1, 1], [0, 0]] };
const filterGrad = (k: number) => () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: [k, k, 16, 16] }) as TF.Tensor;
const viaConv = (k: number) => () =>
  tf.tidy(() => {
    const q = (k - 1) / 2;
    const xt = tf.transpose(q ? tf.pad(x, [[0, 0], [q, q], [q, q], [0, 0]]) : x, [3, 1, 2, 0]) as TF.Tensor4D; // cin × H × W × batch
    const f = tf.transpose(dy, [1, 2, 0, 3]) as TF.Tensor4D; // H × W × batch × cout: dy as the filter
    return tf.transpose(tf.conv2d(xt, f, 1, 'valid'), [1, 2, 0, 3]);
  });
const kernels: [string, () => TF.Tensor][] = [
  ['avgPool 3×3, pad 1', () => tf.avgPool(x, 3, 1, poolAttrs.pad as never)],
  ['AvgPoolGrad (tfjs)', () => tf.engine().runKernel('AvgPoolGrad', { dy, input: x }, poolAttrs as never) as TF.Tensor],
  ['Conv2D 3×3', () => tf.conv2d(x, t4([3, 3, 16, 16]), 1, 'same')],
  ['Conv2DBackpropFilter 3×3 (training kernel)', filterGrad(3)],
  ['filter gradient 3×3 as conv2d of transposes', viaConv(3)],
  ['Conv2DBackpropFilter 1×1 (training kernel)', filterGrad(1)],
  ['filter gradient 1×1 as conv2d of transposes', viaConv(1)],
  ['Identity (a copy on stock wasm)', () => tf.clone(x)],
];
const reference3 = filterGrad(3)();
const other3 = viaConv(3)();
const rel = tf.tidy(() => tf.max(tf.abs(tf.sub(reference3, other3))).dataSync()[0] / tf.max(tf.abs(reference3)).dataSync()[0]);
console.log(`single kernels at 64×16×16×16, CPU ms per call (mean of 20 after 3 warm-up calls):\n`);
console.log('| kernel | CPU ms |');
console.log('|---|---|');
for (const [name, f] of kernels) {
  for (let i = 0; i < 3; i++) cpuMs(f);
  let sum = 0;
  for (let i = 0; i < 20; i++) sum += cpuMs(f);
  console.log(`| ${name} | ${(sum / 20).toFixed(2)} |`);
}
console.log(`\nthe two 3×3 filter gradients differ by ${rel.toExponential(1)} of the largest entry; load average at end ${loadavg()}`);
