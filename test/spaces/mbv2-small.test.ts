import { beforeAll, describe, expect, it } from 'vitest';
import { placeLayers } from '../../src/core/arch.js';
import { archMetrics } from '../../src/core/arch-metrics.js';
import { opKey } from '../../src/core/keys.js';
import { Rng } from '../../src/core/rng.js';
import { createMbv2SmallSpace } from '../../src/spaces/mbv2-small.js';
import { createSpace } from '../../src/spaces/registry.js';
import { useTrainingBackend } from '../../src/train/backend.js';
import { CandidateTable } from '../../src/train/supernet/candidates.js';
import { extremes } from '../../src/train/supernet/sampler.js';
import { adaptArchitecture } from '../../src/train/train-evaluator.js';

beforeAll(async () => {
  await useTrainingBackend('wasm');
});

describe('mbv2-small space', () => {
  const space = createSpace('mbv2-small');

  it('has 6 layers of k3/5 x e1/3/6, no skip, at 28 px and 10 classes by default', () => {
    expect(space.resolution).toBe(28);
    expect(createMbv2SmallSpace().classes).toBe(10);
    const d = space.decisions();
    expect(d).toHaveLength(6);
    for (const x of d) expect(x.options).toEqual(['k3e1', 'k3e3', 'k3e6', 'k5e1', 'k5e3', 'k5e6']);
  });

  it('builds nets of fixed depth whose shapes chain; residual exactly where a layer keeps its shape', () => {
    const rng = new Rng(2);
    for (let i = 0; i < 30; i++) {
      const c = space.sample(rng);
      const arch = space.build(c);
      const placed = placeLayers(arch);
      expect(placed[placed.length - 1].output).toEqual([1, 10, 1, 1]);
      const blocks = placed.filter((p) => p.layer.role === 'block');
      expect(blocks).toHaveLength(6);
      for (const b of blocks) {
        const spec = b.layer.spec as { skip: boolean };
        expect(spec.skip).toBe(b.inst.input[1] === b.output[1] && b.inst.input[2] === b.output[2]);
      }
      expect(arch.space).toEqual({ id: 'mbv2-small', resolution: 28, encoding: c });
    }
    // the second layer of each stage adds its input; the first ones change channels (16→24) or stride
    expect(placeLayers(space.build([0, 0, 0, 0, 0, 0])).filter((p) => p.layer.role === 'block').map((p) => (p.layer.spec as { skip: boolean }).skip)).toEqual([false, true, false, true, false, true]);
  });

  it('enumerates every op instance any architecture uses; the widest member has several times the MACs of the narrowest', () => {
    const all = new Set(space.allInstances().map(opKey));
    const rng = new Rng(7);
    for (let i = 0; i < 50; i++) for (const p of placeLayers(space.build(space.sample(rng)))) expect(all.has(opKey(p.inst))).toBe(true);
    expect(all.size).toBe(6 * 6 + 2 + 3);
    const macsOf = (c: number[]) => archMetrics(space.build(c)).macs;
    expect(macsOf([5, 5, 5, 5, 5, 5]) / macsOf([0, 0, 0, 0, 0, 0])).toBeGreaterThan(4);
    expect(() => space.build([0, 0, 0, 0, 0, 6])).toThrow(/layer 6 choice must be an integer in \[0, 5\]/);
  });

  it('holds a nested supernet whose paths are exactly the nets the stand-alone reference trains', () => {
    const image = { channels: 1, height: 14, width: 14 };
    const t = CandidateTable.build(space, image, 10, 0, 'nested');
    try {
      // one shared expand/dw/project tensor per layer, the e6 k5 option's shape
      expect(t.layers.every((l) => l.shared.length === 3)).toBe(true);
      const { largest, smallest } = extremes(t.optionMacs());
      expect(largest).toEqual([5, 5, 5, 5, 5, 5]);
      expect(smallest).toEqual([0, 0, 0, 0, 0, 0]);
      const rng = new Rng(5);
      for (const c of [smallest, largest, space.sample(rng), space.sample(rng)]) {
        const arch = space.build(c);
        expect(t.choicesOf(arch)).toEqual(c);
        expect(t.path(c).arch).toEqual(adaptArchitecture(arch, image, 10));
      }
    } finally {
      t.dispose();
    }
  });
});
