import { describe, expect, it } from 'vitest';
import { placeLayers } from '../../src/core/arch.js';
import { opKey } from '../../src/core/keys.js';
import { Rng } from '../../src/core/rng.js';
import { createMbv2Space } from '../../src/spaces/mbv2.js';
import { createSpace } from '../../src/spaces/registry.js';

describe('mbv2 space', () => {
  const space = createMbv2Space({ resolution: 96 });

  it('has 21 searchable layers; skip only where stride 1 and channels match', () => {
    const d = space.decisions();
    expect(d).toHaveLength(21);
    const skippable = d.map((x) => x.options.includes('skip'));
    // First layer of each of the 6 stages cannot skip (channels or stride change): 21 - 6 = 15 can.
    expect(skippable.filter(Boolean)).toHaveLength(15);
    expect(skippable[0]).toBe(false);
    expect(skippable[20]).toBe(false);
    expect(d[1].options).toEqual(['k3e3', 'k3e6', 'k5e3', 'k5e6', 'k7e3', 'k7e6', 'skip']);
  });

  it('builds architectures whose shapes chain, dropping skipped layers', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 50; i++) {
      const choices = space.sample(rng);
      const arch = space.build(choices);
      const placed = placeLayers(arch);
      expect(placed[placed.length - 1].output).toEqual([1, 1000, 1, 1]);
      const skips = choices.filter((c, j) => space.decisions()[j].options[c] === 'skip').length;
      expect(arch.layers.filter((l) => l.role === 'block')).toHaveLength(21 - skips);
      expect(arch.space?.encoding).toEqual(choices);
    }
  });

  it('enumerates every op instance any architecture uses', () => {
    const all = new Set(space.allInstances().map(opKey));
    const rng = new Rng(7);
    for (let i = 0; i < 100; i++) for (const p of placeLayers(space.build(space.sample(rng)))) expect(all.has(opKey(p.inst))).toBe(true);
    // 6 stages × (first layer + repeated layer) × 6 ops, minus the last stage's single layer: 11 slots × 6 + stem 2 + head 3.
    expect(all.size).toBe(11 * 6 + 2 + 3);
  });

  it('changes shapes with --resolution', () => {
    const a224 = createSpace('mbv2').build(new Array(21).fill(0));
    expect(a224.input).toEqual([1, 3, 224, 224]);
    expect(placeLayers(a224)[2].inst.input).toEqual([1, 16, 112, 112]);
  });

  it('rejects vectors that do not fit, naming the layer', () => {
    expect(() => space.build([1, 2])).toThrow(/21 entries/);
    const bad = new Array(21).fill(0);
    bad[0] = 6; // skip is not an option of the first layer
    expect(() => space.build(bad)).toThrow(/layer 1 choice must be an integer in \[0, 5\]/);
    expect(() => createSpace('nope')).toThrow(/unknown search space 'nope'/);
    expect(() => createMbv2Space({ resolution: 8 })).toThrow(/resolution/);
  });
});
