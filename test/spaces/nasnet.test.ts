/**
 * The `nasnet` space and the NASNet cell (issue 11): sampling is deterministic and every vector builds; the space
 * lists every LUT instance its members decompose into (what `nas profile --space nasnet` measures); a cell
 * decomposes into parts whose MACs add up to the lowered network's; the cell concatenates its unused states
 * (a reduction cell's unused input through FactorizedReduce); a block may read one state twice; bad cells are
 * refused by name.
 */
import { describe, expect, it } from 'vitest';
import { placeLayers } from '../../src/core/arch.js';
import { lutInstances } from '../../src/core/decompose.js';
import { graphMetrics } from '../../src/core/graph/index.js';
import { opKey } from '../../src/core/keys.js';
import { lowerArchitecture, lowerInstance } from '../../src/core/lower/index.js';
import { parseNasnetCell } from '../../src/core/nasnet-cell.js';
import { instance, macs, outputShape } from '../../src/core/ops.js';
import { Rng } from '../../src/core/rng.js';
import { NasnetSpace } from '../../src/spaces/nasnet.js';
import { NASNET_A as PUBLISHED } from '../../src/spaces/seed-nets/nasnet.js';
import { createSpace } from '../../src/spaces/registry.js';

// A small network keeps the test fast; the rules do not depend on the size.
const space = new NasnetSpace({ resolution: 16, normalCells: 1, filters: 8 });
// NASNet-A's cells (TF slim nasnet_utils.py NasNetANormalCell / NasNetAReductionCell) with slim's hiddenstate_indices
// taken as written (slim's state 0 is h_i, ours h_{i-1}: these are the cells with the inputs swapped), concatenating
// the unused states. The published net's cells, in our order and with slim's concat lists: seed-nets/nasnet.ts.
const NASNET_A = {
  normal: '|sep_conv_5x5~0|sep_conv_3x3~1|+|sep_conv_5x5~1|sep_conv_3x3~1|+|avg_pool_3x3~0|identity~1|+|avg_pool_3x3~1|avg_pool_3x3~1|+|sep_conv_3x3~0|identity~0|',
  reduce: '|sep_conv_5x5~0|sep_conv_7x7~1|+|max_pool_3x3~0|sep_conv_7x7~1|+|avg_pool_3x3~0|sep_conv_5x5~1|+|identity~3|avg_pool_3x3~2|+|sep_conv_3x3~2|max_pool_3x3~0|',
};

describe('nasnet space', () => {
  it('is registered, with NASNet CIFAR (N = 6, F = 32) by default', () => {
    const s = createSpace('nasnet') as NasnetSpace;
    expect([s.resolution, s.classes, s.normalCells, s.filters]).toEqual([32, 10, 6, 32]);
    expect(s.decisions()).toHaveLength(40);
    expect(s.decisions().map((d) => d.options.length).slice(0, 8)).toEqual([2, 2, 13, 13, 3, 3, 13, 13]);
  });

  it('samples the same vectors for the same seed and builds them', () => {
    const draw = () => ((rng) => Array.from({ length: 5 }, () => space.sample(rng)))(new Rng(3));
    expect(draw()).toEqual(draw());
    for (const c of draw()) {
      const arch = space.build(c);
      expect(arch.space).toEqual({ id: 'nasnet', resolution: 16, encoding: c });
      expect(placeLayers(arch).at(-1)!.output).toEqual([1, 10, 1, 1]);
      expect(arch.layers.filter((l) => l.spec.kind === 'nasnetcell' && l.spec.reduce)).toHaveLength(2);
    }
  });

  it('lists every LUT instance its members decompose into', () => {
    const keys = new Set(space.allInstances().map(opKey));
    const rng = new Rng(7);
    for (let i = 0; i < 40; i++) for (const { inst } of lutInstances(space.build(space.sample(rng)))) expect(keys.has(opKey(inst)), opKey(inst)).toBe(true);
  });

  it("a network's decomposed instances add up to its lowered MACs", () => {
    for (const seed of [11, 12]) {
      const arch = space.build(space.sample(new Rng(seed)));
      const parts = lutInstances(arch).reduce((a, { inst }) => a + macs(inst), 0);
      expect(parts).toBe(graphMetrics(lowerArchitecture(arch)).macs);
    }
  });

  it("holds NASNet-A's blocks (its encoding builds the same cells)", () => {
    const g = space.genotype(space.encode(NASNET_A));
    expect(g).toEqual(NASNET_A);
    // NASNet-A-Mobile's blocks too (the space concatenates the unused states, not slim's lists).
    const blocks = { normal: PUBLISHED.normal.split('>')[0], reduce: PUBLISHED.reduce.split('>')[0] };
    expect(space.genotype(space.encode(blocks))).toEqual(blocks);
  });

  it('rejects an option index out of range, naming the decision', () => {
    const c = space.sample(new Rng(1));
    c[4] = 3;
    expect(() => space.build(c)).toThrow(/normal\.block3\.input_a must be an integer in \[0, 2\]/);
  });
});

describe('NASNet cell', () => {
  it('concatenates the unused states: 6F for a normal cell that reads only its inputs', () => {
    expect(parseNasnetCell(NASNET_A.normal).concat).toEqual([2, 3, 4, 5, 6]);
    expect(outputShape({ kind: 'nasnetcell', cell: NASNET_A.normal, reduce: false }, [1, 8, 6, 6])).toEqual([1, 40, 6, 6]);
    // slim's NASNet-A normal cell also concatenates h_i: the '>' list says so.
    expect(outputShape({ kind: 'nasnetcell', cell: `${NASNET_A.normal}>1,2,3,4,5,6`, reduce: false }, [1, 8, 6, 6])).toEqual([1, 48, 6, 6]);
  });

  it("a reduction cell's unused input goes through FactorizedReduce; a block reading one state twice has two edges", () => {
    const cell = '|identity~0|max_pool_3x3~0|+|sep_conv_3x3~2|conv_1x1~0|+|identity~3|identity~3|+|conv_3x3~4|avg_pool_3x3~0|+|sep_conv_7x7~5|dil_conv_3x3~5|';
    const inst = instance({ kind: 'nasnetcell', cell, reduce: true }, [1, 8, 8, 8]);
    // Unused: input 1 (reduced by FactorizedReduce) and block 6.
    expect(outputShape(inst.spec, inst.input)).toEqual([1, 16, 4, 4]);
    const g = lowerInstance(inst);
    expect(g.inputs.map((i) => i.name)).toEqual(['input0', 'input1']);
    expect(g.nodes.some((n) => n.prim.op === 'slice')).toBe(true);
    // identity on an input at stride 2 is a 1×1 conv; block 4 adds state 3 to itself.
    expect(g.nodes.some((n) => n.id === 'op.edge2_0.conv')).toBe(true);
    const node4 = g.nodes.find((n) => n.id === 'op.node4')!;
    expect(node4.inputs).toHaveLength(2);
    expect(new Set(node4.inputs).size).toBe(1);
    expect(graphMetrics(g).macs).toBe(lutInstances({ name: 'c', input: [1, 8, 8, 8], dtype: 'f32', layers: [{ role: 'block', inputs: ['input', 'input'], spec: inst.spec }] }).reduce((a, { inst: p }) => a + macs(p), 0));
  });

  it('refuses bad cells by name', () => {
    expect(() => parseNasnetCell(NASNET_A.normal.replace('identity~0', 'identity~6'))).toThrow(/states 0\.\.5, got ~6/);
    expect(() => parseNasnetCell(NASNET_A.normal.replace('sep_conv_5x5', 'conv_5x5'))).toThrow(/unknown op 'conv_5x5'/);
    expect(() => parseNasnetCell(`${NASNET_A.normal}>3,2`)).toThrow(/ascending integers/);
    expect(() => parseNasnetCell(NASNET_A.normal.split('+').slice(1).join('+'))).toThrow(/expected 5 block groups/);
  });
});

/**
 * TF slim's build_nasnet_cifar: the first cell has no h_{i-1} (_cifar_stem returns [None, stem]; _reduce_prev_layer
 * then takes h_i, the raw stem, as h_{i-1}), so its ops read the 3F-channel stem and map it to F themselves; and
 * _reduce_prev_layer leaves an h_{i-1} that already has the cell's size and filters as it is (no 1×1 conv).
 */
describe('NASNet CIFAR network (slim _cifar_stem / _reduce_prev_layer)', () => {
  // Normal: avg pool and identity on h_{i-1}, every other state read but the last (concatenates 1 state).
  // Reduce: max pools on both inputs, states 5 and 6 unused (concatenates 2 states).
  const genotype = {
    normal: '|avg_pool_3x3~0|identity~1|+|identity~0|identity~2|+|identity~3|identity~3|+|identity~4|identity~4|+|identity~5|identity~5|',
    reduce: '|max_pool_3x3~0|max_pool_3x3~1|+|identity~2|identity~2|+|identity~3|identity~3|+|identity~4|identity~4|+|identity~4|identity~4|',
  };
  const net = new NasnetSpace({ resolution: 8, normalCells: 1, filters: 4 });
  const arch = net.build(net.encode(genotype));
  const layers = new Map(arch.layers.map((l) => [l.id, l]));
  const placed = new Map(placeLayers(arch).map((p) => [p.id, p]));

  it('the first cell reads the stem itself; h_{i-1} of the cell width is read as it is', () => {
    expect(layers.has('cell0_pre0')).toBe(false);
    expect(layers.get('cell0')).toMatchObject({ inputs: ['stem', 'cell0_pre1'], spec: { filters: 4 } });
    // cell3 (reduce, 16 filters) reads cell1's 2 × 8 = 16 channels at its own size: no 1×1 conv.
    expect(layers.has('cell3_pre0')).toBe(false);
    expect(layers.get('cell3')!.inputs).toEqual(['cell1', 'cell3_pre1']);
    // The others as before: a 1×1 conv of another width, FactorizedReduce after a reduction.
    expect(layers.get('cell1_pre0')).toMatchObject({ inputs: ['stem'], spec: { kind: 'reluconv', cout: 8 } });
    expect(layers.get('cell2_pre0')).toMatchObject({ inputs: ['cell0'], spec: { kind: 'factreduce', cout: 8 } });
    expect(layers.get('cell4_pre0')).toMatchObject({ inputs: ['cell2'], spec: { kind: 'factreduce', cout: 16 } });
    expect(['cell0', 'cell1', 'cell2', 'cell3', 'cell4'].map((id) => placed.get(id)!.output)).toEqual([
      [1, 4, 8, 8],
      [1, 16, 4, 4],
      [1, 8, 4, 4],
      [1, 32, 2, 2],
      [1, 16, 2, 2],
    ]);
  });

  it('has the hand-counted parameters (BatchNorm folded: a conv-BN is its weights plus a bias of cout)', () => {
    const convBn = (cin: number, cout: number, k = 1) => cin * cout * k * k + cout;
    const stem = convBn(3, 12, 3);
    // cell0 (F = 4): h_i 1×1 12→4; avg pool on the stem then 1×1 conv-BN 12→4; identity on the stem is ReLU-conv 1×1 12→4.
    const cell0 = convBn(12, 4) + convBn(12, 4) + convBn(12, 4);
    // cell1 (reduce, 8): h_{i-1} the stem 12→8, h_i cell0's 4→8; max pools and identities have none.
    const cell1 = convBn(12, 8) + convBn(4, 8);
    // cell2 (8): FactorizedReduce of cell0 (two 1×1 convs 4→4 and their BN), h_i 16→8.
    const cell2 = 2 * convBn(4, 4) + convBn(16, 8);
    // cell3 (reduce, 16): h_{i-1} as it is, h_i 8→16.
    const cell3 = convBn(8, 16);
    // cell4 (16): FactorizedReduce 8→16, h_i 32→16; then the classifier 16→10 with its bias.
    const cell4 = 2 * convBn(8, 8) + convBn(32, 16);
    const head = 16 * 10 + 10;
    expect(stem + cell0 + cell1 + cell2 + cell3 + cell4 + head).toBe(1798);
    expect(graphMetrics(lowerArchitecture(arch)).params).toBe(1798);
  });
});
