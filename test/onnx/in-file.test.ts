import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDevice } from '../../devices/registry.js';
import { networkModel } from '../../export/model.js';
import type { Lut, LutEntry } from '../../lut/format.js';
import { parseLut, readLut, serializeLut } from '../../lut/store.js';
import type { LatencyStats } from '../../src/core/contracts.js';
import { Rng } from '../../src/core/rng.js';
import { execFileSync } from 'node:child_process';
import { computeMs, fitInFile, inFileMs, inFileSamples, planWeightBytes, warmCacheBytes, type InFileSample } from '../../src/onnx/in-file.js';
import { ortProfileModel, type ProfiledKernel } from '../../src/onnx/ort-profile.js';
import { renamedModelBytes } from '../../src/onnx/partition.js';
import { planOnnx } from '../../src/onnx/plan.js';
import { predictOnnx } from '../../src/onnx/predict.js';
import { createSpace } from '../../src/spaces/registry.js';
import { nasInProcess } from '../cli/helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-in-file-'));
process.env.HW_NAS_CACHE = path.join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const space = createSpace('mbv2', { resolution: 32 });
const f = path.join(dir, 'net.onnx');
writeFileSync(f, networkModel(space.build(space.sample(new Rng(3))), { seed: 0 }).onnx);

const kernel = (name: string, op: string, minUs: number): ProfiledKernel => ({ name, op, provider: 'CPUExecutionProvider', outputShapes: [], durUs: minUs * 20, minUs, subThreads: 0 });

describe('in-file correction of ONNX units', () => {
  it('fits the line through the units with weights; units without weights get nothing', () => {
    const line = (w: number) => 0.002 + 1e-8 * w;
    // A weight-free unit costs the same in the file; the others follow the line exactly.
    const samples: InFileSample[] = [0, 1e4, 5e4, 2e5, 1e6].map((w, i) => ({ key: `k${i}`, aloneMs: 0.01 * (i + 1), fileMs: 0.01 * (i + 1) + (w ? line(w) : 0), weightBytes: w }));
    const c = fitInFile(samples, ['a.onnx'], 'test');
    expect(c.perWeightedUnitMs).toBeCloseTo(0.002, 12);
    expect(c.perWeightByteMs).toBeCloseTo(1e-8, 15);
    expect(c.rmsMs).toBeCloseTo(0, 12);
    expect(c.samples).toBe(5);
    expect(inFileMs(c, { weightBytes: 3e5 })).toBeCloseTo(line(3e5), 12);
    expect(inFileMs(c, { weightBytes: 0 })).toBe(0);
    const flat = fitInFile(samples.slice(1).map((s) => ({ ...s, weightBytes: 64 })), ['a.onnx'], 'test');
    expect(flat.perWeightByteMs).toBe(0);
    expect(flat.perWeightedUnitMs).toBeCloseTo(samples.slice(1).reduce((t, s) => t + s.fileMs - s.aloneMs, 0) / 4, 12);
    const none = fitInFile([samples[0]], ['a.onnx'], 'test');
    expect([none.perWeightedUnitMs, none.perWeightByteMs]).toEqual([0, 0]);
    expect(() => fitInFile([], [], 'test')).toThrow(/no samples/);
  });

  it('corrects only files whose weights exceed warmBytes, and fits the line on those files only', () => {
    const c = { perWeightedUnitMs: 0.002, perWeightByteMs: 1e-8, warmBytes: 2e6 };
    expect(inFileMs(c, { weightBytes: 1e5 }, 2e6)).toBe(0);
    expect(inFileMs(c, { weightBytes: 1e5 }, 2e6 + 1)).toBeCloseTo(0.003, 12);
    // Unknown file size, or a correction from before the rule (no warmBytes): the line, whatever the file.
    expect(inFileMs(c, { weightBytes: 1e5 })).toBeCloseTo(0.003, 12);
    expect(inFileMs({ perWeightedUnitMs: 0.002, perWeightByteMs: 1e-8 }, { weightBytes: 1e5 }, 10)).toBeCloseTo(0.003, 12);
    // Samples of a small file (weights warm: no extra) do not pull the line fitted on the large files' samples.
    const line = (w: number) => 0.001 + 2e-8 * w;
    const large: InFileSample[] = [1e4, 1e5, 1e6].map((w, i) => ({ key: `L${i}`, aloneMs: 0.02, fileMs: 0.02 + line(w), weightBytes: w, fileWeightBytes: 8e6 }));
    const small: InFileSample[] = [2e4, 3e5].map((w, i) => ({ key: `S${i}`, aloneMs: 0.02, fileMs: 0.02, weightBytes: w, fileWeightBytes: 5e5 }));
    const fit = fitInFile([...large, ...small], ['a.onnx', 'b.onnx'], 'test', 1e6);
    expect(fit.warmBytes).toBe(1e6);
    expect(fit.perWeightedUnitMs).toBeCloseTo(0.001, 12);
    expect(fit.perWeightByteMs).toBeCloseTo(2e-8, 15);
    expect(fit.rmsMs).toBeCloseTo(0, 12);
    expect(fit.samples).toBe(5);
    // Only small files: nothing to fit, nothing charged.
    const none = fitInFile(small, ['b.onnx'], 'test', 1e6);
    expect([none.perWeightedUnitMs, none.perWeightByteMs]).toEqual([0, 0]);
  });

  it('takes four times the L2 the OS reports as the warm size', () => {
    let l2 = 1 << 20;
    try {
      const v = Number(execFileSync('getconf', ['LEVEL2_CACHE_SIZE'], { encoding: 'utf8' }).trim());
      if (v > 0) l2 = v;
    } catch {
      // no getconf: the documented default
    }
    expect(warmCacheBytes()).toBe(4 * l2);
  });

  it('profiles the same kernels whatever values the runs are fed', async () => {
    const plan = await planOnnx(f, { level: 'all' });
    const names = async (values: 'half' | 'uniform') => (await ortProfileModel(renamedModelBytes(plan.graph), plan.graph.inputs, 'all', 1, values)).map((k) => k.name).sort();
    const half = await names('half');
    expect(half.length).toBeGreaterThan(plan.units.length - 1);
    expect(await names('uniform')).toEqual(half);
  });

  it("a unit model's compute time leaves out the NCHWc reorders, however the profile names their op", () => {
    expect(computeMs([kernel('a', 'Conv', 10), kernel('b', 'ReorderInput', 3), kernel('c', 'com.microsoft.nchwc:ReorderOutput', 4), kernel('d', 'Relu', 2)])).toBeCloseTo(0.012, 12);
  });

  it("pairs each unit with its kernels in the file's profiles by name, averaging the profiles", async () => {
    const plan = await planOnnx(f, { level: 'all' });
    const conv = plan.units.find((u) => u.ops[0] === 'Conv')!;
    // Weight bytes: the float constants of rank ≥ 2 the unit reads (a conv's kernel, not its bias or BatchNorm vectors).
    const kernelShape = plan.graph.tensors.get(conv.unit.nodes[0].inputs[1])!.shape;
    expect(conv.weightBytes).toBe(4 * kernelShape.reduce((a, b) => a * b, 1));
    expect(plan.units.find((u) => u.ops.every((o) => o === 'GlobalAveragePool'))?.weightBytes ?? 0).toBe(0);
    const names = (u: (typeof plan.units)[number]) => [u.unit.kernel.name, ...(u.unit.also ?? []).map((a) => a.name)];
    const p1 = plan.units.flatMap((u, i) => names(u).map((n) => kernel(n, 'X', 10 + i)));
    const p2 = plan.units.flatMap((u, i) => names(u).map((n) => kernel(n, 'X', 20 + i)));
    const alone = new Map(plan.units.map((u) => [u.key, 0.005]));
    const s = inFileSamples(plan, [p1, p2], alone);
    expect(s).toHaveLength(plan.units.length);
    s.forEach((x, i) => {
      expect(x.key).toBe(plan.units[i].key);
      expect(x.fileMs).toBeCloseTo((names(plan.units[i]).length * (15 + i)) / 1000, 12);
      expect(x.weightBytes).toBe(plan.units[i].weightBytes);
    });
    // A unit whose kernel one profile lacks, or with no alone time, is left out.
    const lacking = inFileSamples(plan, [p1, p2.filter((k) => k.name !== plan.units[0].unit.kernel.name)], alone);
    expect(lacking).toHaveLength(plan.units.length - 1);
    alone.delete(plan.units[1].key);
    expect(inFileSamples(plan, [p1], alone).some((x) => x.key === plan.units[1].key)).toBe(false);
  });

  it('predicts each compute unit plus the line, keeps old LUTs as they were, and survives a LUT round trip', async () => {
    const plan = await planOnnx(f, { level: 'all', nchwc: false });
    const stats = (median: number): LatencyStats => ({ n: 10, rejected: 0, median, mean: median, std: 0, p10: median, p90: median, min: median, max: median, ci95: [median, median], converged: true });
    const entry = (net: number): LutEntry => ({ stats: stats(net + 0.01), coldMs: 0, setupMs: 0, measuredAt: '2026-12-06T00:00:00Z', net, unit: { ops: ['X'], inputs: [], outputs: [] } });
    const lut = {
      format: 'hw-nas-lut',
      version: 1,
      id: 'mock-test',
      createdAt: '2026-12-06T00:00:00Z',
      updatedAt: '2026-12-06T00:00:00Z',
      device: await (await resolveDevice('mock', {})).init(),
      protocol: { warmup: 1, minRepeats: 1, maxRepeats: 1, maxTimeMs: 1, targetCI: 0.1 },
      overhead: stats(0.01),
      spaces: [],
      entries: Object.fromEntries(plan.units.map((u) => [u.key, entry(0.02)])),
    } as unknown as Lut;
    const plain = predictOnnx(lut, plan);
    expect(plain.inFile).toBeUndefined();
    const inFile = { perWeightedUnitMs: 0.001, perWeightByteMs: 1e-9, fittedOn: ['r.onnx'], samples: 3, rmsMs: 0, source: 'test' };
    const corrected = predictOnnx({ ...lut, inFile }, plan);
    const weighted = plan.units.filter((u) => u.weightBytes > 0);
    expect(weighted.length).toBeGreaterThan(0);
    expect(weighted.length).toBeLessThan(plan.units.length);
    const extra = weighted.reduce((t, u) => t + 0.001 + 1e-9 * u.weightBytes, 0);
    expect(corrected.ms).toBeCloseTo(plain.ms + extra, 12);
    expect(corrected.inFile).toEqual({ ms: expect.closeTo(extra, 12), fittedOn: ['r.onnx'], fileWeightBytes: planWeightBytes(plan), warm: false, model: 'line', builtIn: false });
    // A file whose weights fit in the correction's warmBytes keeps them warm: nothing is added; one byte more, the line.
    const warm = predictOnnx({ ...lut, inFile: { ...inFile, warmBytes: planWeightBytes(plan) } }, plan);
    expect(warm.ms).toBeCloseTo(plain.ms, 12);
    expect(warm.inFile).toMatchObject({ ms: 0, warm: true });
    expect(predictOnnx({ ...lut, inFile: { ...inFile, warmBytes: planWeightBytes(plan) - 1 } }, plan).ms).toBeCloseTo(plain.ms + extra, 12);
    expect(predictOnnx({ ...lut, inFile }, plan, { inFile: false }).ms).toBeCloseTo(plain.ms, 12);
    // A negative line never makes a unit cost less than nothing.
    const negative = predictOnnx({ ...lut, inFile: { ...inFile, perWeightedUnitMs: -1 } }, plan);
    expect(negative.ms).toBeCloseTo(lut.overhead.median + 0.02 * (plan.units.length - weighted.length), 12);
    // The field survives writing and reading the LUT.
    const back = parseLut(serializeLut({ ...lut, inFile }), 'test LUT');
    expect(back.inFile).toEqual(inFile);
  });
});

describe('nas profile --onnx --fit-in-file', () => {
  it('--fit-in-file (= --in-file files) fits the reuse model into the LUT on ort-cpu, predict adds it and says so; other devices get one clear error', async () => {
    const lut = path.join(dir, 'fit.lut.json');
    // No timing reference (ort-cpu's default times one beside every batch): the test is about the in-file fit.
    const args = ['--device', 'cpu', '--threads', '1', '--reference', 'off', '--out', lut, '--warmup', '1', '--min-repeats', '3', '--max-repeats', '5', '--max-time-ms', '50', '--target-ci', '0.5'];
    const r = await nasInProcess('profile', '--onnx', f, ...args, '--fit-in-file', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const plan = await planOnnx(f, { level: 'all' });
    expect(out.inFile.samples).toBe(plan.units.filter((u) => !u.unsupported).length);
    expect(out.inFile.fittedOn).toHaveLength(1);
    expect(out.inFile.source).toMatch(/onnxruntime-node .* kernel profile, 1 thread, level all/);
    expect(readLut(lut).inFile).toEqual(out.inFile);
    const p = await nasInProcess('predict', '--onnx', f, '--lut', lut, '--json');
    expect(p.code, p.stderr).toBe(0);
    const pred = JSON.parse(p.stdout).predictions[0];
    expect(pred.inFile.fittedOn).toEqual(out.inFile.fittedOn);
    expect(pred.ms).toBeCloseTo(predictOnnx(readLut(lut), plan).ms, 9);
    expect((await nasInProcess('predict', '--onnx', f, '--lut', lut)).stdout).toMatch(/in file: (.* ms added|nothing added)[^\n]*\ncorrection: NCHWc layout [^\n]*; in-file reuse model fitted on 1 file/);
    const bad = await nasInProcess('profile', '--onnx', f, '--device', 'mock', '--out', path.join(dir, 'mock.lut.json'), '--fit-in-file');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--in-file files reads onnxruntime's own profiler/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
