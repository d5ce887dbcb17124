/** Numeric checks that catch wrong semantics, not just wrong shapes. */
import { describe, expect, it } from 'vitest';
import { instance, type Act, type OpSpec, type Shape } from '../../src/core/ops.js';
import { Rng } from '../../src/core/rng.js';
import { opModel } from '../../export/model.js';
import type { WeightSource } from '../../export/weights.js';
import { randomInput, run } from './helpers.js';

/** Weights that depend only on the tensor name, whatever the block's options, and a record of them. */
function recordingSource(): { source: WeightSource; seen: Map<string, Float32Array> } {
  const seen = new Map<string, Float32Array>();
  const source: WeightSource = (name, shape) => {
    let h = 7;
    for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    const data = new Rng(h).fill(shape.reduce((a, b) => a * b, 1), 0.4);
    seen.set(name, data);
    return data;
  };
  return { source, seen };
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), `element ${i}: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i])));
};

async function runOp(spec: OpSpec, input: Shape, data: Float32Array[], source?: WeightSource) {
  return run(opModel(instance(spec, input), { weights: source }), data);
}

/** Naive NCHW convolution with same padding (pad = d*(k-1)/2), groups and dilation. */
function referenceConv(x: Float32Array, [n, c, h, w]: Shape, wt: Float32Array, bias: Float32Array, cout: number, k: number, s: number, g: number, d: number) {
  const pad = Math.floor((d * (k - 1)) / 2);
  const oh = Math.floor((h + 2 * pad - d * (k - 1) - 1) / s) + 1;
  const ow = Math.floor((w + 2 * pad - d * (k - 1) - 1) / s) + 1;
  const cg = c / g;
  const out = new Float32Array(n * cout * oh * ow);
  for (let b = 0; b < n; b++)
    for (let o = 0; o < cout; o++)
      for (let y = 0; y < oh; y++)
        for (let z = 0; z < ow; z++) {
          let acc = bias[o];
          const group = Math.floor(o / (cout / g));
          for (let ci = 0; ci < cg; ci++)
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++) {
                const iy = y * s - pad + ky * d;
                const ix = z * s - pad + kx * d;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                acc += x[((b * c + group * cg + ci) * h + iy) * w + ix] * wt[((o * cg + ci) * k + ky) * k + kx];
              }
          out[((b * cout + o) * oh + y) * ow + z] = acc;
        }
  return out;
}

const ACT_FN: Record<Act, (v: number) => number> = {
  none: (v) => v,
  relu: (v) => Math.max(0, v),
  relu6: (v) => Math.min(6, Math.max(0, v)),
  hswish: (v) => (v * Math.min(6, Math.max(0, v + 3))) / 6,
  swish: (v) => v / (1 + Math.exp(-v)),
};

describe('exported blocks compute what their kind means', () => {
  const shape: Shape = [1, 4, 5, 5];
  const x = randomInput(shape, 11);

  it('identity returns its input', async () => {
    expect((await runOp({ kind: 'identity' }, shape, [x])).data).toEqual(x);
  });

  it('zero returns zeros of the (strided) output shape', async () => {
    for (const stride of [1, 2]) {
      const out = await runOp({ kind: 'zero', stride }, shape, [x]);
      expect(out.dims).toEqual([1, 4, stride === 1 ? 5 : 3, stride === 1 ? 5 : 3]);
      expect(out.data.every((v) => v === 0)).toBe(true);
    }
  });

  it('sum adds its inputs element-wise', async () => {
    const inputs = [randomInput(shape, 1), randomInput(shape, 2), randomInput(shape, 3)];
    const out = await runOp({ kind: 'sum', arity: 3 }, shape, inputs);
    close(out.data, inputs[0].map((v, i) => v + inputs[1][i] + inputs[2][i]));
  });

  it('gpool averages or takes the max over H x W', async () => {
    const avg = await runOp({ kind: 'gpool', mode: 'avg' }, shape, [x]);
    const max = await runOp({ kind: 'gpool', mode: 'max' }, shape, [x]);
    const plane = (c: number) => Array.from(x.subarray(c * 25, (c + 1) * 25));
    close(avg.data, [0, 1, 2, 3].map((c) => plane(c).reduce((a, b) => a + b) / 25));
    close(max.data, [0, 1, 2, 3].map((c) => Math.max(...plane(c))));
  });

  it('conv matches a naive convolution (stride, groups, dilation, even and odd k)', async () => {
    const input: Shape = [2, 4, 7, 6];
    const xi = randomInput(input, 5);
    for (const [cout, k, s, g, d] of [[6, 3, 2, 2, 1], [4, 3, 1, 1, 2], [2, 1, 1, 1, 1], [4, 5, 2, 4, 1], [2, 4, 1, 1, 1]]) {
      const { source, seen } = recordingSource();
      const out = await runOp({ kind: 'conv', cout, k, stride: s, groups: g, dilation: d, act: 'none' }, input, [xi], source);
      close(out.data, referenceConv(xi, input, seen.get('op.conv.weight')!, seen.get('op.conv.bias')!, cout, k, s, g, d));
    }
  });

  it('activations are relu / clip(0,6) / hardswish / x*sigmoid(x)', async () => {
    const spec = (act: Act): OpSpec => ({ kind: 'conv', cout: 4, k: 3, stride: 1, groups: 1, dilation: 1, act });
    // Scale the input up so values cross 0, 3 and 6.
    const xs = x.map((v) => v * 4);
    const linear = (await runOp(spec('none'), shape, [xs], recordingSource().source)).data;
    for (const act of ['relu', 'relu6', 'hswish', 'swish'] as const) {
      const out = await runOp(spec(act), shape, [xs], recordingSource().source);
      close(out.data, linear.map(ACT_FN[act]));
    }
  });

  it('linear is W x + b on the flattened input', async () => {
    const input: Shape = [2, 6, 1, 1];
    const xi = randomInput(input, 9);
    const { source, seen } = recordingSource();
    const out = await runOp({ kind: 'linear', cout: 3, act: 'none' }, input, [xi], source);
    const w = seen.get('op.fc.weight')!;
    const b = seen.get('op.fc.bias')!;
    const ref = [0, 1].flatMap((n) => [0, 1, 2].map((o) => b[o] + [0, 1, 2, 3, 4, 5].reduce((acc, i) => acc + w[o * 6 + i] * xi[n * 6 + i], 0)));
    expect(out.dims).toEqual([2, 3, 1, 1]);
    close(out.data, ref);
  });

  it('mbconv and dwsep with skip = input + the same block without skip', async () => {
    const input: Shape = [1, 8, 6, 6];
    const xi = randomInput(input, 4);
    const blocks: OpSpec[] = [
      { kind: 'mbconv', cout: 8, k: 3, stride: 1, expand: 3, se: 0.25, act: 'hswish', skip: false },
      { kind: 'mbconv', cout: 8, k: 5, stride: 1, expand: 1, se: 0, act: 'relu6', skip: false },
      { kind: 'dwsep', cout: 8, k: 3, stride: 1, se: 0.25, act: 'swish', skip: false },
    ];
    for (const spec of blocks) {
      const plain = await runOp(spec, input, [xi], recordingSource().source);
      const skipped = await runOp({ ...spec, skip: true } as OpSpec, input, [xi], recordingSource().source);
      close(skipped.data, plain.data.map((v, i) => v + xi[i]));
    }
  });

  it('se scales each channel by sigmoid of its squeezed descriptor', async () => {
    const { source, seen } = recordingSource();
    const out = await runOp({ kind: 'se', ratio: 0.5, act: 'relu' }, shape, [x], source);
    const [rw, rb, ew, eb] = ['reduce.weight', 'reduce.bias', 'expand.weight', 'expand.bias'].map((p) => seen.get(`op.se.${p}`)!);
    const mean = [0, 1, 2, 3].map((c) => x.subarray(c * 25, (c + 1) * 25).reduce((a, b) => a + b) / 25);
    const r = [0, 1].map((j) => Math.max(0, rb[j] + mean.reduce((acc, m, c) => acc + rw[j * 4 + c] * m, 0)));
    const gate = [0, 1, 2, 3].map((c) => 1 / (1 + Math.exp(-(eb[c] + r[0] * ew[c * 2] + r[1] * ew[c * 2 + 1]))));
    close(out.data, x.map((v, i) => v * gate[Math.floor(i / 25)]));
  });

  it('nb201cell: node sums, skip edges, count_include_pad=0 pooling and all-none nodes', async () => {
    const input: Shape = [1, 2, 4, 4];
    const xi = randomInput(input, 6);
    const skips = '|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|';
    close((await runOp({ kind: 'nb201cell', cell: skips }, input, [xi])).data, xi.map((v) => 4 * v));
    const dead = '|skip_connect~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|none~1|none~2|';
    expect((await runOp({ kind: 'nb201cell', cell: dead }, input, [xi])).data.every((v) => v === 0)).toBe(true);
    const pool = '|avg_pool_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|';
    const out = (await runOp({ kind: 'nb201cell', cell: pool }, input, [xi])).data;
    // Corner (0,0) of channel 0 averages the 2x2 in-image neighbours only.
    expect(out[0]).toBeCloseTo((xi[0] + xi[1] + xi[4] + xi[5]) / 4, 5);
  });

  it('resblock adds the branch to the shortcut (identity at stride 1 with equal channels)', async () => {
    const input: Shape = [1, 4, 5, 5];
    const zeroBranch: WeightSource = (name, shp) => (name.includes('conv_b') ? new Float32Array(shp.reduce((a, b) => a * b, 1)) : undefined);
    close((await runOp({ kind: 'resblock', cout: 4, stride: 1 }, input, [x], zeroBranch)).data, x);
  });
});
