import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDevice } from '../../devices/registry.js';
import { networkModel } from '../../export/model.js';
import type { Lut, LutEntry } from '../../lut/format.js';
import { parseLut, serializeLut } from '../../lut/store.js';
import type { LatencyStats } from '../../src/core/contracts.js';
import { Rng } from '../../src/core/rng.js';
import { BUILT_IN_CALIBRATION, builtInCalibrationPlans, builtInName, WALL_CALIBRATION } from '../../src/onnx/calibration-set.js';
import type { OnnxGraph, TensorInfo } from '../../src/onnx/graph.js';
import { CACHE_CANDIDATES, fitReuse, fitReuseOnFiles, fitReuseOnFilesChecked, missedBytes, missShare, type FileResidual, type InFileSample } from '../../src/onnx/in-file.js';
import { planOnnx, type OnnxPlan, type PlannedUnit } from '../../src/onnx/plan.js';
import { predictOnnx } from '../../src/onnx/predict.js';
import { unitReuse, type UnitReuse } from '../../src/onnx/reuse.js';
import { createSpace } from '../../src/spaces/registry.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-reuse-'));
process.env.HW_NAS_CACHE = path.join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A three-unit chain A: x → a (100 B of weights), B: a → b, C: (a, b) → c (1000 B of weights). */
function chain(): Pick<OnnxPlan, 'units' | 'graph'> {
  const t = (name: string, shape: number[], constant = false): [string, TensorInfo] => [name, { name, shape, dtype: 'float32', constant }];
  const tensors = new Map([t('x', [1, 2]), t('a', [1, 10]), t('b', [1, 5]), t('c', [1, 1]), t('wa', [5, 5], true), t('wc', [250, 1], true)]);
  const node = (index: number, inputs: string[], outputs: string[]) => ({ index, name: `n${index}`, opType: 'X', domain: '', inputs, outputs, attrs: {}, folded: false });
  const unit = (n: ReturnType<typeof node>, weightBytes: number, out: number[]): PlannedUnit => ({
    unit: { nodes: [n], kernel: { name: n.name, op: 'X' } },
    key: n.name,
    ops: ['X'],
    inputs: [],
    outputs: [out],
    bytes: 0,
    weightBytes,
  });
  const graph = { tensors, inputs: [{ name: 'x', shape: [1, 2], dtype: 'float32' }], outputs: ['c'] } as unknown as OnnxGraph;
  return { graph, units: [unit(node(0, ['x', 'wa'], ['a']), 100, [1, 10]), unit(node(1, ['a'], ['b']), 0, [1, 5]), unit(node(2, ['a', 'b', 'wc'], ['c']), 1000, [1, 1])] };
}

describe('reuse distances of a plan', () => {
  it('counts the bytes the units in between touched, the whole run for weights, the working set alone', () => {
    const r = unitReuse(chain());
    // Touched per unit (weights + outputs): A 100 + 40, B 0 + 20, C 1000 + 4.
    expect(r.map((x) => x.fileBytes)).toEqual([1164, 1164, 1164]);
    expect(r[0].inputs).toEqual([{ bytes: 8, distance: 0 }]); // the file's input: the run's start
    expect(r[1].inputs).toEqual([{ bytes: 40, distance: 0 }]); // written by the unit just before
    expect(r[2].inputs).toEqual([
      { bytes: 40, distance: 20 }, // a: B ran in between
      { bytes: 20, distance: 0 },
    ]);
    expect(r.map((x) => x.aloneBytes)).toEqual([100 + 8 + 40, 40 + 20, 1000 + 60 + 4]);
  });

  it('charges bytes read from beyond the cache in the file less those alone', () => {
    const r = unitReuse(chain());
    // Cache of 10 B: C reads its weights and a from beyond it in the file, and everything alone.
    expect(missedBytes(r[2], 1000, 10)).toEqual({ inFile: 1040, alone: 1060 });
    // Cache of 1100 B: alone everything stays cached; in the file only the weights (a whole run ago) miss.
    expect(missedBytes(r[2], 1000, 1100)).toEqual({ inFile: 1000, alone: 0 });
    // Larger than the run: nothing misses.
    expect(missedBytes(r[2], 1000, 2000)).toEqual({ inFile: 0, alone: 0 });
  });

  it('reads the distances of a real exported file consistently with its units', async () => {
    const space = createSpace('mbv2', { resolution: 32 });
    const f = path.join(dir, 'net.onnx');
    writeFileSync(f, networkModel(space.build(space.sample(new Rng(5))), { seed: 0 }).onnx);
    const plan = await planOnnx(f, { level: 'all', nchwc: false });
    const r = unitReuse(plan);
    expect(r).toHaveLength(plan.units.length);
    const touched = plan.units.reduce((t, u) => t + u.weightBytes + 4 * u.outputs.reduce((s, o) => s + o.reduce((a, b) => a * b, 1), 0), 0);
    expect(r[0].fileBytes).toBe(touched);
    for (const [i, x] of r.entries()) {
      expect(x.inputs.length).toBeGreaterThan(0);
      for (const inp of x.inputs) {
        expect(inp.distance).toBeGreaterThanOrEqual(0);
        expect(inp.distance).toBeLessThan(touched);
      }
      expect(x.aloneBytes).toBeGreaterThanOrEqual(plan.units[i].weightBytes);
    }
    // A residual network reads some activations written more than one unit before.
    expect(r.some((x) => x.inputs.some((inp) => inp.distance > 0))).toBe(true);
  });
});

describe('the miss curves', () => {
  it('step misses all of a footprint beyond the cache, fraction the share beyond it', () => {
    expect(missShare(100, 200)).toBe(0);
    expect(missShare(300, 200)).toBe(1);
    expect(missShare(300, 200, 'step')).toBe(1);
    expect(missShare(200, 200, 'fraction')).toBe(0);
    expect(missShare(400, 100, 'fraction')).toBeCloseTo(0.75, 12);
    const r = unitReuse(chain());
    // C: 1000 B of weights one whole run (1164 B) ago, a (40 B) 20 B ago, b (20 B) just written; alone 1064 B.
    const f = missedBytes(r[2], 1000, 582, 'fraction');
    expect(f.inFile).toBeCloseTo(1000 * (1 - 582 / 1164), 9);
    expect(f.alone).toBeCloseTo(1060 * (1 - 582 / 1064), 9);
    // The default stays the step curve (LUTs fitted before the choice hold none).
    expect(missedBytes(r[2], 1000, 582)).toEqual(missedBytes(r[2], 1000, 582, 'step'));
  });
});

describe('the reuse fit on whole files (wall clock)', () => {
  const MiB = 2 ** 20;
  /** A file of n units, each with w MiB of weights read once a run (footprint: all the weights). */
  const file = (name: string, n: number, w: number, cache: number, beta: number, unitsMs: number): FileResidual => {
    const units = Array.from({ length: n }, () => ({ reuse: { aloneBytes: w * MiB, fileBytes: n * w * MiB, inputs: [] } as UnitReuse, weightBytes: w * MiB }));
    const x = units.reduce((t, u) => {
      const m = missedBytes(u.reuse, u.weightBytes, cache, 'fraction');
      return t + m.inFile - m.alone;
    }, 0);
    return { name, measuredMs: unitsMs + beta * x, unitsMs, units };
  };

  it('recovers the cache size and the cost per missed byte the files were generated with', () => {
    const cache = 12 * MiB;
    const beta = 4e-8;
    const files = [file('small', 10, 0.5, cache, beta, 1), file('a', 20, 0.7, cache, beta, 1.2), file('b', 20, 1, cache, beta, 1.5), file('c', 30, 1, cache, beta, 2), file('d', 30, 1.2, cache, beta, 2.5)];
    // The small file (5 MiB) keeps everything in the cache: it pays nothing.
    expect(files[0].measuredMs).toBe(files[0].unitsMs);
    const fit = fitReuseOnFiles(files, 'test');
    expect(fit).toMatchObject({ model: 'reuse', curve: 'fraction', clock: 'wall', cacheBytes: cache, samples: 5, fittedOn: ['small', 'a', 'b', 'c', 'd'] });
    expect(fit.perMissedByteMs).toBeCloseTo(beta, 14);
    expect(fit.rmsMs).toBeCloseTo(0, 9);
    // Files that ran faster than their units never make the cost per byte negative.
    expect(fitReuseOnFiles(files.map((f) => ({ ...f, measuredMs: f.unitsMs * 0.9 })), 'test').perMissedByteMs).toBe(0);
    expect(() => fitReuseOnFiles([], 'test')).toThrow(/no files/);
  });

  // Five files on one cache and cost per byte, of which 'c' was measured 20% slow (a net timed while the machine was busier).
  const cache = 12 * MiB;
  const beta = 4e-8;
  const exact = () => [file('small', 10, 0.5, cache, beta, 1), file('a', 20, 0.7, cache, beta, 1.2), file('b', 20, 1, cache, beta, 1.5), file('c', 30, 1, cache, beta, 2), file('d', 30, 1.2, cache, beta, 2.5)];
  const noisy = () => exact().map((f) => (f.name === 'c' ? { ...f, measuredMs: f.measuredMs * 1.2 } : f));

  it('least absolute deviations: one file measured off does not move the fit, as it moves least squares', () => {
    const ls = fitReuseOnFiles(noisy(), 'test');
    expect(Math.abs(ls.perMissedByteMs! - beta) / beta).toBeGreaterThan(0.1);
    const l1 = fitReuseOnFiles(noisy(), 'test', { loss: 'l1' });
    expect(l1.cacheBytes).toBe(cache);
    expect(l1.perMissedByteMs).toBeCloseTo(beta, 14);
    // On exact files both losses agree.
    expect(fitReuseOnFiles(exact(), 'test', { loss: 'l1' })).toMatchObject({ cacheBytes: cache });
    expect(fitReuseOnFiles(exact(), 'test', { loss: 'l1' }).perMissedByteMs).toBeCloseTo(beta, 14);
  });

  it('the leave-one-out check leaves out the one file the others predict beyond the limit, and only then', () => {
    const checked = fitReuseOnFilesChecked(noisy(), 'test', { criterion: 'loo', limitPct: 8 });
    expect(checked.leftOut?.name).toBe('c');
    expect(fitReuseOnFilesChecked(noisy(), 'test', { limitPct: 1 }).leftOut?.name).toBe('c');
    // The fit on the others predicts c at its true time: 1/1.2 of what was measured.
    expect(checked.leftOut!.errorPct).toBeCloseTo(100 * (1 / 1.2 - 1), 6);
    expect(checked.correction.fittedOn).toEqual(['small', 'a', 'b', 'd']);
    expect(checked.correction).toMatchObject({ cacheBytes: cache, samples: 4 });
    expect(checked.correction.perMissedByteMs).toBeCloseTo(beta, 14);
    expect(checked.correction.source).toMatch(/c left out .*-16\.7% off; beyond ±8%/);
    expect(checked.loo.map((l) => l.name)).toEqual(['small', 'a', 'b', 'c', 'd']);
    // Exact files: every leave-one-out error is 0 and nothing is left out; the fit is fitReuseOnFiles'.
    const clean = fitReuseOnFilesChecked(exact(), 'test', { criterion: 'loo', limitPct: 8 });
    expect(clean.leftOut).toBeUndefined();
    expect(clean.correction).toEqual(fitReuseOnFiles(exact(), 'test'));
    for (const l of clean.loo) expect(Math.abs(l.errorPct)).toBeLessThan(1e-6);
    // A limit above the error keeps every file; fewer files than minFiles are not checked.
    expect(fitReuseOnFilesChecked(noisy(), 'test', { criterion: 'loo', limitPct: 20 }).leftOut).toBeUndefined();
    const three = fitReuseOnFilesChecked(noisy().slice(1, 4), 'test', { limitPct: 1 });
    expect(three.leftOut).toBeUndefined();
    expect(three.loo).toEqual([]);
  });

  it('the gain and influence criteria: a file the fit bends to is left out, one that no fit reaches (faster than its units) is not', () => {
    expect(fitReuseOnFilesChecked(noisy(), 'test', { criterion: 'influence', limitPct: 2 }).leftOut?.name).toBe('c');
    // 'small' (5 MiB, within the cache) ran 10% faster than its units: no cost per byte can reach it, so it moves nothing.
    const fast = exact().map((f) => (f.name === 'small' ? { ...f, measuredMs: f.unitsMs * 0.9 } : f));
    // The others' fit is the fit on all: no file gains them anything, whatever its own error.
    const byGain = fitReuseOnFilesChecked(fast, 'test', { limitPct: 0.5 });
    expect(byGain.leftOut).toBeUndefined();
    expect(byGain.loo.find((l) => l.name === 'small')!.errorPct).toBeCloseTo(100 * (1 / 0.9 - 1), 6);
    const byInfluence = fitReuseOnFilesChecked(fast, 'test', { criterion: 'influence', limitPct: 2 });
    expect(byInfluence.leftOut).toBeUndefined();
    expect(byInfluence.loo.find((l) => l.name === 'small')).toMatchObject({ influencePct: expect.closeTo(0, 6) });
    expect(byInfluence.correction.cacheBytes).toBe(cache);
  });
});

describe('the reuse fit', () => {
  const sample = (i: number, weightBytes: number, inputs: UnitReuse['inputs'], cache: number, beta: number): InFileSample => {
    const reuse: UnitReuse = { aloneBytes: weightBytes + inputs.reduce((t, x) => t + x.bytes, 0), fileBytes: 40 * 2 ** 20, inputs };
    const m = missedBytes(reuse, weightBytes, cache);
    return { key: `k${i}`, aloneMs: 0.05, fileMs: 0.05 + beta * (m.inFile - m.alone), weightBytes, reuse };
  };

  it('recovers the cache size and the cost per missed byte it was generated with', () => {
    const cache = 4 * 2 ** 20;
    const beta = 2e-8; // ms per byte: ~21 µs per MiB
    const MiB = 2 ** 20;
    const samples = [
      sample(0, 0.2 * MiB, [{ bytes: 0.1 * MiB, distance: 0 }], cache, beta),
      sample(1, 1.5 * MiB, [{ bytes: 0.2 * MiB, distance: 3 * MiB }], cache, beta),
      sample(2, 5 * MiB, [{ bytes: 0.1 * MiB, distance: 0 }], cache, beta), // misses alone too
      sample(3, 0, [{ bytes: 1 * MiB, distance: 6 * MiB }], cache, beta),
      sample(4, 0, [{ bytes: 1.5 * MiB, distance: 1.5 * MiB }], cache, beta),
      sample(5, 0.05 * MiB, [{ bytes: 0.5 * MiB, distance: 12 * MiB }], cache, beta),
    ];
    const fit = fitReuse(samples, ['a.onnx'], 'test');
    expect(fit.model).toBe('reuse');
    expect(fit.cacheBytes).toBe(cache);
    expect(fit.perMissedByteMs).toBeCloseTo(beta, 15);
    expect(fit.rmsMs).toBeCloseTo(0, 12);
    expect([fit.perWeightedUnitMs, fit.perWeightByteMs]).toEqual([0, 0]);
    expect(CACHE_CANDIDATES).toContain(cache);
    // Samples without reuse distances (a line's samples) cannot be fitted.
    expect(() => fitReuse([{ key: 'k', aloneMs: 1, fileMs: 2, weightBytes: 3 }], [], 'test')).toThrow(/no samples/);
  });
});

describe('predicting with the reuse model', () => {
  it('adds β × missed bytes per unit, says which correction it applied, and notes a wasm LUT without a fit', async () => {
    const space = createSpace('mbv2', { resolution: 32 });
    const f = path.join(dir, 'p.onnx');
    writeFileSync(f, networkModel(space.build(space.sample(new Rng(6))), { seed: 0 }).onnx);
    const plan = await planOnnx(f, { level: 'all', nchwc: false });
    const stats = (median: number): LatencyStats => ({ n: 10, rejected: 0, median, mean: median, std: 0, p10: median, p90: median, min: median, max: median, ci95: [median, median], converged: true });
    const entry = (net: number): LutEntry => ({ stats: stats(net + 0.01), coldMs: 0, setupMs: 0, measuredAt: '2026-12-07T00:00:00Z', net, unit: { ops: ['X'], inputs: [], outputs: [] } });
    const device = { ...(await (await resolveDevice('mock', {})).init()), device: 'wasm' };
    const lut = {
      format: 'hw-nas-lut',
      version: 1,
      id: 'wasm-test',
      createdAt: '2026-12-07T00:00:00Z',
      updatedAt: '2026-12-07T00:00:00Z',
      device,
      protocol: { warmup: 1, minRepeats: 1, maxRepeats: 1, maxTimeMs: 1, targetCI: 0.1 },
      overhead: stats(0.01),
      spaces: [],
      entries: Object.fromEntries(plan.units.map((u) => [u.key, entry(0.5)])),
    } as unknown as Lut;
    const plain = predictOnnx(lut, plan);
    expect(plain.inFile).toBeUndefined();
    expect(plain.correction.applied).toEqual(['none (plain sum of the units)']);
    expect(plain.correction.note).toMatch(/no in-file fit.*nas profile --onnx FILE --device wasm --threads 1 --out/);
    // The count of nets the fit times is the built-in wall set's (src/onnx/calibration-nets.ts), not a number written down.
    expect(plain.correction.note).toContain(`the fit times ${WALL_CALIBRATION.length} built-in nets whole`);
    const cacheBytes = 64 * 1024;
    const inFile = { perWeightedUnitMs: 0, perWeightByteMs: 0, model: 'reuse' as const, cacheBytes, perMissedByteMs: 1e-8, builtIn: true, fittedOn: BUILT_IN_CALIBRATION.map(builtInName), samples: 9, rmsMs: 0.001, source: 'test' };
    const corrected = predictOnnx({ ...lut, inFile }, plan);
    const r = unitReuse(plan);
    const extra = plan.units.reduce((t, u, i) => {
      const m = missedBytes(r[i], u.weightBytes, cacheBytes);
      return t + Math.max(-0.5, 1e-8 * (m.inFile - m.alone));
    }, 0);
    expect(extra).not.toBe(0);
    expect(corrected.ms).toBeCloseTo(plain.ms + extra, 12);
    expect(corrected.inFile).toMatchObject({ ms: expect.closeTo(extra, 12), model: 'reuse', builtIn: true, warm: false });
    expect(corrected.correction.applied).toEqual(['in-file reuse model fitted on the built-in calibration nets']);
    expect(corrected.correction.note).toBeUndefined();
    // Turned off: the plain sum, and the prediction says the fit was left out.
    const off = predictOnnx({ ...lut, inFile }, plan, { inFile: false });
    expect(off.ms).toBeCloseTo(plain.ms, 12);
    expect(off.correction.note).toMatch(/left out/);
    // A cache larger than the run: nothing is added and the file is reported warm.
    expect(predictOnnx({ ...lut, inFile: { ...inFile, cacheBytes: 2 ** 40 } }, plan).inFile).toMatchObject({ ms: 0, warm: true });
    // An ort-cpu LUT without a fit gets the same note (the wall-clock fit is its default too); a mock one none.
    expect(predictOnnx({ ...lut, device: { ...device, device: 'ort-cpu' } }, plan).correction.note).toMatch(/nas profile --onnx FILE --device cpu --threads 1/);
    expect(predictOnnx({ ...lut, device: { ...device, device: 'mock' } }, plan).correction.note).toBeUndefined();
    // The fraction curve is what the prediction applies when the fit says so.
    const fraction = { ...inFile, curve: 'fraction' as const };
    const extraFraction = plan.units.reduce((t, u, i) => {
      const m = missedBytes(r[i], u.weightBytes, cacheBytes, 'fraction');
      return t + Math.max(-0.5, 1e-8 * (m.inFile - m.alone));
    }, 0);
    expect(extraFraction).not.toBeCloseTo(extra, 6);
    expect(predictOnnx({ ...lut, inFile: fraction }, plan).ms).toBeCloseTo(plain.ms + extraFraction, 12);
    expect(parseLut(serializeLut({ ...lut, inFile: { ...fraction, clock: 'wall' as const } }), 'test LUT').inFile).toMatchObject({ curve: 'fraction', clock: 'wall' });
    // The fields survive writing and reading the LUT.
    expect(parseLut(serializeLut({ ...lut, inFile }), 'test LUT').inFile).toEqual(inFile);
  });

  it('plans the built-in calibration nets, named as the LUT records them', async () => {
    const plans = await builtInCalibrationPlans({ level: 'all', nchwc: false });
    expect(plans.map((p) => p.graph.file)).toEqual(BUILT_IN_CALIBRATION.map(builtInName));
    for (const p of plans) expect(p.units.length).toBeGreaterThan(20);
    // Fixed seeds: the same nets every time.
    expect((await builtInCalibrationPlans({ level: 'all', nchwc: false })).map((p) => p.units.map((u) => u.key))).toEqual(plans.map((p) => p.units.map((u) => u.key)));
  });
});
