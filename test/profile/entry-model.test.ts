/**
 * A device that never runs a model (Device.needsWeights false: the mock) is given zero weights by the profiler,
 * every other device the seeded weights it always got; and the mock's LUT is the same either way (the same keys
 * and figures, setupMs included: it reads the ONNX bytes' length, which zero weights keep).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MockDevice } from '../../devices/mock/index.js';
import type { ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { opModel } from '../../export/model.js';
import { readLut } from '../../lut/store.js';
import { entryModel } from '../../src/profile/entry-model.js';
import { profile } from '../../src/profile/profiler.js';
import { CATALOG } from '../fixtures/catalog.js';
import { instances } from './fixtures/instances.js';

const PROTOCOL: TimingProtocol = { warmup: 1, minRepeats: 3, maxRepeats: 5, maxTimeMs: 50, targetCI: 0.5, rounds: 2 };

/** The float weights of an ONNX model (its raw-data initializers), as numbers. */
function floatWeights(bytes: Uint8Array): number[] {
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  return model.graph!.initializer!.filter((t) => t.rawData?.length).flatMap((t) => {
    const raw = t.rawData!;
    return [...new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))];
  });
}

/** The mock as a device that runs its models (needsWeights true, as a real device's absent flag means), recording what it is given. */
class RunningMock extends MockDevice {
  override readonly needsWeights = true;
  readonly models: ModelUnderTest[] = [];
  override time(model: ModelUnderTest, protocol: TimingProtocol) {
    this.models.push(model);
    return super.time(model, protocol);
  }
}
class RecordingMock extends MockDevice {
  readonly models: ModelUnderTest[] = [];
  override time(model: ModelUnderTest, protocol: TimingProtocol) {
    this.models.push(model);
    return super.time(model, protocol);
  }
}

describe('entryModel', () => {
  it.each(Object.entries(CATALOG))('%s: zero weights of the same length for the mock, the seeded export for any other device', (_kind, inst) => {
    const seeded = opModel(inst, { seed: 3 });
    const other = entryModel({}, inst, 3);
    expect(other.onnx).toEqual(seeded.onnx);
    const mock = entryModel(new MockDevice(), inst, 3);
    expect(mock.key).toBe(seeded.key);
    expect(mock.onnx.byteLength).toBe(seeded.onnx.byteLength);
    const [weights, generated] = [floatWeights(mock.onnx), floatWeights(seeded.onnx)];
    expect(weights).toHaveLength(generated.length);
    // Zero where a value was drawn; constants (a norm's scale of 1) as they were.
    expect(weights.filter((w, i) => w !== generated[i]).every((w) => w === 0)).toBe(true);
  });

  it('draws no weight for the mock: every kind with weights has them zeroed', () => {
    const withWeights = Object.values(CATALOG).filter((inst) => floatWeights(opModel(inst).onnx).some((w) => w !== 0 && w !== 1));
    expect(withWeights.length).toBeGreaterThan(10);
    for (const inst of withWeights) expect(floatWeights(entryModel(new MockDevice(), inst).onnx).every((w) => w === 0 || w === 1)).toBe(true);
  });
});

describe('profile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'entry-model-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the mock zero weights and a device that runs its models generated ones, and the mock LUT is the same', async () => {
    const insts = instances(6);
    const mock = new RecordingMock({ noise: 0 });
    const running = new RunningMock({ noise: 0 });
    const [a, b] = [path.join(dir, 'a.lut.json'), path.join(dir, 'b.lut.json')];
    await profile({ device: mock, instances: insts, protocol: PROTOCOL, lutPath: a, seed: 2 });
    await profile({ device: running, instances: insts, protocol: PROTOCOL, lutPath: b, seed: 2 });

    const entriesOf = (models: ModelUnderTest[]) => models.filter((m) => m.ops.length > 0);
    expect(entriesOf(mock.models).length).toBeGreaterThanOrEqual(insts.length);
    for (const m of entriesOf(mock.models)) expect(floatWeights(m.onnx).every((w) => w === 0)).toBe(true);
    expect(entriesOf(running.models).length).toBeGreaterThanOrEqual(insts.length);
    for (const m of entriesOf(running.models)) expect(m.onnx).toEqual(opModel(m.ops[0], { seed: 2 }).onnx);
    const convs = entriesOf(running.models).filter((m) => m.ops[0].spec.kind === 'conv');
    expect(convs.length).toBeGreaterThan(0);
    for (const m of convs) expect(floatWeights(m.onnx).some((w) => w !== 0)).toBe(true);

    const strip = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (['measuredAt', 'endedAt', 'noise'].includes(k) ? undefined : v)));
    const [la, lb] = [readLut(a), readLut(b)];
    expect(Object.keys(la.entries).sort()).toEqual(Object.keys(lb.entries).sort());
    expect(Object.keys(la.entries)).toHaveLength(insts.length);
    expect(strip(la.entries)).toEqual(strip(lb.entries));
    for (const e of Object.values(la.entries)) expect(e.setupMs).toBeGreaterThan(1);
  });
});
