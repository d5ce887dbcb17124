/**
 * tfjs devices time the ONNX units whose nodes all map to primitives (src/onnx/primitives.ts, unitGraph): the
 * unit's model carries its nodes as a primitive graph, which tfjs builds with generated weights of the same
 * shapes. A unit with a node no primitive maps (here a Transpose) stays not timed, with a reason naming the op.
 * Before, every ONNX unit was refused on tfjs ("tfjs cannot time ONNX units").
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tfjsCpuFactory } from '../../devices/tfjs/index.js';
import type { Device, TimingProtocol } from '../../devices/types.js';
import { networkModel } from '../../export/model.js';
import { readLut } from '../../lut/store.js';
import { Rng } from '../../src/core/rng.js';
import { unitModel } from '../../src/onnx/extract.js';
import { partitionRuleFor, planOnnx } from '../../src/onnx/plan.js';
import { MissingUnitsError, predictOnnx } from '../../src/onnx/predict.js';
import { profileUnits } from '../../src/onnx/profile-units.js';
import { createSpace } from '../../src/spaces/registry.js';
import { FLOAT, modelBytes, valueInfo } from './model-bytes.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-tfjs-units-'));
process.env.HW_NAS_CACHE = path.join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FAST: TimingProtocol = { warmup: 1, minRepeats: 3, maxRepeats: 5, maxTimeMs: 50, targetCI: 0.5 };

/** x [1,4,8,8] → Conv 3×3 → Relu → Transpose (swap H, W) → Conv 1×1 → y: a Transpose no primitive maps. */
function withTranspose(): Uint8Array {
  const rng = new Rng(1);
  const w = (name: string, dims: number[]) => ({ name, dims, dataType: FLOAT, floatData: Array.from(rng.fill(dims.reduce((a, b) => a * b, 1))) });
  return modelBytes({
    name: 'with-transpose',
    node: [
      { name: 'c1', opType: 'Conv', input: ['x', 'w1'], output: ['a'], attribute: [{ name: 'pads', type: 7, ints: [1, 1, 1, 1] }] },
      { name: 'r', opType: 'Relu', input: ['a'], output: ['b'] },
      { name: 't', opType: 'Transpose', input: ['b'], output: ['c'], attribute: [{ name: 'perm', type: 7, ints: [0, 1, 3, 2] }] },
      { name: 'c2', opType: 'Conv', input: ['c', 'w2'], output: ['y'] },
    ],
    initializer: [w('w1', [8, 4, 3, 3]), w('w2', [6, 8, 1, 1])],
    input: [valueInfo('x', [1, 4, 8, 8])],
    output: [valueInfo('y', [1, 6, 8, 8])],
  });
}

let device: Device;
const tfjsCpu = async () => (device ??= tfjsCpuFactory.create({}) as Device);

describe('ONNX units on a tfjs device', () => {
  it('a unit model carries its nodes as a primitive graph; ort devices get the same ONNX bytes and key', async () => {
    const space = createSpace('mbv2', { resolution: 32 });
    const f = path.join(dir, 'mbv2.onnx');
    writeFileSync(f, networkModel(space.build(space.sample(new Rng(4))), { seed: 0 }).onnx);
    const plan = await planOnnx(f, partitionRuleFor('tfjs-cpu'));
    for (const u of plan.units) {
      const m = unitModel(plan.graph, u.unit);
      expect(m.noGraph, u.ops.join('+')).toBeUndefined();
      expect(m.graph!.nodes.length).toBe(u.unit.nodes.length);
      expect(m.key).toBe(u.key);
    }
    const t = path.join(dir, 'transpose.onnx');
    writeFileSync(t, withTranspose());
    const tplan = await planOnnx(t, partitionRuleFor('tfjs-cpu'));
    const tr = tplan.units.find((u) => u.ops.includes('Transpose'))!;
    expect(unitModel(tplan.graph, tr.unit).noGraph).toMatch(/no primitive for its Transpose node/);
  });

  it('profiles every mapped unit of an exported mbv2, lists the unmapped one with its op, and predicts the file', async () => {
    const space = createSpace('mbv2', { resolution: 32 });
    const f = path.join(dir, 'mbv2-profile.onnx');
    writeFileSync(f, networkModel(space.build(space.sample(new Rng(4))), { seed: 0 }).onnx);
    const dev = await tfjsCpu();
    const plan = await planOnnx(f, partitionRuleFor(await dev.init()));
    const lutPath = path.join(dir, 'tfjs.lut.json');
    const s = await profileUnits({ device: dev, plans: [plan], protocol: FAST, lutPath });
    expect(s.skipped).toEqual([]); // the units and the in-chain models of the chainable ones
    expect(plan.units.some((u) => u.chainKey && readLut(lutPath).entries[u.chainKey])).toBe(true);
    const lut = readLut(lutPath);
    for (const u of plan.units) expect(lut.entries[u.key], u.ops.join('+')).toBeDefined();
    const p = predictOnnx(lut, plan);
    expect(p.ms).toBeGreaterThan(0);
    expect(p.units.length).toBe(plan.units.length);

    // A file with a Transpose: its Conv units are timed into the same LUT, the Transpose unit is named.
    const t = path.join(dir, 'transpose.onnx');
    writeFileSync(t, withTranspose());
    const tplan = await planOnnx(t, partitionRuleFor(await dev.init()));
    const ts = await profileUnits({ device: dev, plans: [tplan], protocol: FAST, lutPath });
    const transposed = tplan.units.filter((u) => u.ops.includes('Transpose'));
    expect(transposed.length).toBeGreaterThan(0);
    expect(ts.skipped.map((k) => k.key).sort()).toEqual(transposed.map((u) => u.key).sort());
    for (const k of ts.skipped) expect(k.reason).toMatch(/tfjs cannot time ONNX unit .*no primitive for its Transpose node/);
    const tlut = readLut(lutPath);
    for (const u of tplan.units) if (!transposed.includes(u)) expect(tlut.entries[u.key], u.ops.join('+')).toBeDefined();
    let error: unknown;
    try {
      predictOnnx(tlut, tplan);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MissingUnitsError);
    expect((error as MissingUnitsError).missing.sort()).toEqual(transposed.map((u) => u.key).sort());
    expect((error as MissingUnitsError).message).toMatch(/Transpose/);
    // The device refused them: the hint points to a device that runs them, not to --profile-missing.
    expect((error as MissingUnitsError).hint).toMatch(/cannot fill .*--device cpu/);
    expect((error as MissingUnitsError).hint).not.toMatch(/^measure them with --profile-missing/);
  }, 300_000);
});
