/**
 * Trained weights for export, with every BatchNorm folded into the conv before it:
 *   s = gamma / sqrt(var + eps),  W' = W * s (per output channel),  b' = beta - mean * s.
 * Names and layouts are those of export/weights.ts (PyTorch order):
 *   `<layer>.<part>.weight`  conv [cout, cin/groups, k, k] (depthwise [c, 1, k, k]),
 *                            SE reduce/expand [cout, cin, 1, 1], linear fc [cout, cin]
 *   `<layer>.<part>.bias`    [cout]
 * e.g. layer3.expand.weight, layer3.dw.bias, layer3.se.reduce.weight, layer13.fc.weight.
 */
import { BN_EPS, BatchNorm } from './nn/batchnorm.js';
import { Conv, Depthwise, Pointwise } from './nn/conv.js';
import { DenseCore, Linear } from './nn/dense.js';
import { GraphModule, PointwiseDense } from './nn/graph-module.js';
import { Sequence, type Module } from './nn/module.js';
import type { Network } from './nn/network.js';
import type { NamedTensor } from './checkpoint.js';

type ConvModule = Conv | Pointwise | Depthwise;

function values(t: { value: { dataSync(): unknown } }): Float32Array {
  return t.value.dataSync() as Float32Array;
}

function foldConv(conv: ConvModule, bn: BatchNorm, out: Map<string, NamedTensor>): void {
  const w = values(conv.weight);
  const [kh, kw, cin, mult] = conv.weight.value.shape as number[];
  const depthwise = conv instanceof Depthwise;
  const cout = depthwise ? cin : mult;
  const gamma = values(bn.gamma);
  const beta = values(bn.beta);
  const mean = values(bn.runningMean);
  const variance = values(bn.runningVar);
  const scale = Float32Array.from(gamma, (g, o) => g / Math.sqrt(variance[o] + BN_EPS));
  const groupIn = depthwise ? 1 : cin;
  const weight = new Float32Array(cout * groupIn * kh * kw);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < groupIn; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) {
          const src = depthwise ? (y * kw + x) * cin + o : ((y * kw + x) * cin + i) * cout + o;
          weight[((o * groupIn + i) * kh + y) * kw + x] = w[src] * scale[o];
        }
  const bias = Float32Array.from(beta, (b, o) => b - mean[o] * scale[o]);
  const name = conv.name;
  out.set(`${name}.weight`, { shape: [cout, groupIn, kh, kw], data: weight });
  out.set(`${name}.bias`, { shape: [cout], data: bias });
}

/** Dense [cin, cout] -> PyTorch [cout, cin] (then `trailing` ones for a 1x1 conv). */
function dense(core: DenseCore, trailing: number[], out: Map<string, NamedTensor>): void {
  const w = values(core.weight);
  const { cin, cout } = core;
  const t = new Float32Array(cin * cout);
  for (let o = 0; o < cout; o++) for (let i = 0; i < cin; i++) t[o * cin + i] = w[i * cout + o];
  out.set(`${core.name}.weight`, { shape: [cout, cin, ...trailing], data: t });
  out.set(`${core.name}.bias`, { shape: [cout], data: values(core.bias).slice() });
}

function walk(m: Module, out: Map<string, NamedTensor>): void {
  if (m instanceof Sequence) {
    m.modules.forEach((child, i) => {
      const next = m.modules[i + 1];
      if ((child instanceof Conv || child instanceof Pointwise || child instanceof Depthwise) && next instanceof BatchNorm) foldConv(child, next, out);
      else walk(child, out);
    });
  } else if (m instanceof GraphModule) m.modules().forEach((child) => walk(child, out));
  else if (m instanceof PointwiseDense) dense(m.core, [1, 1], out);
  else if (m instanceof Linear) dense(m.core, [], out);
}

/** Conv and linear weights with BatchNorm folded, by export name. */
export function foldedWeights(net: Network): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  for (const l of net.layers) walk(l.module, out);
  return out;
}
