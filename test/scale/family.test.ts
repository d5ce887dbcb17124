import { describe, expect, it } from 'vitest';
import { archMetrics } from '../../src/core/arch-metrics.js';
import type { Architecture } from '../../src/core/arch.js';
import { coefficientGrid } from '../../src/scale/compound.js';
import { scaleFamily } from '../../src/scale/family.js';
import { loadPublishedNets } from '../../src/spaces/published.js';

const b0 = loadPublishedNets({ resolution: 32 }).nets.find((n) => n.name === 'EfficientNet-B0')!;
// "Latency" = MACs in millions: deterministic and monotone in every factor.
const latency = async (archs: readonly Architecture[]) => archs.map((a) => ({ ms: archMetrics(a).macs / 1e6 }));
const GRID = { step: 0.1, tolerance: 0.15 };

describe('scaled family', () => {
  it('grid-searches α, β, γ with the evaluator and scales by the winner', async () => {
    const scored: number[] = [];
    // An evaluator that prefers deep nets, then large inputs.
    const score = (a: Architecture) => a.layers.length + a.input[2] / 1000;
    const evaluator = { id: 'depth', provenance: {}, evaluate: async (a: Architecture) => (scored.push(score(a)), score(a)) };
    const fam = await scaleFamily({ base: b0, latency, evaluator, grid: GRID, phis: 2 });
    const grid = coefficientGrid(GRID);
    expect(fam.coefficients).toMatchObject({ how: 'grid search', gridSize: grid.length });
    expect(scored.length).toBe(grid.length + 2); // the grid, then the two members
    expect(fam.coefficients.gridAccuracy).toBe(Math.max(...scored.slice(0, grid.length)));
    expect(fam.coefficients.alpha).toBeGreaterThanOrEqual(1.8); // depth wins: α near the top of the grid
    expect(fam.members[0].accuracy).toBe(fam.coefficients.gridAccuracy);
    expect(fam.members.map((m) => m.accuracy)).toEqual(fam.members.map((m) => score(m.architecture)));
  });

  it('latency-aware: each triple scales as far as the target allows, the most accurate wins', async () => {
    const base = (await latency([b0]))[0].ms;
    const T = base * 2.5;
    const evaluator = { id: 'macs', provenance: {}, evaluate: async (a: Architecture) => archMetrics(a).macs / 1e6 };
    const fam = await scaleFamily({ base: b0, latency, evaluator, grid: GRID, phis: 1, targetMs: T, phiStep: 0.1, phiMax: 2 });
    const la = fam.latencyAware!;
    expect(la.latency.ms).toBeLessThanOrEqual(T);
    expect(la.candidates).toBe(coefficientGrid(GRID).length * 20);
    // The paper's coefficients alone, at their own largest φ within T, do no better (the evaluator is MACs).
    const paper = await scaleFamily({ base: b0, latency, phis: 1, targetMs: T, phiStep: 0.1, phiMax: 2 });
    expect(paper.coefficients.how).toBe('paper');
    expect(paper.latencyAware!.latency.ms).toBeLessThanOrEqual(T);
    expect(la.accuracy!).toBeGreaterThanOrEqual(paper.latencyAware!.metrics.macs / 1e6);
  });
});
