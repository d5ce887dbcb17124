/**
 * A unit the device cannot run (an op its provider lacks, e.g. Hardmax on onnxruntime's WebGPU EP without CPU
 * fallback; on a tfjs device, an ONNX unit with a node no primitive maps) is recorded as not timed, with
 * the device's reason, and the run measures the others (issue 17: an op we do not model is not an error). Before,
 * such a unit stopped `nas profile --onnx` with a hint to run the same command again, which failed the same way.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MockDevice } from '../../devices/mock/index.js';
import { modelGraph } from '../../devices/tfjs/program.js';
import type { ModelUnderTest, TimingProtocol, TimingResult } from '../../devices/types.js';
import { networkModel } from '../../export/model.js';
import { readLut } from '../../lut/store.js';
import { UnrunnableModelError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { partitionRuleFor, planOnnx } from '../../src/onnx/plan.js';
import { profileUnits } from '../../src/onnx/profile-units.js';
import { createSpace } from '../../src/spaces/registry.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-unrunnable-'));
process.env.HW_NAS_CACHE = path.join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FAST: TimingProtocol = { warmup: 1, minRepeats: 3, maxRepeats: 5, maxTimeMs: 50, targetCI: 0.5 };

/** The mock, refusing every unit whose ops include `op` as a device without that kernel does. */
class MissingKernel extends MockDevice {
  constructor(private readonly op: string) {
    super({ noise: 0 });
  }
  override async time(model: ModelUnderTest, protocol: TimingProtocol): Promise<TimingResult> {
    if (model.key.split(':')[1]?.split('+').includes(this.op)) throw new UnrunnableModelError(`mock: no ${this.op} kernel for '${model.key}'`);
    return super.time(model, protocol);
  }
}

describe('units the device cannot run', () => {
  it('are recorded as not timed, with the reason, and the other units are measured', async () => {
    const space = createSpace('mbv2', { resolution: 32 });
    const f = path.join(dir, 'net.onnx');
    writeFileSync(f, networkModel(space.build(space.sample(new Rng(4))), { seed: 0 }).onnx);
    const plan = await planOnnx(f, partitionRuleFor(await new MockDevice().init()));
    const refused = new Set(plan.units.filter((u) => u.ops.includes('Gemm')).map((u) => u.key));
    expect(refused.size).toBeGreaterThan(0);
    const lutPath = path.join(dir, 'units.lut.json');
    const s = await profileUnits({ device: new MissingKernel('Gemm'), plans: [plan], protocol: FAST, lutPath });
    expect(new Set(s.skipped.map((k) => k.key))).toEqual(refused);
    expect(s.skipped[0].reason).toMatch(/no Gemm kernel/);
    const lut = readLut(lutPath);
    for (const u of plan.units) {
      if (refused.has(u.key)) expect(lut.entries[u.key]).toBeUndefined();
      else expect(lut.entries[u.key], u.key).toBeDefined();
    }
  });

  it('on a tfjs device, an ONNX unit without a primitive graph is refused with why (the op), and a hint naming the devices that run ONNX', () => {
    const unit: ModelUnderTest = { key: 'onnx:Transpose:1x8x16x16:0123456789abcdef:f32', onnx: new Uint8Array(8), inputs: [{ name: 'x', shape: [1, 8, 16, 16] }], ops: [], noGraph: 'no primitive for its Transpose node' };
    let error: unknown;
    try {
      modelGraph(unit);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnrunnableModelError);
    expect((error as UnrunnableModelError).message).toMatch(/tfjs cannot time ONNX unit 'onnx:Transpose:.*': no primitive for its Transpose node/);
    expect((error as UnrunnableModelError).hint).toMatch(/ort-cpu, wasm/);
  });
});
