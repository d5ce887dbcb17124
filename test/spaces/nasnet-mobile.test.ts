/**
 * NASNet-A-Mobile (4 @ 1056) against TF slim's build_nasnet_mobile: the ImageNet stem (3×3 stride-2 VALID conv to
 * 32: 224 → 111, two stem cells at F/4 = 11 and F/2 = 22 filters), the cell outputs (reduction 4F, normal 6F, the
 * last 6 × 176 = 1056), FactorizedReduce on the odd 111 (slim's zero row: ⌈111/2⌉ = 56 on both paths), separable
 * convs whose first pointwise maps to the cell's filters (the stem cell's ops on the 32-channel conv), and the
 * parameter count of the released weights exactly (see src/spaces/seed-nets/nasnet.ts for its derivation).
 */
import { describe, expect, it } from 'vitest';
import { placeLayers } from '../../src/core/arch.js';
import { graphMetrics } from '../../src/core/graph/index.js';
import { lowerArchitecture, lowerInstance } from '../../src/core/lower/index.js';
import { instance, macs, outputShape } from '../../src/core/ops.js';
import { opKey, parseOpKey } from '../../src/core/keys.js';
import { seedNet } from '../../src/spaces/seed-nets/index.js';
import { publishedArchitecture } from '../../src/spaces/catalog.js';

describe('NASNet-A-Mobile', () => {
  const arch = seedNet('NASNet-A-Mobile');
  const placed = new Map(placeLayers(arch).map((p) => [p.id, p]));

  it("has slim's stem, stem cells and cell widths (penultimate 1056)", () => {
    expect(placed.get('stem')!.output).toEqual([1, 32, 111, 111]);
    expect(placed.get('stem_cell0')!.output).toEqual([1, 44, 56, 56]);
    expect(placed.get('stem_cell1_pre0')!.output).toEqual([1, 22, 56, 56]);
    expect(placed.get('stem_cell1')!.output).toEqual([1, 88, 28, 28]);
    const cells = arch.layers.filter((l) => l.spec.kind === 'nasnetcell' && l.role === 'block');
    expect(cells).toHaveLength(14); // 12 normal cells and 2 reduction cells
    expect(placed.get('cell0')!.output).toEqual([1, 264, 28, 28]);
    expect(placed.get('cell4')!.output).toEqual([1, 352, 14, 14]); // the first reduction cell: 4 × 88
    expect(placed.get('cell13')!.output).toEqual([1, 1056, 7, 7]);
  });

  it('counts the released weights exactly and the published mult-adds within 3%', () => {
    const m = graphMetrics(lowerArchitecture(arch));
    expect(m.params).toBe(5_271_609);
    expect(Math.abs(m.macs / 564e6 - 1)).toBeLessThan(0.03);
  });

  it('resolves as a published net', () => {
    expect(publishedArchitecture('NASNet-A-Mobile', { resolution: 96, classes: 10 }).input).toEqual([1, 3, 96, 96]);
  });
});

describe("the blocks NASNet-A-Mobile needs", () => {
  it('FactorizedReduce on an odd size gives ⌈h/2⌉ on both paths, the shifted one padding a zero row and column', () => {
    expect(outputShape({ kind: 'factreduce', cout: 8 }, [1, 4, 7, 5])).toEqual([1, 8, 4, 3]);
    const g = lowerInstance(instance({ kind: 'factreduce', cout: 8 }, [1, 4, 7, 6]));
    const conv2 = g.nodes.find((n) => n.id === 'op.conv2')!;
    expect(conv2.prim).toMatchObject({ op: 'conv', pads: [0, 0, 1, 0] });
    // Even sizes are DARTS's FactorizedReduce unchanged: no padding.
    const even = lowerInstance(instance({ kind: 'factreduce', cout: 8 }, [1, 4, 8, 8]));
    expect(even.nodes.find((n) => n.id === 'op.conv2')!.prim).toMatchObject({ pads: [0, 0, 0, 0] });
  });

  it("a separable conv's first pointwise maps to cout (slim's stacked separable conv)", () => {
    const g = lowerInstance(instance({ kind: 'sepconv', cout: 11, k: 7, stride: 2 }, [1, 32, 15, 15]));
    expect(g.nodes.find((n) => n.id === 'op.sep1.pw')!.prim).toMatchObject({ cout: 11 });
    expect(g.nodes.find((n) => n.id === 'op.sep2.dw')!.prim).toMatchObject({ cout: 11, groups: 11 });
  });

  it("a cell with filters reads a wider input 0; a pool on it is followed by a 1×1 conv-BN to the filters (slim's _apply_conv_operation)", () => {
    const cell = '|sep_conv_5x5~1|sep_conv_7x7~0|+|max_pool_3x3~1|sep_conv_7x7~0|+|avg_pool_3x3~1|sep_conv_5x5~0|+|identity~3|avg_pool_3x3~2|+|sep_conv_3x3~2|max_pool_3x3~1|>3,4,5,6';
    expect(outputShape({ kind: 'nasnetcell', cell, reduce: true, filters: 11 }, [1, 32, 111, 111])).toEqual([1, 44, 56, 56]);
    const pooled = cell.replace('sep_conv_7x7~0|+|max', 'max_pool_3x3~0|+|max');
    const inst = instance({ kind: 'nasnetcell', cell: pooled, reduce: true, filters: 11 }, [1, 32, 111, 111]);
    expect(outputShape(inst.spec, inst.input)).toEqual([1, 44, 56, 56]);
    const g = lowerInstance(inst);
    const pool = g.nodes.find((n) => n.id === 'op.edge2_0.maxpool')!;
    expect(pool.prim).toMatchObject({ op: 'pool', stride: [2, 2] });
    const conv = g.nodes.find((n) => n.id === 'op.edge2_0.conv')!;
    expect(conv.inputs).toEqual([pool.id]);
    expect(conv.prim).toMatchObject({ op: 'conv', cout: 11, kernel: [1, 1] });
    // Its LUT unit: the pool with cout, keyed apart from the plain pool, and read back from its key.
    const unit = instance({ kind: 'pool', mode: 'max', k: 3, stride: 2, cout: 11 }, [1, 32, 111, 111]);
    expect(opKey(unit)).toBe('pool:1x32x111x111:max:k3:s2:c11:f32');
    expect(parseOpKey(opKey(unit))).toEqual(unit);
    expect(macs(unit)).toBe(56 * 56 * 32 * (9 + 11));
  });
});
