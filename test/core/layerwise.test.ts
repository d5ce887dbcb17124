/**
 * The layer-wise view of a space (src/core/layerwise.ts), which the supernet, the differentiable strategies
 * and the layer latency table share: which spaces it accepts (mbv2, proxyless, shufflenetv2, and fbnet with
 * its head decision), and that every other space is refused with one UserError saying why.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { layerwiseView } from '../../src/core/layerwise.js';
import { Rng } from '../../src/core/rng.js';
import type { SearchSpace } from '../../src/core/space.js';
import { predict } from '../../src/predict/predictor.js';
import { LayerLatencyTable } from '../../src/search/loss/layer-table.js';
import { createSpace } from '../../src/spaces/registry.js';
import { syntheticLut } from '../search/loss/fixtures.js';
import { TinySpace } from '../train/supernet-fixtures.js';

describe('layer-wise view', () => {
  it.each([
    ['mbv2', 21],
    ['proxyless', 21],
    ['shufflenetv2', 20],
  ])('%s: one layer decision per searchable layer, the head fixed', (id, n) => {
    const view = layerwiseView(createSpace(id, { resolution: 32 }));
    expect(view.decisions.map((d) => d.at)).toEqual(Array(n).fill('block'));
    expect(view.head.length).toBeGreaterThan(0);
  });

  it('fbnet: 22 layer decisions and a head decision whose options are whole heads (1×1 conv, pool, classifier)', () => {
    const space = createSpace('fbnet', { resolution: 64 });
    const view = layerwiseView(space);
    expect(view.decisions.map((d) => d.at)).toEqual([...Array(22).fill('block'), 'head']);
    expect(view.head).toEqual([]);
    const head = view.decisions[22];
    expect(head.options).toEqual(['1984', '1504']);
    expect(head.input).toEqual([1, 352, 2, 2]);
    expect(head.chains.map((c) => c.map((p) => p.layer.spec.kind))).toEqual([['conv', 'gpool', 'linear'], ['conv', 'gpool', 'linear']]);
    expect(head.chains.map((c) => c[2].inst.input)).toEqual([[1, 1984, 1, 1], [1, 1504, 1, 1]]);
    // layer1 (16 → 16, stride 1) may be left out; layer2 (16 → 24, stride 2) may not.
    expect(view.decisions[0].chains.at(-1)).toEqual([]);
    expect(view.decisions[1].chains.every((c) => c.length === 1)).toBe(true);
  });

  it.each([
    ['shufflenetv2-channels', /40 decisions but the all-first-options architecture has 20 searchable layers/],
    ['regnet', /not layer-wise/],
    ['anynet', /not layer-wise/],
    ['anynet-e', /not layer-wise/],
    ['darts', /not layer-wise/],
    ['nasnet', /not layer-wise/],
    ['mnasnet', /not layer-wise/],
    ['nb201', /not layer-wise/],
  ])('%s is refused with one UserError saying why', (id, why) => {
    const space = createSpace(id, { resolution: 32 });
    expect(() => layerwiseView(space)).toThrow(UserError);
    expect(() => layerwiseView(space)).toThrow(why);
    try {
      layerwiseView(space);
    } catch (e) {
      expect((e as UserError).hint).toMatch(/layer-wise spaces .* are mbv2, proxyless, fbnet, shufflenetv2/);
    }
  });

  it('refuses two decisions that both change the head', () => {
    const tiny = new TinySpace(14, { head: true });
    const twice: SearchSpace = {
      id: 'twice',
      description: 'two head decisions',
      resolution: 14,
      // layer3 held at its first option, so 3 searchable layers for 4 decisions: two of them would have to be heads.
      decisions: () => [...tiny.decisions().filter((d) => d.name !== 'layer3'), { name: 'head2', options: ['8', '12'] }],
      build: (c) => tiny.build([c[0], c[1], 0, c[2] === 1 || c[3] === 1 ? 1 : 0]),
      sample: (rng) => [rng.int(2), rng.int(3), rng.int(2), rng.int(2)],
      allInstances: () => tiny.allInstances(),
    };
    expect(() => layerwiseView(twice)).toThrow(/head and head2 each change the head/);
  });
});

describe('layer latency table with a head decision', () => {
  it.each([
    ['fbnet', () => createSpace('fbnet', { resolution: 64 })],
    ['tiny with a head', () => new TinySpace(14, { head: true })],
  ])('%s: the head row prices each whole head, and every member sums to the LUT predictor', (_, make) => {
    const space = make();
    const lut = syntheticLut(space);
    const table = LayerLatencyTable.fromLut(lut, space);
    const head = table.ms.length - 1;
    expect(table.layers[head]).toBe('head');
    expect(table.ms[head]).toHaveLength(2);
    expect(table.ms[head][0]).not.toBe(table.ms[head][1]);
    const rng = new Rng(2);
    for (let i = 0; i < 30; i++) {
      const choices = space.sample(rng);
      expect(table.latencyOf(choices)).toBeCloseTo(predict(lut, space.build(choices)).ms, 9);
    }
  });
});
