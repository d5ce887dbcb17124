import { describe, expect, it } from 'vitest';
import { archMetrics } from '../../src/core/arch-metrics.js';
import { coefficientGrid, factorsFor, flopsFactor, PAPER_COEFFICIENTS, scaleArchitecture, stagesOf } from '../../src/scale/compound.js';
import { seedNet } from '../../src/spaces/seed-nets/index.js';
import { loadPublishedNets } from '../../src/spaces/published.js';

const b0 = (resolution = 224) => loadPublishedNets({ resolution }).nets.find((n) => n.name === 'EfficientNet-B0')!;

describe('compound scaling', () => {
  it('finds the seven stages of EfficientNet-B0', () => {
    const stages = stagesOf(b0());
    expect(stages.map(([s, e]) => e - s)).toEqual([1, 2, 2, 3, 3, 4, 1]);
  });

  it.each([
    ['EfficientNet-B1', 1.0, 1.1, 240],
    ['EfficientNet-B2', 1.1, 1.2, 260],
    ['EfficientNet-B3', 1.2, 1.4, 300],
  ])('reproduces %s from B0 with the published (width, depth, resolution)', (name, width, depth, resolution) => {
    const scaled = scaleArchitecture(b0(), { width, depth, resolution });
    const published = seedNet(name);
    expect(scaled.input).toEqual(published.input);
    expect(scaled.layers).toEqual(published.layers);
  });

  it('applies d = α^φ, w = β^φ, r = r₀γ^φ; FLOPs grow by about (α·β²·γ²)^φ', () => {
    expect(factorsFor(PAPER_COEFFICIENTS, 2, 224)).toEqual({ depth: 1.2 ** 2, width: 1.1 ** 2, resolution: Math.round(224 * 1.15 ** 2) });
    const base = archMetrics(b0()).macs;
    const one = archMetrics(scaleArchitecture(b0(), factorsFor(PAPER_COEFFICIENTS, 1, 224))).macs;
    // ⌈n·α⌉ turns B0's one-block stages into two blocks and channels round to multiples of 8, so the
    // growth is off the ideal 1.92× (2.57× here): a band, not the exact factor.
    expect(one / base).toBeGreaterThan(1.6);
    expect(one / base).toBeLessThan(3);
  });

  it('grids α, β, γ under α·β²·γ² ≈ 2, the paper’s triple included', () => {
    const grid = coefficientGrid();
    expect(grid.length).toBeGreaterThan(10);
    for (const c of grid) expect(Math.abs(flopsFactor(c) - 2)).toBeLessThanOrEqual(0.1 + 1e-9);
    expect(grid).toContainEqual(PAPER_COEFFICIENTS);
  });
});
