import { describe, expect, it } from 'vitest';
import { analyzeDesignSpace, underBudget } from '../../src/designspace/analysis.js';
import { compareSpaces } from '../../src/designspace/compare.js';
import type { DesignSpaceDoc, DsModel } from '../../src/designspace/types.js';

const model = (error: number, macs: number, latencyMs: number | null = null, d = 1): DsModel => ({ name: `m${error}-${macs}`, encoding: [], score: -error, error, params: { d }, macs, activations: 0, latencyMs });

function doc(id: string, models: DsModel[], opts: { lut?: string; evaluator?: string; budgetMs?: number } = {}): DesignSpaceDoc {
  return analyzeDesignSpace({
    space: { id, resolution: 32 },
    evaluator: { id: opts.evaluator ?? 'proxy:naswot', provenance: { kind: 'proxy' } },
    measure: { label: 'error', top: 0 },
    selection: { samples: models.length, seed: 0 },
    scores: `${id}.scores.json`,
    lut: opts.lut ? { id: opts.lut, path: 'x.lut.json', device: 'mock' } : null,
    budgetMs: opts.budgetMs ?? null,
    models,
    bootstrap: [],
  });
}

describe('design-space analysis and comparison', () => {
  it('writes the error, MACs and latency EDFs, and the error EDF within a budget', () => {
    const d = doc('a', [model(1, 1, 2), model(2, 1, 5), model(3, 10, 1), model(4, 10, 9)], { lut: 'L', budgetMs: 2 });
    expect(d.edf.error.map((p) => p.y)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(d.edf.macs).toEqual([{ x: 1, y: 0.5 }, { x: 10, y: 1 }]);
    expect(d.edf.latency!.map((p) => p.x)).toEqual([1, 2, 5, 9]);
    expect(d.edf.underBudget).toEqual({ n: 2, error: [{ x: 1, y: 0.5 }, { x: 3, y: 1 }] });
    expect(d.summary).toEqual({ n: 4, minError: 1, medianError: 2.5, best: 'm1-1', minLatencyMs: 1 });
    expect(() => underBudget(d.models, 0.5)).toThrow(/no sampled model is predicted within --budget-ms 0.5: the fastest of the 4 takes 1 ms/);
  });

  it('normalizes both populations to the same MACs distribution and measures the KS distance', () => {
    const a = doc('a', [model(1, 1), model(2, 1), model(3, 10), model(4, 10)]);
    const b = doc('b', [model(2, 1), model(3, 10), model(4, 10), model(5, 10)]);
    const c = compareSpaces(a, b, 'b.json', { bins: 2 });
    expect(c).toMatchObject({ other: 'b.json', by: 'macs', bins: 2, usedBins: 2 });
    const [sa, sb] = c.sides;
    expect(sa.normalizedMeanError).toBeCloseTo(2.5, 12); // four models, 1/4 each
    expect(sb.normalizedMeanError).toBeCloseTo(3, 12); // 2·½ + (3 + 4 + 5)·⅙
    expect(sb.normalizedEdf.map((p) => p.y)).toEqual([0.5, 0.5 + 1 / 6, 0.5 + 2 / 6, 1].map((y) => expect.closeTo(y, 12)));
    expect(c.ks.raw).toBe(0.25);
    expect(c.ks.normalized).toBeCloseTo(0.25, 12);
    expect(sa.normalizedQuantiles).toEqual({ q10: 1, q50: 2 });
    expect(sb.normalizedQuantiles).toEqual({ q10: 2, q50: 2 });
  });

  it('normalizes by latency when both runs used the same LUT, and refuses what cannot be compared', () => {
    const a = doc('a', [model(1, 1, 1), model(2, 5, 2)], { lut: 'L' });
    const b = doc('b', [model(1, 1, 1), model(2, 5, 2)], { lut: 'L' });
    expect(compareSpaces(a, b, 'b.json').by).toBe('latency');
    expect(compareSpaces(a, b, 'b.json', { by: 'macs' }).by).toBe('macs');
    expect(compareSpaces(a, b, 'b.json').ks).toEqual({ raw: 0, normalized: 0 });
    const other = doc('c', [model(1, 1, 1)], { lut: 'M' });
    expect(compareSpaces(a, other, 'c.json').by).toBe('macs');
    expect(() => compareSpaces(a, other, 'c.json', { by: 'latency' })).toThrow(/--normalize-by latency needs both populations predicted on the same LUT; this run used L, c.json used M/);
    expect(() => compareSpaces(a, doc('d', [model(1, 1)], { evaluator: 'table:nb201:cifar10' }), 'd.json')).toThrow(/d.json was scored by evaluator table:nb201:cifar10, this run by proxy:naswot/);
  });
});
