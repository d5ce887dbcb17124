import { describe, expect, it } from 'vitest';
import { lutInstances } from '../../src/core/decompose.js';
import { opKey } from '../../src/core/keys.js';
import { activationBytes, instance } from '../../src/core/ops.js';
import { Rng } from '../../src/core/rng.js';
import type { ProfiledKernel } from '../../src/onnx/ort-profile.js';
import { fitCalibration, fitValidated, lutSums } from '../../src/predict/calibrate.js';
import { instanceWeightBytes } from '../../src/predict/net-features.js';
import { predict } from '../../src/predict/predictor.js';
import { blockKernels, fitWeightCost, pairKernels, profileBlocks } from '../../src/predict/weight-cost.js';
import { createMbv2Space } from '../../src/spaces/mbv2.js';
import { syntheticLut } from './fixtures/synthetic-lut.js';
import { THREE_BLOCKS } from './fixtures/three-blocks.js';
import { validateLut } from '../../lut/validate.js';

const k = (name: string, op: string, us: number): ProfiledKernel => ({ name, op, provider: 'CPUExecutionProvider', outputShapes: [], durUs: us, minUs: us, subThreads: 0 });

describe('instance weight bytes', () => {
  it('counts a conv with its BatchNorm folded into a bias, in float32 bytes', () => {
    const conv = instance({ kind: 'conv', cout: 32, k: 1, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, 16, 8, 8]);
    expect(instanceWeightBytes(conv)).toBe(4 * (16 * 32 + 32));
    expect(instanceWeightBytes(instance({ kind: 'conv', cout: 32, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, 16, 8, 8]))).toBe(4 * (9 * 16 * 32 + 32));
  });
});

describe('kernels of a block in its network against alone', () => {
  it('pairs by name, then the unit\'s last kernel (named after its output) by op; a unit\'s reorders and unfused Add stay its own', () => {
    const net = [k('layer3.expand.relu6_nchwc', 'Conv', 100), k('layer3.dw.relu6_nchwc', 'Conv', 50), k('layer3.project_nchwc', 'Conv', 90)];
    const alone = [k('ReorderInput', 'ReorderInput', 9), k('op.expand.relu6_nchwc', 'Conv', 80), k('op.dw.relu6_nchwc', 'Conv', 50), k('output', 'Conv', 70), k('ReorderOutput', 'ReorderOutput', 7), k('op.add', 'Add', 6)];
    const { pairs, netOnly, aloneOnly } = pairKernels(net, alone);
    expect(pairs.map(([n, a]) => [n.name, a.name])).toEqual([
      ['layer3.expand.relu6_nchwc', 'op.expand.relu6_nchwc'],
      ['layer3.dw.relu6_nchwc', 'op.dw.relu6_nchwc'],
      ['layer3.project_nchwc', 'output'],
    ]);
    expect(netOnly).toEqual([]);
    expect(aloneOnly.map((x) => x.name).sort()).toEqual(['ReorderInput', 'ReorderOutput', 'op.add']);
  });

  it('splits a network\'s kernels by layer and sums each side', () => {
    const space = createMbv2Space({ resolution: 32 });
    const arch = space.build(space.sample(new Rng(1)));
    const parts = lutInstances(arch);
    const network = parts.map(({ layerIndex }) => k(`layer${layerIndex}.conv`, 'Conv', 20));
    const units = new Map(parts.map(({ inst }) => [opKey(inst), [k('op.conv', 'Conv', 10), k('ReorderInput', 'ReorderInput', 3)]]));
    const blocks = blockKernels(arch, network, units);
    expect(blocks).toHaveLength(parts.length);
    for (const b of blocks) expect(b).toMatchObject({ matchedNetMs: 0.02, matchedAloneMs: 0.01, aloneOnlyMs: 0.003, netOnlyMs: 0 });
    expect(blocks[0].weightBytes).toBe(instanceWeightBytes(parts[0].inst));
  });
});

describe('fitWeightCost', () => {
  it('recovers a per-byte and a per-block cost, and never returns a negative one', () => {
    const truth = { perByte: 2.5e-8, perUnit: 0.004 };
    const blocks = [1e4, 5e4, 2e5, 1e6, 4e6, 5e6].map((w, i) => ({ weightBytes: w, matchedAloneMs: 0.1 * i, matchedNetMs: 0.1 * i + truth.perUnit + truth.perByte * w }));
    const fit = fitWeightCost(blocks);
    expect(fit.perWeightByteMs).toBeCloseTo(truth.perByte, 14);
    expect(fit.perUnitMs).toBeCloseTo(truth.perUnit, 12);
    expect(fit.residualMs).toBeLessThan(1e-12);
    // Networks faster than their units on heavy blocks: no negative cost per byte.
    const faster = blocks.map((b) => ({ ...b, matchedNetMs: b.matchedAloneMs + 0.01 - 1e-9 * b.weightBytes }));
    expect(fitWeightCost(faster).perWeightByteMs).toBe(0);
    expect(() => fitWeightCost(blocks.slice(0, 2))).toThrow(/at least 3/);
  });
});

describe('calibration with a measured weight cost', () => {
  const space = createMbv2Space({ resolution: 64 });
  const lut = syntheticLut(space.allInstances(), ['mbv2@64']);
  const perWeightByteMs = 3e-8; // ~31 µs per MiB, what ort-cpu measured here
  const nets = (n: number, seed: number, pays: boolean) => {
    const rng = new Rng(seed);
    return Array.from({ length: n }, () => {
      const arch = space.build(space.sample(rng));
      const s = lutSums(lut, arch);
      return { arch, ms: lut.overhead.median + s.sumMedian + (pays ? perWeightByteMs * s.weightBytes : 0) };
    });
  };

  it('keeps it where the networks pay it, and predicts with it per block', () => {
    const measured = nets(16, 5, true);
    const v = fitValidated(lut, measured, 'synthetic', { perWeightByteMs });
    const c = v.calibration!;
    expect(c.perWeightByteMs).toBe(perWeightByteMs);
    expect(c.heldOut!.rmsErrorPct).toBeLessThan(1e-3);
    // Without it, no model reaches that: the term is what the fit needed.
    expect(fitValidated(lut, measured, 'synthetic').calibration?.perWeightByteMs).toBeUndefined();
    const arch = measured[0].arch;
    const p = predict({ ...lut, calibration: c }, arch);
    expect(p.ms).toBeCloseTo(measured[0].ms, 9);
    const first = lutInstances(arch)[0].inst;
    expect(p.blocks[0].ms).toBeCloseTo((c.scale ?? 1) * lut.entries[opKey(first)].stats.median - c.perOpMs - c.perByteMs * activationBytes(first) + perWeightByteMs * instanceWeightBytes(first), 12);
  });

  it('adds it to the plain sum when asked (perWeightByteMs), and only then', () => {
    const arch = space.build(space.sample(new Rng(8)));
    const plain = predict(lut, arch).ms;
    expect(predict(lut, arch, { perWeightByteMs }).ms - plain).toBeCloseTo(perWeightByteMs * lutSums(lut, arch).weightBytes, 12);
    expect(predict(lut, arch, { perWeightByteMs: 0 }).ms).toBe(plain);
  });

  it('is stored in the LUT file (schema: optional, not negative)', () => {
    const c = fitCalibration(lut, nets(16, 5, true), 'synthetic', { perWeightByteMs });
    const stored = validateLut(JSON.parse(JSON.stringify({ ...lut, calibration: c })), 'x');
    expect(stored.calibration?.perWeightByteMs).toBe(perWeightByteMs);
    expect(() => validateLut(JSON.parse(JSON.stringify({ ...lut, calibration: { ...c, perWeightByteMs: -1e-9 } })), 'x')).toThrow();
  });

  it('is taken by every model by default; by the margin (the rule before) it is left out where the networks do not pay it', () => {
    const measured = nets(16, 6, false);
    expect(fitCalibration(lut, measured, 'synthetic', { perWeightByteMs }).perWeightByteMs).toBe(perWeightByteMs);
    expect(fitCalibration(lut, measured, 'synthetic', { perWeightByteMs, weightCost: 'margin' }).perWeightByteMs).toBeUndefined();
  });
});

describe('weight cost on onnxruntime-node', () => {
  it('profiles a network and its units, pairs every block\'s compute kernels, and fits a cost that is not negative', async () => {
    const blocks = await profileBlocks([THREE_BLOCKS], 3);
    expect(blocks.map((b) => b.layer)).toEqual([0, 1, 2]);
    for (const b of blocks) {
      // Every block runs at least one kernel that pairs; nothing of the layer is left unpaired in the network.
      expect(b.matchedAloneMs).toBeGreaterThan(0);
      expect(b.matchedNetMs).toBeGreaterThan(0);
      expect(b.netOnlyMs).toBe(0);
    }
    const fit = fitWeightCost(blocks);
    expect(fit.blocks).toBe(3);
    expect(fit.perWeightByteMs).toBeGreaterThanOrEqual(0);
    expect(fit.perUnitMs).toBeGreaterThanOrEqual(0);
  });
});
