/**
 * The `nasnet` space and the NASNet cell (issue 11): sampling is deterministic and every vector builds; the space
 * lists every LUT instance its members decompose into (what `nas profile --space nasnet` measures); a cell
 * decomposes into parts whose MACs add up to the lowered network's; the cell concatenates its unused states
 * (a reduction cell's unused input through FactorizedReduce); a block may read one state twice; a block may
 * concatenate its two ops (2F channels, brought back as TF slim's code does); bad cells are refused by name.
 */
import { describe, expect, it } from 'vitest';
import { placeLayers } from '../../src/core/arch.js';
import { blockInstances, lutInstances } from '../../src/core/decompose.js';
import { graphMetrics, inferShapes } from '../../src/core/graph/index.js';
import { opKey } from '../../src/core/keys.js';
import { lowerArchitecture, lowerInstance } from '../../src/core/lower/index.js';
import { nasnetCellString, parseNasnetCell } from '../../src/core/nasnet-cell.js';
import { instance, macs, outputShape } from '../../src/core/ops.js';
import { Rng } from '../../src/core/rng.js';
import { NasnetSpace } from '../../src/spaces/nasnet.js';
import { NASNET_A as PUBLISHED } from '../../src/spaces/seed-nets/nasnet.js';
import { createSpace } from '../../src/spaces/registry.js';
import { NASNET_A_40_ENTRIES, NASNET_CONCAT_NORMAL, NASNET_CONCAT_REDUCE } from '../fixtures/catalog.js';
import { readArchFile } from '../../src/spaces/arch-file.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

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
    expect(s.decisions()).toHaveLength(50);
    expect(s.decisions().map((d) => d.options.length).slice(0, 10)).toEqual([2, 2, 13, 13, 2, 3, 3, 13, 13, 2]);
    expect(s.decisions()[4]).toEqual({ name: 'normal.block2.combine', options: ['add', 'concat'] });
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
    // NASNet-A adds everywhere: every combine decision is add (0).
    expect(space.encode(NASNET_A).filter((_, i) => i % 5 === 4)).toEqual(Array(10).fill(0));
    // NASNet-A-Mobile's blocks too (the space concatenates the unused states, not slim's lists).
    const blocks = { normal: PUBLISHED.normal.split('>')[0], reduce: PUBLISHED.reduce.split('>')[0] };
    expect(space.genotype(space.encode(blocks))).toEqual(blocks);
  });

  it('reads a 40-entry encoding saved before the add/concat decision as every block adding, with a one-line note', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hwnas-nasnet-old-'));
    try {
      const write = (name: string, encoding: number[]) => {
        const file = path.join(dir, name);
        writeFileSync(file, JSON.stringify({ space: 'nasnet', resolution: 16, encoding }));
        return file;
      };
      const notes: string[] = [];
      const onNote = (m: string) => notes.push(m);
      const file = write('old.json', NASNET_A_40_ENTRIES);
      const today = new NasnetSpace({ resolution: 16 });
      expect(await readArchFile(file, { onNote })).toEqual(today.build(today.encode(NASNET_A)));
      expect(notes).toEqual([`${file}: an encoding of 40 decisions, from before each block chose add or concat: read with every block adding, as it meant then`]);
      // Today's vectors are read as they are; other lengths are still refused.
      expect((await readArchFile(write('new.json', today.encode(NASNET_A)), { onNote })).space!.encoding).toEqual(today.encode(NASNET_A));
      expect(notes).toHaveLength(1);
      await expect(readArchFile(write('short.json', NASNET_A_40_ENTRIES.slice(1)))).rejects.toThrow(/the encoding does not fit space 'nasnet': nasnet: a choice vector has 50 entries .*got 39/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an option index out of range, naming the decision', () => {
    const c = space.sample(new Rng(1));
    c[5] = 3;
    expect(() => space.build(c)).toThrow(/normal\.block3\.input_a must be an integer in \[0, 2\]/);
    c[5] = 0;
    c[4] = 2;
    expect(() => space.build(c)).toThrow(/normal\.block2\.combine must be an integer in \[0, 1\]/);
  });

  it('encodes and builds concatenating blocks; sampling draws both combines', () => {
    const cells = { normal: CONCAT_NORMAL, reduce: CONCAT_REDUCE };
    const c = space.encode(cells);
    expect(c.filter((_, i) => i % 5 === 4)).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 1, 1]);
    expect(space.genotype(c)).toEqual(cells);
    const rng = new Rng(5);
    const combines = Array.from({ length: 20 }, () => space.sample(rng)).flatMap((v) => v.filter((_, i) => i % 5 === 4));
    expect(new Set(combines)).toEqual(new Set([0, 1]));
  });
});

const [CONCAT_NORMAL, CONCAT_REDUCE] = [NASNET_CONCAT_NORMAL, NASNET_CONCAT_REDUCE];

describe('NASNet cell: the combine', () => {
  it('parses and writes the concat mark; a group with another suffix is refused', () => {
    const p = parseNasnetCell(CONCAT_REDUCE);
    expect(p.combines).toEqual(['add', 'add', 'add', 'concat', 'concat']);
    expect(p.blocks[4]).toEqual([
      { op: 'sep_conv_7x7', from: 5 },
      { op: 'identity', from: 5 },
    ]);
    expect(nasnetCellString(p.blocks, p.combines)).toBe(CONCAT_REDUCE);
    expect(parseNasnetCell(NASNET_A.normal).combines).toEqual(Array(5).fill('add'));
    expect(() => parseNasnetCell(CONCAT_REDUCE.replace('|concat+', '|cat+'))).toThrow(/block 5's group '\|identity~4\|identity~2\|cat' must start and end with '\|'/);
  });

  it('gives a concatenating block 2F channels, which later ops map back to F and the output brings to the last block', () => {
    const x = [1, 8, 6, 6] as const;
    const g = lowerInstance(instance({ kind: 'nasnetcell', cell: CONCAT_NORMAL, reduce: false }, x));
    const shapeOf = (id: string) => inferShapes(g).get(id);
    expect(shapeOf('op.node2')).toEqual([1, 16, 6, 6]);
    expect(g.nodes.find((n) => n.id === 'op.node2')!.prim.op).toBe('concat');
    // identity on block 2 (16 channels) is ReLU-conv 1×1-BN to 8; the max pool on it is followed by a 1×1 conv-BN.
    expect(g.nodes.find((n) => n.id === 'op.edge3_2.conv')).toMatchObject({ prim: { op: 'conv', cout: 8 } });
    expect(shapeOf('op.node3')).toEqual([1, 8, 6, 6]);
    // Unused: 3, 5, 6, all 8 wide (the last block adds): 24 channels, no extra conv.
    expect(parseNasnetCell(CONCAT_NORMAL).concat).toEqual([3, 5, 6]);
    expect(outputShape({ kind: 'nasnetcell', cell: CONCAT_NORMAL, reduce: false }, x)).toEqual([1, 24, 6, 6]);
    // The reduction cell: unused input 1 (FactorizedReduce to 16), block 3 (8: a 1×1 conv to 16), block 6 (16).
    expect(parseNasnetCell(CONCAT_REDUCE).concat).toEqual([1, 3, 6]);
    const inst = instance({ kind: 'nasnetcell', cell: CONCAT_REDUCE, reduce: true }, x);
    expect(outputShape(inst.spec, inst.input)).toEqual([1, 48, 3, 3]);
    const r = lowerInstance(inst);
    expect(r.nodes.filter((n) => n.prim.op === 'slice')).toHaveLength(1);
    expect(r.nodes.find((n) => n.id === 'op.edge8_3.conv')).toMatchObject({ prim: { op: 'conv', cout: 16, kernel: [1, 1] } });
    // The decomposition: block 5 and 6's concats, then the output concat of three 16-channel states.
    const parts = blockInstances(inst);
    expect(parts.filter((p) => p.spec.kind === 'concat').map((p) => p.spec)).toEqual([
      { kind: 'concat', channels: [8, 8] },
      { kind: 'concat', channels: [8, 8] },
      { kind: 'concat', channels: [16, 16, 16] },
    ]);
    expect(parts.reduce((a, p) => a + macs(p), 0)).toBe(graphMetrics(r).macs);
  });

  it('a network of concatenating cells: each cell reads the wider outputs through its 1×1 convs', () => {
    const net = new NasnetSpace({ resolution: 8, normalCells: 1, filters: 4 });
    const arch = net.build(net.encode({ normal: CONCAT_NORMAL, reduce: CONCAT_REDUCE }));
    const placed = new Map(placeLayers(arch).map((p) => [p.id, p]));
    // Normal cells output 3 × F, reduction cells 3 × 2F (their last block concatenates).
    expect(['cell0', 'cell1', 'cell2', 'cell3', 'cell4'].map((id) => placed.get(id)!.output[1])).toEqual([12, 48, 24, 96, 48]);
    expect(placed.get('cell2_pre1')!.inst.input[1]).toBe(48);
    expect(placeLayers(arch).at(-1)!.output).toEqual([1, 10, 1, 1]);
    expect(lutInstances(arch).reduce((a, { inst }) => a + macs(inst), 0)).toBe(graphMetrics(lowerArchitecture(arch)).macs);
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
