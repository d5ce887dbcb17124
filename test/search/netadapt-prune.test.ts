import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Architecture } from '../../src/core/arch.js';
import { opKey, parseOpKey } from '../../src/core/keys.js';
import { expandedChannels, type MBConvSpec } from '../../src/core/ops.js';
import { Rng } from '../../src/core/rng.js';
import { placeLayers } from '../../src/core/arch.js';
import { useTrainingBackend } from '../../src/train/backend.js';
import { Network } from '../../src/train/nn/network.js';
import {
  candidateWidths,
  filterNorms,
  keptFilters,
  largestNorms,
  prunableUnits,
  sliceAxis,
  slicePlan,
  transferWeights,
  withWidth,
  type PrunableUnit,
} from '../../src/search/netadapt/prune.js';
import { forData, mobilenetV2Member, startArchitecture } from '../../src/search/netadapt/start.js';
import { createSpace } from '../../src/spaces/registry.js';

const conv = (cout: number, k = 3, stride = 1) => ({ kind: 'conv' as const, cout, k, stride, groups: 1, dilation: 1, act: 'relu6' as const });
const mb = (cout: number, expand: number, skip: boolean, se = 0, stride = 1): MBConvSpec => ({ kind: 'mbconv', cout, k: 3, stride, expand, se, act: 'relu6', skip });

/** Every kind of unit: stem conv into an e1 block, conv into an expanding block, inner widths with and without SE, head conv into gpool + linear. */
function net(): Architecture {
  return {
    name: 'prune-test',
    input: [1, 1, 12, 12],
    dtype: 'f32',
    layers: [
      { role: 'stem', spec: conv(16, 3, 2) },
      { role: 'block', spec: mb(16, 1, false) },
      { role: 'block', spec: conv(24, 1) },
      { role: 'block', spec: mb(24, 3, false, 0, 2) },
      { role: 'block', spec: mb(24, 3, true, 0.25) },
      { role: 'head', spec: conv(40, 1) },
      { role: 'head', spec: { kind: 'gpool', mode: 'avg' } },
      { role: 'head', spec: { kind: 'linear', cout: 10, act: 'none' } },
    ],
  };
}

/** Random values in every parameter (positive variances), so BatchNorm and biases matter. */
function randomize(n: Network, seed: number): void {
  const rng = new Rng(seed);
  for (const p of n.params()) {
    const data = rng.fill(p.value.size, 0.5);
    if (p.role === 'bn-var') data.forEach((v, i) => (data[i] = 0.5 + Math.abs(v)));
    tf.tidy(() => p.variable.assign(tf.tensor(data, p.value.shape)));
  }
}

const images = (n: Network, count = 3) => tf.tensor4d(new Rng(9).fill(count * n.imageShape.reduce((a, b) => a * b, 1)), [count, ...n.imageShape]);
const logits = (n: Network, x: tf.Tensor4D) => n.forward(x, false).dataSync() as Float32Array;
const param = (n: Network, name: string) => n.params().find((p) => p.name === name)!;

function maxDiff(a: Float32Array, b: Float32Array): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

beforeAll(async () => {
  await useTrainingBackend('auto');
});

describe('netadapt pruning', () => {
  it('finds the units no residual ties, with the widths that would change a block kind excluded', () => {
    const units = prunableUnits(net());
    expect(units.map((u) => [u.layer, u.kind, u.width])).toEqual([
      [0, 'output', 16],
      [2, 'output', 24],
      [3, 'inner', 72],
      [4, 'inner', 72],
      [5, 'output', 40],
    ]);
    // conv 2 feeds an e3 block whose inner width is 72: width 72 would make it expand 1.
    expect(units[1].excluded).toEqual([72]);
    expect(units[2].excluded).toEqual([24]);
    expect(candidateWidths(units[2], 8)).toEqual([64, 56, 48, 40, 32, 16, 8]);
    expect(candidateWidths({ ...units[0], width: 20 }, 8)).toEqual([16, 8]);
  });

  it('writes a pruned inner width as a fractional expansion that rounds back and round-trips through its key', () => {
    const a = net();
    const inner = prunableUnits(a)[2];
    for (const w of candidateWidths(inner, 1)) {
      const spec = withWidth(a, inner, w).layers[3].spec as MBConvSpec;
      expect(expandedChannels(24, spec.expand)).toBe(w);
      const inst = placeLayers(withWidth(a, inner, w))[3].inst;
      expect(parseOpKey(opKey(inst))).toEqual(inst);
    }
    // A conv feeding an expanding block keeps that block's inner width.
    const shrunk = withWidth(a, prunableUnits(a)[1], 16);
    expect(placeLayers(shrunk)[3].inst.input[1]).toBe(16);
    expect(expandedChannels(16, (shrunk.layers[3].spec as MBConvSpec).expand)).toBe(72);
  });

  it('ranks filters by L2 norm and slices any axis', () => {
    // [1, 1, 2, 3]: filter j = column j; norms sqrt(1+16)=4.12, sqrt(4+25)=5.39, sqrt(9+0)=3
    const w = Float32Array.from([1, 2, 3, 4, 5, 0]);
    expect([...filterNorms(w, [1, 1, 2, 3])].map((v) => v.toFixed(2))).toEqual(['4.12', '5.39', '3.00']);
    expect(largestNorms([1, 3, 3, 0.5], 2)).toEqual([1, 2]);
    expect([...sliceAxis(Float32Array.from([0, 1, 2, 3, 4, 5]), [2, 3], 1, [2, 0])]).toEqual([2, 0, 5, 3]);
    expect([...sliceAxis(Float32Array.from([0, 1, 2, 3, 4, 5]), [2, 3], 0, [1])]).toEqual([3, 4, 5]);
  });

  it('gives the same outputs when nothing is pruned, even with every unit\'s channels permuted', () => {
    const a = net();
    const source = new Network(a);
    randomize(source, 1);
    const x = images(source);
    const want = logits(source, x);
    for (const unit of prunableUnits(a)) {
      const order = Array.from({ length: unit.width }, (_, i) => i);
      const permuted = [...order].reverse();
      for (const keep of [order, permuted]) {
        const copy = transferWeights(source, a, slicePlan(a, unit), keep);
        expect(maxDiff(logits(copy, x), want), `layer ${unit.layer} ${keep === order ? 'in order' : 'permuted'}`).toBeLessThan(1e-4);
        copy.dispose();
      }
    }
    x.dispose();
    source.dispose();
  });

  it('keeps the largest-norm filters: the pruned net computes what the original does with the others cut off', () => {
    const a = net();
    const source = new Network(a);
    randomize(source, 2);
    const x = images(source);
    // Where the dropped channels leave the unit: zeroing them there in the original must give the pruned net's outputs.
    const exits: Record<number, { name: string; axis: number }[]> = {
      0: [{ name: 'layer1.project.weight', axis: 2 }],
      2: [{ name: 'layer3.expand.weight', axis: 2 }],
      3: [{ name: 'layer3.project.weight', axis: 2 }],
      4: [
        { name: 'layer4.project.weight', axis: 2 },
        { name: 'layer4.se.reduce.weight', axis: 0 },
      ],
      5: [{ name: 'layer7.fc.weight', axis: 0 }],
    };
    for (const unit of prunableUnits(a)) {
      const ws = candidateWidths(unit, 8);
      const width = ws[Math.min(1, ws.length - 1)];
      const keep = keptFilters(source, unit, width);
      const p = param(source, unit.filters);
      const norms = filterNorms(p.value.dataSync() as Float32Array, p.value.shape);
      const dropped = [...norms.keys()].filter((i) => !keep.includes(i));
      expect(Math.min(...keep.map((i) => norms[i]))).toBeGreaterThanOrEqual(Math.max(...dropped.map((i) => norms[i])));

      const pruned = transferWeights(source, withWidth(a, unit, width), slicePlan(a, unit), keep);
      // The kept filters, in order, are the producing conv's filters.
      const kept = param(pruned, unit.filters).value;
      expect([...(kept.dataSync() as Float32Array)]).toEqual([...sliceAxis(p.value.dataSync() as Float32Array, p.value.shape, 3, keep)]);

      const cut = transferWeights(source, a, new Map(), []);
      for (const { name, axis } of exits[unit.layer] as { name: string; axis: number }[]) {
        const q = param(cut, name);
        const data = (q.value.dataSync() as Float32Array).slice();
        const shape = q.value.shape;
        const inner = shape.slice(axis + 1).reduce((m, d) => m * d, 1);
        for (let i = 0; i < data.length; i++) if (dropped.includes(Math.floor(i / inner) % shape[axis])) data[i] = 0;
        tf.tidy(() => q.variable.assign(tf.tensor(data, shape)));
      }
      expect(maxDiff(logits(pruned, x), logits(cut, x)), `layer ${unit.layer}`).toBeLessThan(1e-4);
      pruned.dispose();
      cut.dispose();
    }
    x.dispose();
    source.dispose();
  });

  it('refuses a unit whose filters are not in the network', () => {
    const a = net();
    const n = new Network(a);
    const bogus: PrunableUnit = { layer: 9, kind: 'inner', width: 8, filters: 'layer9.expand.weight', excluded: [] };
    expect(() => keptFilters(n, bogus, 4)).toThrow(/not a parameter/);
    n.dispose();
  });
});

describe('netadapt start network', () => {
  it("is MobileNetV2's depth in the mbv2 space (k3 e6, 2/3/4/3/3/1 blocks per stage), retargeted to the data", async () => {
    const space = createSpace('mbv2', { resolution: 32 });
    const arch = mobilenetV2Member(space);
    const blocks = arch.layers.filter((l) => l.role === 'block').map((l) => l.spec as MBConvSpec);
    expect(blocks.map((b) => b.cout)).toEqual([24, 24, 40, 40, 40, 80, 80, 80, 80, 96, 96, 96, 192, 192, 192, 320]);
    expect(blocks.every((b) => b.k === 3 && b.expand === 6)).toBe(true);
    const adapted = forData(arch, { channels: 1, height: 14, width: 14, classes: 10 });
    expect(adapted.input).toEqual([1, 1, 14, 14]);
    expect(adapted.space).toBeUndefined();
    expect(adapted.layers[adapted.layers.length - 1].spec).toMatchObject({ kind: 'linear', cout: 10 });
    expect(await startArchitecture(undefined, space)).toEqual(arch);
    expect((await startArchitecture('MobileNetV2-1.0', space)).input).toEqual([1, 3, 32, 32]);
    expect(() => mobilenetV2Member(createSpace('nb201'))).toThrow(/no MobileNetV2-style member/);
  });
});
