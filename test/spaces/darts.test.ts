/**
 * The `darts` space and the DARTS cell (issue 11): sampling is deterministic and every vector builds; the space
 * lists every LUT instance its members decompose into (what `nas profile --space darts` measures); a cell
 * decomposes into parts whose MACs add up to the lowered network's; DARTS-V2's cells are a member; a node of two
 * none edges in a reduction cell is zeros at the reduced size; bad cell strings are refused by name.
 */
import { describe, expect, it } from 'vitest';
import { placeLayers } from '../../src/core/arch.js';
import { parseDartsCell } from '../../src/core/darts-cell.js';
import { lutInstances } from '../../src/core/decompose.js';
import { graphMetrics } from '../../src/core/graph/index.js';
import { opKey } from '../../src/core/keys.js';
import { lowerArchitecture, lowerInstance } from '../../src/core/lower/index.js';
import { instance, macs, outputShape } from '../../src/core/ops.js';
import { Rng } from '../../src/core/rng.js';
import { DartsSpace } from '../../src/spaces/darts.js';
import { createSpace } from '../../src/spaces/registry.js';
import { DARTS_V2 } from '../../src/spaces/seed-nets/darts.js';
import { seedNet } from '../../src/spaces/seed-nets/index.js';

// A small network keeps the test fast; the rules do not depend on the size.
const space = new DartsSpace({ resolution: 16, cells: 5, channels: 8 });

describe('darts space', () => {
  it('is registered, with the DARTS CIFAR-10 network by default', () => {
    const s = createSpace('darts') as DartsSpace;
    expect([s.resolution, s.classes, s.cells, s.channels]).toEqual([32, 10, 20, 36]);
    expect(s.decisions()).toHaveLength(24);
    expect(s.decisions().map((d) => d.options.length).slice(0, 12)).toEqual([1, 8, 8, 3, 8, 8, 6, 8, 8, 10, 8, 8]);
  });

  it('samples the same vectors for the same seed and builds them', () => {
    const draw = () => ((rng) => Array.from({ length: 5 }, () => space.sample(rng)))(new Rng(3));
    expect(draw()).toEqual(draw());
    for (const c of draw()) {
      const arch = space.build(c);
      expect(arch.space).toEqual({ id: 'darts', resolution: 16, encoding: c });
      expect(placeLayers(arch).at(-1)!.output).toEqual([1, 10, 1, 1]);
      expect(arch.layers.filter((l) => l.spec.kind === 'dartscell' && l.spec.reduce)).toHaveLength(2);
    }
  });

  it('lists every LUT instance its members decompose into', () => {
    const keys = new Set(space.allInstances().map(opKey));
    const rng = new Rng(7);
    for (let i = 0; i < 30; i++) for (const { inst } of lutInstances(space.build(space.sample(rng)))) expect(keys.has(opKey(inst)), opKey(inst)).toBe(true);
  });

  it("a network's decomposed instances add up to its lowered MACs", () => {
    for (const arch of [seedNet('DARTS-V2', { resolution: 64 }), space.build(space.sample(new Rng(11)))]) {
      const parts = lutInstances(arch).reduce((a, { inst }) => a + macs(inst), 0);
      expect(parts).toBe(graphMetrics(lowerArchitecture(arch)).macs);
    }
  });

  it('holds DARTS-V2 (its encoding builds the same cells)', () => {
    const c = space.encode(DARTS_V2);
    const g = space.genotype(c);
    const edges = (cell: string) => parseDartsCell(cell).map((node) => node.map((e) => `${e.op}~${e.from}`).sort());
    expect(edges(g.normal)).toEqual(edges(DARTS_V2.normal));
    expect(edges(g.reduce)).toEqual(edges(DARTS_V2.reduce));
  });

  it('rejects an option index out of range, naming the decision', () => {
    const c = space.sample(new Rng(1));
    c[4] = 99;
    expect(() => space.build(c)).toThrow(/normal\.node3\.op_a must be an integer/);
  });

  it('refuses a resolution that two reductions cannot halve exactly', () => {
    expect(() => new DartsSpace({ resolution: 30 })).toThrow(/multiple of 4/);
  });
});

describe('DARTS cell', () => {
  const cell = '|none~0|none~1|+|sep_conv_3x3~0|skip_connect~2|+|max_pool_3x3~1|avg_pool_3x3~3|+|dil_conv_5x5~4|skip_connect~1|';

  it('a reduction node with only none edges is zeros at the reduced size', () => {
    const inst = instance({ kind: 'dartscell', cell, reduce: true }, [1, 8, 8, 8]);
    expect(outputShape(inst.spec, inst.input)).toEqual([1, 32, 4, 4]);
    const zero = lowerInstance(inst).nodes.find((n) => n.id === 'op.node2')!;
    expect(zero.prim).toEqual({ op: 'zero', stride: 2 });
  });

  it('reads two inputs and runs skip_connect at stride 2 as FactorizedReduce', () => {
    const g = lowerInstance(instance({ kind: 'dartscell', cell: DARTS_V2.reduce, reduce: true }, [1, 8, 8, 8]));
    expect(g.inputs.map((i) => i.name)).toEqual(['input0', 'input1']);
    // skip_connect~2 reads node 2 (already reduced): identity, no FactorizedReduce.
    expect(g.nodes.some((n) => n.prim.op === 'slice')).toBe(false);
    const skipOnInput = lowerInstance(instance({ kind: 'dartscell', cell: '|skip_connect~0|none~1|+|none~0|none~1|+|none~0|none~1|+|none~0|none~1|', reduce: true }, [1, 8, 8, 8]));
    expect(skipOnInput.nodes.find((n) => n.prim.op === 'slice')?.prim).toEqual({ op: 'slice', begin: [1, 1], end: [8, 8] });
  });

  it('refuses bad cells by name', () => {
    expect(() => parseDartsCell('|sep_conv_3x3~0|sep_conv_3x3~0|+|a~0|b~1|+|a~0|b~1|+|a~0|b~1|')).toThrow(/two different nodes/);
    expect(() => parseDartsCell(DARTS_V2.normal.replace('dil_conv_3x3~2', 'dil_conv_3x3~5'))).toThrow(/nodes 0\.\.4, got ~5/);
    expect(() => parseDartsCell(DARTS_V2.normal.replace('sep_conv_3x3', 'conv_7x7'))).toThrow(/unknown op 'conv_7x7'/);
    expect(() => outputShape({ kind: 'factreduce', cout: 7 }, [1, 8, 8, 8])).toThrow(/cout must be even/);
    expect(() => outputShape({ kind: 'dartscell', cell: DARTS_V2.reduce, reduce: true }, [1, 8, 7, 7])).toThrow(/even height and width/);
  });
});
