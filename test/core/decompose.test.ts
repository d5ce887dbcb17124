import { describe, expect, it } from 'vitest';
import { chainArch, convSpec } from '../../src/core/arch.js';
import { lutInstances, nb201CellString, parseNb201Cell, NB201_OPS } from '../../src/core/decompose.js';
import { UserError } from '../../src/core/errors.js';
import { opKey } from '../../src/core/keys.js';

const CELL = '|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|';

describe('NAS-Bench-201 cell strings', () => {
  it('parse into 6 edges in benchmark order and print back', () => {
    const { edges } = parseNb201Cell(CELL);
    expect(edges.map((e) => `${e.to}<-${e.from}:${e.op}`)).toEqual([
      '1<-0:nor_conv_3x3',
      '2<-0:skip_connect',
      '2<-1:none',
      '3<-0:avg_pool_3x3',
      '3<-1:nor_conv_1x1',
      '3<-2:skip_connect',
    ]);
    expect(nb201CellString(edges.map((e) => e.op))).toBe(CELL);
    // Edges listed out of order within a node are read by source index.
    expect(parseNb201Cell('|none~0|+|skip_connect~1|none~0|+|none~2|none~0|none~1|').edges[2].op).toBe('skip_connect');
  });

  it('refuse malformed cells with a UserError that names the problem', () => {
    const bad: [string, RegExp][] = [
      ['|nor_conv_3x3~0|+|none~0|none~1|', /3 node groups/],
      ['|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|', /unknown op 'conv'/],
      ['|none~1|+|none~0|none~1|+|none~0|none~1|none~2|', /nodes 0..0/],
      ['|none~0|+|none~0|none~0|+|none~0|none~1|none~2|', /two edges from node 0/],
      ['|none~0|+|none~0|+|none~0|none~1|none~2|', /node 2 needs 2/],
      ['none~0|+|none~0|none~1|+|none~0|none~1|none~2|', /start and end/],
    ];
    for (const [cell, why] of bad) {
      expect(() => parseNb201Cell(cell), cell).toThrow(UserError);
      expect(() => parseNb201Cell(cell), cell).toThrow(why);
    }
    expect(() => nb201CellString(['none'])).toThrow(/6 edges/);
    expect(NB201_OPS).toContain('avg_pool_3x3');
  });
});

describe('lutInstances', () => {
  const arch = chainArch('nb201-like', [1, 3, 8, 8], {
    stem: [convSpec(16, 3, 1, 'none')],
    blocks: [
      { kind: 'nb201cell', cell: CELL },
      { kind: 'resblock', cout: 32, stride: 2 },
      { kind: 'nb201cell', cell: '|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|' },
    ],
    head: [{ kind: 'gpool', mode: 'avg' }],
  });

  it('maps layers to themselves and cells to their non-none edges plus multi-input node sums', () => {
    expect(lutInstances(arch).map(({ layerIndex, inst }) => `${layerIndex} ${opKey(inst)}`)).toEqual([
      '0 conv:1x3x8x8:c16:k3:s1:g1:d1:none:f32',
      '1 reluconv:1x16x8x8:c16:k3:s1:f32',
      '1 identity:1x16x8x8:f32',
      '1 pool:1x16x8x8:avg:k3:s1:f32',
      '1 reluconv:1x16x8x8:c16:k1:s1:f32',
      '1 identity:1x16x8x8:f32',
      '1 sum:1x16x8x8:n3:f32',
      '2 resblock:1x16x8x8:c32:s2:f32',
      '3 identity:1x32x4x4:f32',
      '4 gpool:1x32x4x4:avg:f32',
    ]);
  });
});
