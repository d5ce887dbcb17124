import { describe, expect, it } from 'vitest';
import { outputOf, placeLayers } from '../../src/core/arch.js';
import { lutInstances } from '../../src/core/decompose.js';
import { UserError } from '../../src/core/errors.js';
import { opKey } from '../../src/core/keys.js';
import { Rng } from '../../src/core/rng.js';
import { loadNb201Table } from '../../src/latency/nb201-data.js';
import { allNb201Encodings, cellToEncoding, createNb201Space, encodingToCell, nb201Connected, NB201_CELLS } from '../../src/spaces/nb201.js';

const EXAMPLE = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|';

describe('nb201 encoding', () => {
  it('maps the benchmark string order onto the 6 decisions', () => {
    expect(cellToEncoding(EXAMPLE)).toEqual([3, 3, 4, 1, 3, 1]);
    expect(encodingToCell([3, 3, 4, 1, 3, 1])).toBe(EXAMPLE);
    const space = createNb201Space();
    expect(space.decisions().map((d) => d.name)).toEqual(['edge1<-0', 'edge2<-0', 'edge2<-1', 'edge3<-0', 'edge3<-1', 'edge3<-2']);
    expect(space.decisions().every((d) => d.options.join() === 'none,skip_connect,nor_conv_1x1,nor_conv_3x3,avg_pool_3x3')).toBe(true);
  });

  it('round-trips every cell string of nb201.json, and agrees on connectivity', () => {
    const table = loadNb201Table();
    expect(table.records).toHaveLength(NB201_CELLS);
    const space = createNb201Space({ includeDisconnected: true });
    let disconnected = 0;
    for (const rec of table.records) {
      const encoding = cellToEncoding(rec.arch);
      expect(space.build(encoding).name).toBe(rec.arch);
      expect(nb201Connected(encoding)).toBe(rec.connected);
      if (!rec.connected) disconnected++;
    }
    expect(disconnected).toBe(341);
    expect(new Set(allNb201Encodings().map(encodingToCell))).toEqual(new Set(table.byArch.keys()));
  });

  it('rejects malformed vectors and strings with user errors', () => {
    const space = createNb201Space();
    expect(() => space.build([0, 1, 2, 3, 4])).toThrow(/6 entries/);
    expect(() => space.build([0, 1, 2, 3, 4, 5])).toThrow(/edge 3<-2 choice must be an integer in \[0, 4\]/);
    expect(() => space.build([0, 1, 2, 3, 4, 1.5])).toThrow(UserError);
    expect(() => cellToEncoding('|nor_conv_3x3~0|+|nor_conv_3x3~0|')).toThrow(UserError);
    expect(() => cellToEncoding(EXAMPLE.replace('avg_pool_3x3', 'max_pool_3x3'))).toThrow(/unknown op 'max_pool_3x3'/);
  });
});

describe('nb201 macro net', () => {
  it('builds stem, 3 stages of 5 cells with reductions, and the head', () => {
    const arch = createNb201Space().build(cellToEncoding(EXAMPLE));
    expect(arch.name).toBe(EXAMPLE);
    expect(arch.input).toEqual([1, 3, 32, 32]);
    expect(arch.space).toEqual({ id: 'nb201', resolution: 32, encoding: [3, 3, 4, 1, 3, 1] });
    expect(arch.layers.map((l) => l.spec.kind)).toEqual([
      'conv',
      ...Array(5).fill('nb201cell'),
      'resblock',
      ...Array(5).fill('nb201cell'),
      'resblock',
      ...Array(5).fill('nb201cell'),
      'gpool',
      'linear',
    ]);
    expect(arch.layers[0].spec).toMatchObject({ kind: 'conv', cout: 16, k: 3, stride: 1, act: 'none' });
    const placed = placeLayers(arch);
    expect(placed[6].inst.input).toEqual([1, 16, 32, 32]);
    expect(placed[12].inst.input).toEqual([1, 32, 16, 16]);
    expect(placed[13].inst.input).toEqual([1, 64, 8, 8]);
    expect(outputOf(arch)).toEqual([1, 10, 1, 1]);
    expect(outputOf(createNb201Space({ resolution: 16, classes: 120 }).build([1, 1, 1, 1, 1, 1]))).toEqual([1, 120, 1, 1]);
    expect(() => createNb201Space({ resolution: 4 })).toThrow(/resolution must be an integer ≥ 8/);
  });

  it('leaves out disconnected cells unless asked', () => {
    const cut = [3, 3, 0, 0, 0, 0]; // nodes 1 and 2 are reached, node 3 is not
    expect(nb201Connected(cut)).toBe(false);
    expect(() => createNb201Space().build(cut)).toThrow(/is disconnected/);
    expect(createNb201Space({ includeDisconnected: true }).build(cut).name).toBe(encodingToCell(cut));
    const rng = new Rng(0);
    const space = createNb201Space();
    for (let i = 0; i < 2000; i++) expect(nb201Connected(space.sample(rng))).toBe(true);
  });

  it('samples valid vectors deterministically', () => {
    const space = createNb201Space();
    const a = Array.from({ length: 20 }, ((rng) => () => space.sample(rng))(new Rng(5)));
    const b = Array.from({ length: 20 }, ((rng) => () => space.sample(rng))(new Rng(5)));
    expect(a).toEqual(b);
    for (const e of a) expect(() => space.build(e)).not.toThrow();
  });

  it('lists every LUT instance any cell produces, and nothing else', () => {
    const space = createNb201Space();
    const keys = space.allInstances().map(opKey);
    expect(new Set(keys).size).toBe(keys.length);
    // Per stage shape: conv1x1, conv3x3, avg pool, identity, sum of 2, sum of 3; plus stem, 2 reductions, gpool, linear.
    expect(keys).toHaveLength(3 * 6 + 5);
    expect(keys).toContain('reluconv:1x64x8x8:c64:k3:s1:f32');
    expect(keys).toContain('sum:1x16x32x32:n3:f32');
    // Spot-check completeness against the decomposition of random architectures.
    const rng = new Rng(1);
    for (let i = 0; i < 200; i++) for (const { inst } of lutInstances(space.build(space.sample(rng)))) expect(keys).toContain(opKey(inst));
  });
});
