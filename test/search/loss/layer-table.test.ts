import { describe, expect, it } from 'vitest';
import { placeLayers, type Architecture } from '../../../src/core/arch.js';
import { Rng } from '../../../src/core/rng.js';
import type { SearchSpace } from '../../../src/core/space.js';
import { predict, MissingEntriesError } from '../../../src/predict/predictor.js';
import { LayerLatencyTable } from '../../../src/search/loss/layer-table.js';
import { createMbv2Space } from '../../../src/spaces/mbv2.js';
import { createMnasnetSpace } from '../../../src/spaces/mnasnet.js';
import { createNb201Space } from '../../../src/spaces/nb201.js';
import { syntheticLut } from './fixtures.js';

describe('layer latency table', () => {
  const space = createMbv2Space({ resolution: 64, classes: 10 });
  const lut = syntheticLut(space);
  const table = LayerLatencyTable.fromLut(lut, space);

  it('from a LUT: one row per layer, skip left out costs 0, and every path sums to the predictor', () => {
    expect(table.ms).toHaveLength(21);
    expect(table.layers[0]).toBe('layer1');
    expect(table.options[1]).toEqual(['k3e3', 'k3e6', 'k5e3', 'k5e6', 'k7e3', 'k7e6', 'skip']);
    expect(table.ms[1][6]).toBe(0);
    expect(table.ms[0]).toHaveLength(6);
    expect(table.overheadMs).toBe(0.3);
    expect(table.fixedMs).toBeGreaterThan(0);
    const rng = new Rng(5);
    for (let i = 0; i < 50; i++) {
      const choices = space.sample(rng);
      expect(table.latencyOf(choices)).toBeCloseTo(predict(lut, space.build(choices)).ms, 9);
    }
  });

  it('lists every missing LUT key at once', () => {
    const partial = structuredClone(lut);
    const dropped = Object.keys(partial.entries).filter((k) => k.startsWith('mbconv:1x24x16x16:c24:k7'));
    expect(dropped.length).toBe(2);
    for (const k of dropped) delete partial.entries[k];
    try {
      LayerLatencyTable.fromLut(partial, space);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MissingEntriesError);
      expect((e as MissingEntriesError).missing.map((m) => m.key).sort()).toEqual(dropped.sort());
      expect((e as Error).message).toContain(dropped[0]);
    }
  });

  it('refuses spaces that are not layer-wise, saying why', () => {
    const mnas = createMnasnetSpace({ resolution: 64 });
    expect(() => LayerLatencyTable.fromLut(syntheticLut(mnas), mnas)).toThrow(/space 'mnasnet' is not layer-wise.*42 decisions/);
    const nb = createNb201Space();
    expect(() => LayerLatencyTable.fromLut(syntheticLut(nb), nb)).toThrow(/space 'nb201' is not layer-wise/);
    // A layer-wise space whose option changes the next layer's input: shapes depend on earlier choices.
    const chained = twoLayerSpace(true);
    expect(() => LayerLatencyTable.fromLut(syntheticLut(chained), chained)).toThrow(/changes layer 2 .*shapes depend on earlier choices/);
  });

  it('a skip placed as an op costs its LUT value', () => {
    const s = twoLayerSpace(false);
    const l = syntheticLut(s);
    const t = LayerLatencyTable.fromLut(l, s);
    expect(t.ms[0][1]).toBe(0.001);
    expect(t.latencyOf([1, 0])).toBeCloseTo(predict(l, s.build([1, 0])).ms, 12);
  });

  it('from a matrix, with clear errors', () => {
    const m = LayerLatencyTable.fromMatrix([[1, 2], [3, 4, 5]], { overheadMs: 0.5 });
    expect(m.maxOptions).toBe(3);
    expect(m.latencyOf([1, 2])).toBe(7.5);
    expect(() => m.latencyOf([2, 0])).toThrow(/layer1 choice must be an integer in \[0, 1\], got 2/);
    expect(() => LayerLatencyTable.fromMatrix([[1, -1]])).toThrow(/L\[0\]\[1\] must be a finite latency ≥ 0 ms, got -1/);
    expect(() => LayerLatencyTable.fromMatrix([[1], []])).toThrow(/layer 1 has no options/);
    expect(() => LayerLatencyTable.fromMatrix([[1]], { options: [['a', 'b']] })).toThrow(/1 latencies but 2 option labels/);
  });
});

/** Two conv layers, each "conv" or "identity"; with `chained`, layer 1's conv widens the channels layer 2 sees. */
function twoLayerSpace(chained: boolean): SearchSpace {
  const build = (choices: readonly number[]): Architecture => ({
    name: `two:${choices.join('')}`,
    input: [1, 8, 8, 8],
    dtype: 'f32',
    layers: [
      { role: 'stem', spec: { kind: 'conv', cout: 8, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' } },
      ...choices.map((c, i) => ({
        role: 'block' as const,
        spec: c === 0 ? { kind: 'conv' as const, cout: chained && i === 0 ? 16 : 8, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' as const } : { kind: 'identity' as const },
      })),
    ],
  });
  return {
    id: 'two',
    description: 'two layers',
    resolution: 8,
    decisions: () => [0, 1].map((i) => ({ name: `layer${i + 1}`, options: ['conv', 'identity'] })),
    build,
    sample: (rng) => [rng.int(2), rng.int(2)],
    allInstances: () => [[0, 0], [0, 1], [1, 0], [1, 1]].flatMap((c) => placeLayers(build(c)).map((p) => p.inst)),
  };
}
