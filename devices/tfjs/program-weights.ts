/**
 * The values of a tfjs program's weights (program.ts), from the exporter's generator or a weight source
 * (export/weights.ts) under the graph's parameter names, transposed from PyTorch layout to tfjs's: so a
 * program computes what the ONNX model of the same graph and seed computes.
 */
import type { Weights } from '../../export/weights.js';
import type { TfProgram, WeightInit } from './program.js';

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** PyTorch conv [cout, cin/g, kh, kw] → HWIO [kh, kw, cin/g, cout]. */
function hwio(t: Float32Array, [cout, gin, kh, kw]: number[]): Float32Array {
  const out = new Float32Array(t.length);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < gin; i++)
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((y * kw + x) * gin + i) * cout + o] = t[((o * gin + i) * kh + y) * kw + x];
  return out;
}

/** PyTorch depthwise [cin·m, 1, kh, kw] → [kh, kw, cin, m] (output channel c·m + j is filter [.., c, j]). */
function hwcm(t: Float32Array, [cout, , kh, kw]: number[], cin: number): Float32Array {
  const m = cout / cin;
  const out = new Float32Array(t.length);
  for (let o = 0; o < cout; o++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((y * kw + x) * cin + Math.floor(o / m)) * m + (o % m)] = t[(o * kh + y) * kw + x];
  return out;
}

/** PyTorch linear [cout, cin] → [cin, cout]. */
function io(t: Float32Array, [cout, cin]: number[]): Float32Array {
  const out = new Float32Array(t.length);
  for (let o = 0; o < cout; o++) for (let i = 0; i < cin; i++) out[i * cout + o] = t[o * cin + i];
  return out;
}

/** Rows [g·n/G, (g+1)·n/G) of a tensor whose first axis is split into G groups, with that shape. */
function groupRows(t: Float32Array, shape: number[], [g, groups]: [number, number]): { data: Float32Array; shape: number[] } {
  const rows = shape[0] / groups;
  const size = count(shape) / groups;
  return { data: t.subarray(g * size, (g + 1) * size), shape: [rows, ...shape.slice(1)] };
}

function values(init: WeightInit, shape: number[], weights: Weights): Float32Array {
  switch (init.kind) {
    case 'weight': {
      const all = weights.weight(init.param, init.torch, init.fanIn, init.gain);
      const part = init.group ? groupRows(all, init.torch, init.group) : { data: all, shape: init.torch };
      if (init.layout === 'io') return io(part.data, part.shape);
      return init.layout === 'hwcm' ? hwcm(part.data, part.shape, shape[2]) : hwio(part.data, part.shape);
    }
    case 'bias':
      return weights.bias(init.param, init.torch);
    case 'constant':
      return weights.constant(init.param, init.torch, init.value);
    case 'bn': {
      // Inference BatchNorm as x·scale + shift; generated: gamma 1, beta small, mean 0, var 1 (export/onnx/primitives/bn.ts).
      const c = [init.channels];
      const gamma = weights.constant(`${init.id}.gamma`, c, 1);
      const variance = weights.constant(`${init.id}.var`, c, 1);
      const scale = gamma.map((g, i) => g / Math.sqrt(variance[i] + init.eps));
      if (init.part === 'scale') return scale;
      const beta = weights.bias(`${init.id}.beta`, c);
      const mean = weights.constant(`${init.id}.mean`, c, 0);
      return beta.map((b, i) => b - mean[i] * scale[i]);
    }
  }
}

/** Every weight of `program`, in tfjs layout, in program order. */
export function programWeights(program: TfProgram, weights: Weights): Float32Array[] {
  return program.weights.map((w) => {
    const data = values(w.init, w.shape, weights);
    if (data.length !== count(w.shape)) throw new Error(`tfjs program: weight ${w.init.kind} has ${data.length} values for shape ${w.shape.join('x')}`);
    return data;
  });
}
