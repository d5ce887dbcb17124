/**
 * Trained weights for export, with every BatchNorm folded into the conv before it:
 *   s = gamma / sqrt(var + eps),  W' = W * s (per output channel),  b' = beta - mean * s.
 * Names and layouts are those of export/weights.ts (PyTorch order):
 *   `<layer>.<part>.weight`  conv [cout, cin/groups, k, k] (depthwise [c, 1, k, k]),
 *                            SE reduce/expand [cout, cin, 1, 1], linear fc [cout, cin]
 *   `<layer>.<part>.bias`    [cout] (a folded BatchNorm's shift, or a conv's own bias: ChannelBias)
 * e.g. layer3.expand.weight, layer3.dw.bias, layer3.se.reduce.weight, layer13.fc.weight.
 */
import { BN_EPS, BatchNorm } from './nn/batchnorm.js';
import { ChannelBias } from './nn/bias.js';
import { Conv, Depthwise, Pointwise } from './nn/conv.js';
import { GeneralConv } from './nn/general-conv.js';
import { Norm } from './nn/norms.js';
import { DenseCore, Linear } from './nn/dense.js';
import { GraphModule, PointwiseDense } from './nn/graph-module.js';
import { Sequence, type Module } from './nn/module.js';
import type { Network } from './nn/network.js';
import type { NamedTensor } from './checkpoint.js';

type ConvModule = Conv | Pointwise | Depthwise | GeneralConv;
const isConv = (m: Module): m is ConvModule => m instanceof Conv || m instanceof Pointwise || m instanceof Depthwise || m instanceof GeneralConv;

function values(t: { value: { dataSync(): unknown } }): Float32Array {
  return t.value.dataSync() as Float32Array;
}

/** The conv's weight as [cout, cin/groups, kh, kw], scaled per output channel by `bn` when given (then with a bias). */
function foldConv(conv: ConvModule, bn: BatchNorm | undefined, out: Map<string, NamedTensor>): void {
  const w = values(conv.weight);
  const [kh, kw, cin, mult] = conv.weight.value.shape as number[];
  const depthwise = conv instanceof Depthwise;
  const cout = depthwise ? cin : mult;
  const variance = bn ? values(bn.runningVar) : undefined;
  const scale = bn ? Float32Array.from(values(bn.gamma), (g, o) => g / Math.sqrt(variance![o] + BN_EPS)) : new Float32Array(cout).fill(1);
  const groupIn = depthwise ? 1 : cin;
  const weight = new Float32Array(cout * groupIn * kh * kw);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < groupIn; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) {
          const src = depthwise ? (y * kw + x) * cin + o : ((y * kw + x) * cin + i) * cout + o;
          weight[((o * groupIn + i) * kh + y) * kw + x] = w[src] * scale[o];
        }
  out.set(`${conv.name}.weight`, { shape: [cout, groupIn, kh, kw], data: weight });
  if (!bn) return;
  const beta = values(bn.beta);
  const mean = values(bn.runningMean);
  out.set(`${conv.name}.bias`, { shape: [cout], data: Float32Array.from(beta, (b, o) => b - mean[o] * scale[o]) });
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
      if (isConv(child)) foldConv(child, next instanceof BatchNorm ? next : undefined, out);
      else if (child instanceof ChannelBias) out.set(`${child.name}.bias`, { shape: [child.channels], data: values(child.bias).slice() });
      else walk(child, out);
    });
  } else if (m instanceof GraphModule) m.modules().forEach((child) => walk(child, out));
  else if (m instanceof Norm) {
    // Layer / instance norm keep their own per-channel scale and shift (nothing to fold into).
    out.set(`${m.name}.gamma`, { shape: [m.channels], data: values(m.gamma).slice() });
    out.set(`${m.name}.beta`, { shape: [m.channels], data: values(m.beta).slice() });
  } else if (m instanceof PointwiseDense) dense(m.core, [1, 1], out);
  else if (m instanceof Linear) dense(m.core, [], out);
}

/** Conv and linear weights with BatchNorm folded, by export name. */
export function foldedWeights(net: Network): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  for (const l of net.layers) walk(l.module, out);
  return out;
}
