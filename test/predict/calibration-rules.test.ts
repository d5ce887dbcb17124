/**
 * The calibration's rules for ort-cpu LUTs (issue 13, the second space): models with each op less its one-op model's
 * own edge reorders (lessOwnEdges), and SE scales learnt on MBConv variants kept off other kinds of block.
 */
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../src/core/arch.js';
import { lutInstances } from '../../src/core/decompose.js';
import { opKey } from '../../src/core/keys.js';
import { Rng } from '../../src/core/rng.js';
import { fitCalibration, lutSums } from '../../src/predict/calibrate.js';
import { calibrationClass } from '../../src/predict/context.js';
import { ownEdgeMs, predict } from '../../src/predict/predictor.js';
import { createMbv2Space } from '../../src/spaces/mbv2.js';
import { createRegNetSpace } from '../../src/spaces/regnet.js';
import type { Lut } from '../../lut/format.js';
import { syntheticLut } from './fixtures/synthetic-lut.js';

describe('models less the units\' own edge reorders', () => {
  const space = createMbv2Space({ resolution: 64 });
  const base = syntheticLut(space.allInstances(), ['mbv2@64']);
  // Each entry's unit ran edge reorders of 10–40% of its median (ort-cpu records them per entry).
  const rng = new Rng(3);
  const lut: Lut = {
    ...base,
    entries: Object.fromEntries(Object.entries(base.entries).map(([k, e]) => [k, { ...e, ownLayout: { reorders: 2, kernelMs: 0.5 * e.stats.median, edgeReorders: 2, edgeMs: (0.1 + 0.3 * rng.next()) * e.stats.median, runs: 5 } }])),
  };
  const edges = (a: Architecture) => lutInstances(a).reduce((t, { inst }) => t + ownEdgeMs(lut.entries[opKey(inst)]), 0);
  const nets = (seed: number, n: number) => {
    const r = new Rng(seed);
    return Array.from({ length: n }, () => space.build(space.sample(r)));
  };

  it('recovers networks that run every op without its unit\'s edge reorders, and predicts with them per op', () => {
    // Inside a network each op takes 1.1× its one-op time less its edge reorders.
    const time = (a: Architecture) => lut.overhead.median + 1.1 * (lutSums(lut, a).sumMedian - edges(a));
    const c = fitCalibration(lut, nets(1, 14).map((arch) => ({ arch, ms: time(arch) })), 'synthetic');
    expect(c.lessOwnEdges).toBe(true);
    expect(c.scale).toBeCloseTo(1.1, 6);
    expect(c.heldOut!.rmsErrorPct).toBeLessThan(1e-4);
    const other = nets(2, 1)[0];
    expect(predict({ ...lut, calibration: c }, other, { breakdown: false }).ms).toBeCloseTo(time(other), 6);
    // The rule before (ownEdges 'off') has no such model: it cannot reach that.
    expect(fitCalibration(lut, nets(1, 14).map((arch) => ({ arch, ms: time(arch) })), 'synthetic', { ownEdges: 'off' }).lessOwnEdges).toBeUndefined();
  });

  it('keeps the ops whole where the networks pay the reorders too, and never uses them on a LUT that lacks the record', () => {
    const time = (a: Architecture) => lut.overhead.median + 0.9 * lutSums(lut, a).sumMedian;
    const c = fitCalibration(lut, nets(3, 14).map((arch) => ({ arch, ms: time(arch) })), 'synthetic');
    expect(c.lessOwnEdges).toBeUndefined();
    expect(c.scale).toBeCloseTo(0.9, 6);
    const plain = fitCalibration(base, nets(3, 14).map((arch) => ({ arch, ms: 0.9 * lutSums(base, arch).sumMedian })), 'synthetic');
    expect(plain.lessOwnEdges).toBeUndefined();
  });
});

describe('the class a block\'s calibration scale comes from', () => {
  it('is its context class, less SE on kinds whose SE the in-context variants never measure (RegNetY\'s bottlenecks)', () => {
    const regnet = createRegNetSpace({ resolution: 64 });
    const y = regnet.build(regnet.decisions().map((d) => d.options.indexOf('Y') >= 0 ? d.options.indexOf('Y') : 0));
    const block = y.layers.find((l) => l.role === 'block')!.spec;
    expect(block.kind).toBe('bottleneck');
    expect(calibrationClass(block)).toBe('');
    expect(calibrationClass({ kind: 'mbconv', cout: 16, k: 3, stride: 1, expand: 3, se: 0.25, act: 'hswish', skip: false })).toBe('se+hswish');
    expect(calibrationClass({ kind: 'conv', cout: 16, k: 3, stride: 1, groups: 1, dilation: 1, act: 'hswish' })).toBe('hswish');
  });
});

describe('a weight cost paid beyond a cache share', () => {
  const space = createMbv2Space({ resolution: 64 });
  const lut = syntheticLut(space.allInstances(), ['mbv2@64']);
  const perWeightByteMs = 3e-8;
  const nets = (seed: number, n: number) => {
    const r = new Rng(seed);
    return Array.from({ length: n }, () => space.build(space.sample(r)));
  };

  it('finds the share the networks keep in cache and predicts with it, each op paying its part of the bytes beyond it', () => {
    const cache = 4 * 2 ** 20;
    const time = (a: Architecture) => lut.overhead.median + lutSums(lut, a).sumMedian + perWeightByteMs * Math.max(0, lutSums(lut, a).weightBytes - cache);
    const c = fitCalibration(lut, nets(4, 14).map((arch) => ({ arch, ms: time(arch) })), 'synthetic', { perWeightByteMs, weightCacheMiB: [0, 2, 4, 6] });
    expect(c.weightCacheBytes).toBe(cache);
    expect(c.perWeightByteMs).toBe(perWeightByteMs);
    const other = nets(5, 1)[0];
    const p = predict({ ...lut, calibration: c }, other);
    expect(p.ms).toBeCloseTo(time(other), 6);
    expect(p.blocks.reduce((t, b) => t + b.ms, c.baseMs)).toBeCloseTo(p.ms, 9);
    // The rule before (every byte paid) cannot reach that.
    expect(fitCalibration(lut, nets(4, 14).map((arch) => ({ arch, ms: time(arch) })), 'synthetic', { perWeightByteMs, weightCacheMiB: [0] }).weightCacheBytes).toBeUndefined();
  });
});
