import { describe, expect, it } from 'vitest';
import { placeLayers } from '../../src/core/arch.js';
import { opKey } from '../../src/core/keys.js';
import { Rng } from '../../src/core/rng.js';
import { createMnasnetSpace, roundFilters } from '../../src/spaces/mnasnet.js';
import { createSpace } from '../../src/spaces/registry.js';

describe('mnasnet space', () => {
  const space = createMnasnetSpace({ resolution: 96, classes: 10 });
  const decisions = space.decisions();
  const find = (name: string) => decisions.findIndex((d) => d.name === name);

  it('has six decisions per block for 7 blocks, with filter and layer options deduplicated', () => {
    expect(decisions).toHaveLength(42);
    expect(decisions.slice(0, 6).map((d) => d.name)).toEqual(['block1.op', 'block1.kernel', 'block1.se', 'block1.skip', 'block1.filters', 'block1.layers']);
    expect(decisions[find('block3.op')].options).toEqual(['conv', 'dwsep', 'mbconv3', 'mbconv6']);
    // 16 × 0.75 = 12 rounds to 16, the same as × 1.0.
    expect(decisions[find('block1.filters')].options).toEqual(['c16', 'c24']);
    expect(decisions[find('block4.filters')].options).toEqual(['c64', 'c80', 'c104']);
    expect(decisions[find('block1.layers')].options).toEqual(['n1', 'n2']);
    expect(decisions[find('block4.layers')].options).toEqual(['n3', 'n4', 'n5']);
    expect(roundFilters(112, 0.75)).toBe(88);
  });

  it('builds many random samples whose shapes chain and whose skips are legal', () => {
    const rng = new Rng(3);
    let identities = 0;
    for (let i = 0; i < 300; i++) {
      const choices = space.sample(rng);
      const arch = space.build(choices);
      const placed = placeLayers(arch); // throws on an illegal skip or a shape that does not chain
      expect(placed[placed.length - 1].output).toEqual([1, 10, 1, 1]);
      expect(arch.space?.encoding).toEqual(choices);
      const blocks = space.decode(choices);
      const body = placed.filter((p) => p.layer.role === 'block');
      const mainOps = body.filter((p) => p.layer.spec.kind !== 'se');
      expect(mainOps).toHaveLength(blocks.reduce((s, b) => s + b.layers, 0));
      let k = 0;
      for (const b of blocks) {
        for (let j = 0; j < b.layers; j++, k++) {
          const { inst, output } = mainOps[k];
          const spec = inst.spec;
          expect(output[1]).toBe(b.filters);
          if (spec.kind === 'conv') continue;
          expect(spec.kind).toBe(b.op === 'dwsep' ? 'dwsep' : 'mbconv');
          if (spec.kind === 'mbconv') expect(spec.expand).toBe(b.op === 'mbconv3' ? 3 : 6);
          if (spec.kind !== 'dwsep' && spec.kind !== 'mbconv') continue;
          // Identity exactly on the non-first layers of a block that chose it.
          expect(spec.skip).toBe(b.identity && j > 0);
          if (spec.skip) identities++;
        }
      }
      const ses = body.filter((p) => p.layer.spec.kind === 'se').length;
      expect(ses).toBe(blocks.filter((b) => b.op === 'conv' && b.se > 0).reduce((s, b) => s + b.layers, 0));
    }
    expect(identities).toBeGreaterThan(100);
  });

  it('enumerates every instance any architecture uses, deduplicated by key', () => {
    const all = space.allInstances();
    const keys = new Set(all.map(opKey));
    expect(keys.size).toBe(all.length);
    const used = new Set<string>();
    const rng = new Rng(11);
    for (let i = 0; i < 300; i++) for (const p of placeLayers(space.build(space.sample(rng)))) used.add(opKey(p.inst));
    for (const key of used) expect(keys.has(key)).toBe(true);
    expect(all.length).toBe(countInstances());
    expect(all.length).toBe(1288);
  });

  it('conv has no residual form: its skip decision builds the same network, under the same name', () => {
    const choices = new Array(42).fill(0); // every block: conv k3 se0 skip none, smallest filters, fewest layers
    choices[find('block2.layers')] = 2;
    const withSkip = [...choices];
    withSkip[find('block2.skip')] = 1;
    expect(space.build(withSkip).layers).toEqual(space.build(choices).layers);
    expect(space.build(withSkip).name).toBe(space.build(choices).name);
    withSkip[find('block2.op')] = 3; // mbconv6: now the identity is real
    expect(space.build(withSkip).name).toContain('mbconv6k3idc16n3');
  });

  it('is registered by name', () => {
    expect(createSpace('mnasnet', { resolution: 64 }).build(new Array(42).fill(0)).input).toEqual([1, 3, 64, 64]);
  });

  it('rejects vectors that do not fit, naming the decision', () => {
    expect(() => space.build([0, 1])).toThrow(/42 entries/);
    const bad = new Array(42).fill(0);
    bad[find('block2.filters')] = 3;
    expect(() => space.build(bad)).toThrow(/block2\.filters choice must be an integer in \[0, 2\] \(c16, c24, c32\), got 3/);
    expect(() => createMnasnetSpace({ resolution: 16 })).toThrow(/resolution/);
  });
});

/** Counts distinct instances by reasoning about the layout (at resolution 96), independently of allInstances(). */
function countInstances(): number {
  const filters = [[16, 24], [16, 24, 32], [32, 40, 48], [64, 80, 104], [88, 112, 144], [120, 160, 200], [240, 320, 400]];
  const outHw = [48, 24, 12, 6, 6, 3, 3];
  let count = 1; // stem
  let inputs = [32];
  const seOps = new Set<string>();
  filters.forEach((cs, b) => {
    // First layer: conv (2 kernels) + dwsep/mbconv3/mbconv6 (2 kernels × 2 SE); an identity skip is never legal there.
    count += inputs.length * cs.length * (2 + 3 * 2 * 2);
    // Repeated layers (every block can have 2+): stride 1, cin = cout, and the skip doubles the non-conv ops. No
    // stride-1 block's input widths overlap its filter options, so these never coincide with a first layer.
    count += cs.length * (2 + 3 * 2 * 2 * 2);
    // conv's SE op at the block output.
    for (const c of cs) seOps.add(`${c}x${outHw[b]}`);
    inputs = cs;
  });
  return count + seOps.size + 3 + 1 + 1; // + head convs (one per last-block width), gpool, linear
}
