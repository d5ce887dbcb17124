import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { networkModel } from '../../export/model.js';
import type { LatencyStats } from '../../devices/types.js';
import type { Lut, LutEntry } from '../../lut/format.js';
import { UNIT_KEY_PATTERN } from '../../src/core/keys.js';
import { Rng } from '../../src/core/rng.js';
import { unitModel } from '../../src/onnx/extract.js';
import { layoutModel, layoutRecord, layoutUnit, nchwcBlockSize, ownLayout, type LayoutUnit } from '../../src/onnx/layout.js';
import { slicedOutputs } from '../../devices/ort-outputs.js';
import { ortOptimizedModelNodes, ortVersion } from '../../src/onnx/partition.js';
import { planOnnx, type OnnxPlan } from '../../src/onnx/plan.js';
import { predictOnnx } from '../../src/onnx/predict.js';
import { createSpace } from '../../src/spaces/registry.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-layout-'));
process.env.HW_NAS_CACHE = path.join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A chain of convolutions (an mbv2 net at 32 px): one NCHWc region from the stem to the pooling. */
async function convChain(): Promise<OnnxPlan> {
  const space = createSpace('mbv2', { resolution: 32 });
  const f = path.join(dir, 'chain.onnx');
  writeFileSync(f, networkModel(space.build(space.sample(new Rng(3))), { seed: 0 }).onnx);
  return planOnnx(f, { level: 'all', nchwc: true });
}

async function ownLayouts(plan: OnnxPlan): Promise<Map<string, LayoutUnit[]>> {
  const version = await ortVersion();
  const out = new Map<string, LayoutUnit[]>();
  for (const u of plan.units) if (!out.has(u.key)) out.set(u.key, await ownLayout(unitModel(plan.graph, u.unit).onnx, plan.level, (t) => plan.graph.tensors.get(t)?.shape, version));
  return out;
}

const stats = (ms: number): LatencyStats => ({ median: ms, mean: ms, std: 0, min: ms, max: ms, p10: ms, p90: ms, ci95: [ms, ms], n: 1, rejected: 0, converged: true });
const entry = (ms: number, unit: LutEntry['unit']): LutEntry => ({ stats: stats(ms), net: ms, unit }) as LutEntry;

describe('NCHWc layout kernels as units (ort-cpu)', () => {
  it('a conv chain inside NCHWc pays its reorders at the region edges only, each unit alone pays its own', async () => {
    const plan = await convChain();
    const own = await ownLayouts(plan);
    const convUnits = plan.units.filter((u) => u.unit.kernel.op.includes('nchwc'));
    expect(convUnits.length).toBeGreaterThan(10);
    // Alone, a convolution in NCHWc reorders its output back (and its input in, unless it reads NCHW like the stem).
    for (const u of convUnits) expect(own.get(u.key)!.some((l) => l.op.endsWith('ReorderOutput')), u.key).toBe(true);
    const ownCount = plan.units.reduce((t, u) => t + own.get(u.key)!.length, 0);
    expect(plan.layout.length).toBeGreaterThan(0);
    expect(plan.layout.length).toBeLessThanOrEqual(3);
    expect(ownCount).toBeGreaterThan(10 * plan.layout.length);
    expect(plan.layoutUnknown).toEqual([]);
    // Units outside NCHWc (Gemm, Flatten) run no reorder alone.
    for (const u of plan.units.filter((x) => x.ops[0] === 'Gemm')) expect(own.get(u.key)).toEqual([]);
  });

  it('predicts the chain without the per-unit reorders: Σ (unit − its own reorders) + the file\'s reorders', async () => {
    const plan = await convChain();
    const own = await ownLayouts(plan);
    const entries: Record<string, LutEntry> = {};
    const reorderMs = 0.001;
    for (const [key, layout] of own) {
      entries[key] = entry(0.01 + reorderMs * layout.length, { ops: ['Conv'], inputs: [], outputs: [], layout: layout.map((l) => l.key) });
      for (const l of layout) entries[l.key] = entry(reorderMs, { ops: [l.op], inputs: [l.shape], outputs: [] });
    }
    for (const l of plan.layout) entries[l.key] = entry(reorderMs, { ops: [l.op], inputs: [l.shape], outputs: [] });
    const lut = { id: 'test', device: { options: {} }, overhead: stats(0.02), entries } as unknown as Lut;
    const p = predictOnnx(lut, plan);
    expect(p.layout.corrected).toBe(true);
    expect(p.ms).toBeCloseTo(0.02 + 0.01 * plan.units.length + reorderMs * plan.layout.length, 12);
    expect(p.layout.fileKernels).toBe(plan.layout.length);
    expect(p.units.filter((u) => u.ops[0].includes('Reorder'))).toHaveLength(plan.layout.length);
    // An old LUT (entries without their reorders recorded) stays readable and predicts the plain sum, saying so.
    const old = Object.fromEntries(Object.entries(entries).map(([k, e]) => [k, { ...e, unit: { ...e.unit!, layout: undefined } }]));
    const q = predictOnnx({ ...lut, entries: old } as Lut, plan);
    expect(q.layout.corrected).toBe(false);
    expect(q.layout.note).toMatch(/predate/);
    expect(q.ms).toBeCloseTo(0.02 + plan.units.reduce((t, u) => t + entries[u.key].net, 0), 12);
    // A LUT whose units keep their outputs (outputs=sliced) but whose ReorderInput entries were timed before
    // their model declared its output (so copied it out every run) predicts the plain sum and says why;
    // entries that record their output shape (layoutRecord) are corrected.
    const sliced = { ...lut, device: { options: { outputs: 'sliced' } } } as unknown as Lut;
    const inputs = Object.keys(entries).filter((k) => k.includes('ReorderInput'));
    expect(inputs.length).toBeGreaterThan(0);
    const s = predictOnnx(sliced, plan);
    expect(s.layout.corrected).toBe(false);
    expect(s.layout.note).toMatch(new RegExp(`${inputs.length} ReorderInput entr.*copied out`));
    expect(s.ms).toBeCloseTo(q.ms, 12);
    const block = await nchwcBlockSize();
    const recorded = Object.fromEntries(Object.entries(entries).map(([k, e]) => [k, k.includes('ReorderInput') ? { ...e, unit: { ...e.unit!, outputs: [[1, block, 1, 1]] } } : e]));
    expect(predictOnnx({ ...sliced, entries: recorded } as Lut, plan).ms).toBeCloseTo(p.ms, 12);
    // Without NCHWc (wasm, webgpu…) nothing is corrected and no note is given.
    const flat = predictOnnx(lut, { ...plan, nchwc: false, layout: [] });
    expect(flat.layout).toEqual({ corrected: false, fileKernels: 0, fileMs: 0, ownMs: 0 });
  });

  it('layout keys are canonical (op, attributes, plain shape) and their one-node models run', async () => {
    const a = layoutUnit('ReorderOutput', [1, 40, 8, 8], { channels: 40, channels_last: 0 }, 'k1');
    const b = layoutUnit('ReorderOutput', [1, 40, 8, 8], { channels_last: 0, channels: 40 }, 'other kernel');
    expect(a.key).toBe(b.key);
    expect(a.key).toMatch(UNIT_KEY_PATTERN);
    expect(a.key).not.toBe(layoutUnit('ReorderInput', [1, 40, 8, 8], { channels_last: 0 }).key);
    expect(a.key).not.toBe(layoutUnit('ReorderOutput', [1, 40, 8, 8], { channels: 40, channels_last: 1 }).key);
    const block = await nchwcBlockSize();
    expect([4, 8, 16]).toContain(block);
    const ort = await import('onnxruntime-node');
    for (const u of [a, layoutUnit('ReorderInput', [1, 40, 8, 8], { channels_last: 0 })]) {
      const m = await layoutModel(u);
      // The model is exactly the one reorder (the optimizer leaves it alone).
      expect((await ortOptimizedModelNodes(m.onnx, 'all')).nodes.map((n) => n.op)).toEqual([`com.microsoft.nchwc:${u.op.split('.').pop()}`]);
      const s = await ort.InferenceSession.create(m.onnx, { intraOpNumThreads: 1 });
      const shape = m.inputs[0].shape;
      const out = Object.values(await s.run({ x: new ort.Tensor('float32', new Float32Array(shape.reduce((x, y) => x * y, 1)), shape) }))[0];
      await s.release();
      expect(out.dims).toEqual(u.op.endsWith('ReorderInput') ? [1, Math.ceil(40 / block) * block, 8, 8] : [1, 40, 8, 8]);
      // Both declare the output's shape (what layoutRecord stores), so a device with outputs=sliced keeps the
      // output in the session and returns one element of it, as it does for every unit.
      expect(layoutRecord(u, block).outputs).toEqual([[...out.dims]]);
      const t = await ort.InferenceSession.create(await slicedOutputs(m.onnx), { intraOpNumThreads: 1 });
      const first = Object.values(await t.run({ x: new ort.Tensor('float32', new Float32Array(shape.reduce((x, y) => x * y, 1)), shape) }))[0];
      await t.release();
      expect(first.dims).toEqual([1, 1, 1, 1]);
    }
    // channels_last: NHWC in, the same blocked NCHWc out.
    const nhwc = layoutUnit('ReorderInput', [1, 8, 8, 40], { channels_last: 1 });
    expect(layoutRecord(nhwc, block).outputs).toEqual([[1, Math.ceil(40 / block) * block, 8, 8]]);
  });
});
