/**
 * Nested weight sharing (OFA elastic kernel / width, Single-Path NAS superkernel): one set of conv
 * weights per layer, options are slices of it. Checked against a plain Network whose weights are the
 * slices (forward and gradients) and against tfjs autodiff (ParamSlice), plus checkpoints.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { gatherBatch } from '../../src/data/batches.js';
import { supernetOptionsFromArgs } from '../../src/evaluators/supernet.js';
import { useTrainingBackend } from '../../src/train/backend.js';
import { Conv, Depthwise, Pointwise } from '../../src/train/nn/conv.js';
import { Param, ParamSlice, SavedTensors, Sequence, type Module } from '../../src/train/nn/module.js';
import { buildLayer, GraphModule } from '../../src/train/nn/graph-module.js';
import { Network } from '../../src/train/nn/network.js';
import { Identity } from '../../src/train/nn/pool.js';
import { CandidateTable, checkSharing } from '../../src/train/supernet/candidates.js';
import { nestedOps } from '../../src/train/supernet/nested.js';
import { Supernet } from '../../src/train/supernet/supernet.js';
import { backpropBatch } from '../../src/train/trainer.js';
import { syntheticData, TinySpace } from './supernet-fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'supernet-nested-'));
const data = syntheticData();
const space = new TinySpace();
const nested = (seed = 1) => new Supernet(CandidateTable.build(space, data.train, 10, seed, 'nested'));
const values = (t: tf.Tensor) => Array.from(t.dataSync());
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => {
  expect(a.shape).toEqual(b.shape);
  const x = values(a);
  const y = values(b);
  return Math.max(0, ...x.map((v, i) => Math.abs(v - y[i])));
};

function leaves(m: Module): Module[] {
  if (m instanceof Sequence) return m.modules.flatMap(leaves);
  if (m instanceof GraphModule) return m.modules().flatMap(leaves);
  return [m];
}
const isConv = (m: Module): m is Conv | Pointwise | Depthwise => m instanceof Conv || m instanceof Pointwise || m instanceof Depthwise;

/** A plain Network of the path's architecture whose weights are the supernet's (slices for nested convs). */
function plainCopy(s: Supernet, choices: number[]): { net: Network; pairs: [Module, Module][] } {
  const p = s.table.path(choices);
  const net = new Network(p.arch, { seed: 7 });
  const pairs: [Module, Module][] = [];
  p.modules.forEach((m, i) => {
    const a = leaves(m);
    const b = leaves(net.layers[i].module);
    expect(b.map((x) => x.constructor.name)).toEqual(a.map((x) => x.constructor.name));
    a.forEach((x, j) => pairs.push([x, b[j]]));
  });
  tf.tidy(() => {
    for (const [a, b] of pairs) {
      const from = isConv(a) ? [a.weight.value] : a.params().map((q) => q.value);
      b.params().forEach((q, k) => q.variable.assign(from[k]));
    }
  });
  return { net, pairs };
}

beforeAll(async () => {
  await useTrainingBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nested weight sharing', () => {
  it('holds one largest kernel per layer; options are slices of it with their own BatchNorms', () => {
    const s = nested();
    try {
      const t = s.table;
      expect(t.sharing).toBe('nested');
      const byName = new Map(t.params().map((p) => [p.name, p]));
      expect(byName.size).toBe(t.params().length);
      // layer2: cin 16, options k3e2 (32 channels), k5e3 (48), skip
      expect(byName.get('layer2.expand.weight')!.value.shape).toEqual([1, 1, 16, 48]);
      expect(byName.get('layer2.dw.weight')!.value.shape).toEqual([5, 5, 48, 1]);
      expect(byName.get('layer2.project.weight')!.value.shape).toEqual([1, 1, 48, 16]);
      expect(byName.has('layer2.op0.dw.weight')).toBe(false);
      expect(byName.has('layer2.op0.dw.bn.gamma')).toBe(true);
      expect(byName.has('layer2.op1.dw.bn.gamma')).toBe(true);
      expect(t.layers[1].ops[2]).toBeInstanceOf(Identity);
      expect(t.layers[1].shared.map((p) => p.name)).toEqual(['layer2.expand.weight', 'layer2.dw.weight', 'layer2.project.weight']);
      const dw = leaves(t.layers[1].ops[0]).find((m) => m instanceof Depthwise) as Depthwise;
      expect(dw.weight).toBeInstanceOf(ParamSlice);
      expect((dw.weight as ParamSlice).begin).toEqual([1, 1, 0, 0]);
      expect((dw.weight as ParamSlice).size).toEqual([3, 3, 32, 1]);
      // a path's parameters are the shared tensors, each once
      const net = s.network([0, 0, 1]);
      expect(net.params().filter((p) => p.name === 'layer2.dw.weight')).toHaveLength(1);
      expect(() => checkSharing('tied')).toThrow(UserError);
      expect(() => supernetOptionsFromArgs({ args: { supernet: 'x.supernet', supernetSharing: 'tied' } } as never)).toThrow(/unknown supernet weight sharing 'tied'/);
      expect(supernetOptionsFromArgs({ args: { supernet: 'x.supernet', supernetSharing: 'nested' } } as never).sharing).toBe('nested');
    } finally {
      s.dispose();
    }
  });

  it('comes from the lowerings, not from mbconv: dwsep options share their dw and pw convs; biased convs and odd-even kernels are refused', () => {
    const dwsep = (k: number) => ({ kind: 'dwsep' as const, cout: 8, k, stride: 1, se: 0, act: 'relu' as const, skip: true });
    const input: [number, number, number, number] = [1, 8, 6, 6];
    const { ops, shared } = nestedOps('layer4', input, [dwsep(3), dwsep(5), null], ['k3', 'k5', 'skip'], 2);
    try {
      expect(shared.map((p) => [p.name, p.value.shape])).toEqual([['layer4.dw.weight', [5, 5, 8, 1]], ['layer4.pw.weight', [1, 1, 8, 8]]]);
      expect(ops[2]).toBeInstanceOf(Identity);
      // option k3 computes its own lowering with the centre 3x3 of the shared kernel: copy the slices into a plain layer
      const plain = buildLayer(dwsep(3), input, 'layer4.op0', 9);
      const a = leaves(ops[0]);
      const b = leaves(plain);
      expect(b.map((m) => m.constructor.name)).toEqual(a.map((m) => m.constructor.name));
      tf.tidy(() => a.forEach((m, j) => b[j].params().forEach((q, k) => q.variable.assign(isConv(m) ? m.weight.value : m.params()[k].value))));
      const x = tf.randomNormal([2, 6, 6, 8], 0, 1, 'float32', 1) as tf.Tensor4D;
      expect(tf.tidy(() => maxDiff(ops[0].forward(x), plain.forward(x)))).toBe(0);
      expect(tf.tidy(() => maxDiff(ops[1].forward(x), ops[0].forward(x)))).toBeGreaterThan(0);
      x.dispose();
      for (const p of plain.params()) p.variable.dispose();
    } finally {
      for (const p of [...new Set(ops.flatMap((m) => m.params()))]) p.variable.dispose();
    }
    expect(() => nestedOps('layer4', input, [{ ...dwsep(3), se: 0.25 }, dwsep(5)], ['se', 'k5'], 2)).toThrow(/layer4: nested weight sharing .*option se has conv 'layer4.op0.se.reduce' with a bias/);
    expect(() => nestedOps('layer4', input, [{ ...dwsep(3), skip: false }, { ...dwsep(4), skip: false }], ['k3', 'k4'], 2)).toThrow(/kernel sizes 3 and 4 of conv 'dw' have different parity/);
    expect(() => nestedOps('layer4', input, [dwsep(3), { ...dwsep(5), act: 'hswish' }], ['k3', 'k5h'], 2)).toThrow(/conv 'dw' is followed by relu in option k3, by hswish in option k5h/);
  });

  it('ParamSlice: the gradient of the shared tensor is the padded slice gradient (tfjs autodiff)', () => {
    const parent = new Param('w', tf.randomNormal([5, 5, 4, 1], 0, 1, 'float32', 3), 'weight');
    const slice = new ParamSlice(parent, [1, 1, 0, 0], [3, 3, 2, 1]);
    const conv = new Depthwise('d', 2, 3, 1, { seed: 0, act: 'relu' }, slice);
    expect(conv.params()).toEqual([parent]);
    const x = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
    const r = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 5) as tf.Tensor4D;
    const saved = new SavedTensors();
    tf.tidy(() => {
      conv.forward(tf.clone(x), saved); // the context keeps (and then frees) its input
      conv.backward(r, false);
    });
    saved.release();
    const want = tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(x, tf.slice(w, [1, 1, 0, 0], [3, 3, 2, 1]) as tf.Tensor4D, 1, 1), r)))(parent.variable);
    expect(maxDiff(parent.grad!, want)).toBeLessThan(1e-4);
    // zero outside the slice
    const g = parent.grad!.arraySync() as number[][][][];
    expect(g[0].flat(2).every((v) => v === 0)).toBe(true);
    expect(g[2][2][3][0]).toBe(0);
    // a second gradient adds up
    tf.tidy(() => {
      conv.forward(tf.clone(x), saved); // the context keeps (and then frees) its input
      conv.backward(r, false);
    });
    saved.release();
    expect(maxDiff(parent.grad!, tf.mul(want, 2))).toBeLessThan(1e-4);
    expect(() => new Depthwise('d', 3, 3, 1, { seed: 0, act: 'relu' }, slice)).toThrow(/needs \[3,3,3,1\]/);
    parent.clearGrad();
    parent.variable.dispose();
  });

  it('a sub-network equals a plain Network with the slices as weights (forward), and shared gradients are the padded sums of the paths', async () => {
    const s = nested();
    try {
      await s.train(data.train, { steps: 3, batchSize: 32, seed: 1 }); // trained weights and BatchNorm statistics
      const A = [1, 1, 1];
      const B = [0, 0, 1];
      const a = plainCopy(s, A);
      const b = plainCopy(s, B);
      const { height: h, width: w, channels: c } = data.validation;
      const x = tf.tensor4d(data.validation.x.slice(0, 16 * h * w * c), [16, h, w, c]);
      const netA = s.network(A);
      const diff = tf.tidy(() => maxDiff(netA.forward(x, false), a.net.forward(x, false)));
      expect(diff).toBeLessThan(1e-4);

      const batch = gatherBatch(data.train, Array.from({ length: 32 }, (_, i) => i));
      for (const p of s.table.params()) p.clearGrad();
      const lossA = backpropBatch(netA, batch);
      const lossB = backpropBatch(s.network(B), batch);
      expect(lossA).toBeCloseTo(backpropBatch(a.net, batch), 4);
      expect(lossB).toBeCloseTo(backpropBatch(b.net, batch), 4);

      // expected gradient of every shared tensor: the plain nets' conv gradients padded into place, added up
      const expected = new Map<Param, tf.Tensor>();
      for (const { pairs } of [a, b])
        for (const [n, p] of pairs) {
          if (!isConv(n) || !(n.weight instanceof ParamSlice)) continue;
          const sl = n.weight;
          const shape = sl.parent.variable.shape;
          const own = (p as Conv).weight as Param;
          const g = tf.pad(own.grad!, sl.begin.map((v, i) => [v, shape[i] - v - sl.size[i]] as [number, number]));
          const prev = expected.get(sl.parent);
          expected.set(sl.parent, prev ? tf.add(prev, g) : g);
        }
      expect([...expected.keys()].map((p) => p.name).sort()).toEqual(
        ['layer1.dw.weight', 'layer1.expand.weight', 'layer1.project.weight', 'layer2.dw.weight', 'layer2.expand.weight', 'layer2.project.weight', 'layer3.dw.weight', 'layer3.expand.weight', 'layer3.project.weight'],
      );
      for (const [p, g] of expected) {
        const scale = Math.max(...values(g).map(Math.abs));
        expect(scale).toBeGreaterThan(0);
        expect(maxDiff(p.grad!, g) / scale, p.name).toBeLessThan(1e-4);
      }
      for (const p of s.table.params()) p.clearGrad();
      a.net.dispose();
      b.net.dispose();
      x.dispose();
    } finally {
      s.dispose();
    }
  });

  it('trains (the loss falls), resumes a killed training exactly, and refuses an independent checkpoint and vice versa', async () => {
    const s = nested();
    const losses: number[] = [];
    await s.train(data.train, { steps: 24, batchSize: 32, seed: 1, onProgress: (p) => losses.push(p.loss) });
    const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
    expect(mean(losses.slice(-6))).toBeLessThan(0.8 * mean(losses.slice(0, 6)));
    s.dispose();

    const opts = { steps: 6, batchSize: 32, seed: 3, checkpointEvery: 2, sampler: 'fair' as const };
    const whole = nested();
    await whole.train(data.train, opts);
    const want = whole.table.params().map((p) => values(p.value));
    whole.dispose();
    const file = path.join(dir, 'nested.supernet');
    const killed = nested();
    const kill = new Error('killed');
    await expect(killed.train(data.train, { ...opts, checkpoint: file, onProgress: (p) => { if (p.step === 3) throw kill; } })).rejects.toBe(kill);
    killed.dispose();
    const resumed = nested(99);
    expect((await resumed.train(data.train, { ...opts, checkpoint: file })).resumedFrom).toBe(2);
    resumed.table.params().forEach((p, i) => expect(values(p.value)).toEqual(want[i]));
    resumed.dispose();

    const independent = new Supernet(CandidateTable.build(space, data.train, 10, 1));
    const err = await independent.train(data.train, { ...opts, checkpoint: file }).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/other settings \(sharing: "nested" there, "independent" here\)/);
    const other = path.join(dir, 'independent.supernet');
    await independent.train(data.train, { ...opts, steps: 2, checkpoint: other });
    independent.dispose();
    const n = nested();
    await expect(n.train(data.train, { ...opts, steps: 2, checkpoint: other })).rejects.toThrow(/sharing: "independent" there, "nested" here/);
    n.dispose();
  });
});
