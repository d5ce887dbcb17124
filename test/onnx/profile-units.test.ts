/**
 * The ONNX unit profiler (src/onnx/profile-units.ts) and the timing reference and the rounds file it shares with
 * the op profiler: its units' rounds fit β at the end of the run that created the LUT (lut/reference-run.ts), and
 * a run stopped after its last unit but before the overhead's last round in the passes leaves the overhead owed
 * in the rounds file, so that the run resuming it times the overhead in passes and keeps that figure.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DriftingMock } from '../devices/drifting-mock.js';
import { MockDevice } from '../../devices/mock/index.js';
import { PROVISIONAL_SLOPE, scaleStats } from '../../devices/reference.js';
import type { ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { networkModel, overheadModel } from '../../export/model.js';
import { PartialRounds } from '../../lut/partial-rounds.js';
import { OVERHEAD_ITEM } from '../../lut/overhead.js';
import { readLut } from '../../lut/store.js';
import { Rng } from '../../src/core/rng.js';
import { partitionRuleFor, planOnnx, type OnnxPlan } from '../../src/onnx/plan.js';
import { profileUnits } from '../../src/onnx/profile-units.js';
import { COPY_KEY, FEED_KEYS } from '../../src/onnx/feeds.js';
import { createSpace } from '../../src/spaces/registry.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-profile-units-'));
process.env.HW_NAS_CACHE = path.join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FAST: TimingProtocol = { warmup: 2, minRepeats: 5, maxRepeats: 50, maxTimeMs: 150, targetCI: 0.02 };
const ROUNDS: TimingProtocol = { ...FAST, rounds: 3, estimator: 'min', maxSpread: 0.1, extraRounds: 2 };


/** A random mbv2 net at 32 px (sampled with `seed`) written to `name` in the test's folder, planned for `device`'s partition. */
async function mbv2Plan(name: string, seed: number, device = new MockDevice()): Promise<OnnxPlan> {
  const space = createSpace('mbv2', { resolution: 32 });
  const f = path.join(dir, name);
  writeFileSync(f, networkModel(space.build(space.sample(new Rng(seed))), { seed: 0 }).onnx);
  return planOnnx(f, partitionRuleFor(await device.init()));
}

let plan: OnnxPlan;
async function smallPlan(): Promise<OnnxPlan> {
  if (plan) return plan;
  plan = await mbv2Plan('small.onnx', 21, new MockDevice({ noise: 0 }));
  return plan;
}

describe('the unit profiler with a timing reference', () => {
  it("hands its units' rounds to the reference run: β is fitted from them at the end, and the drift cancels", async () => {
    const p = await smallPlan();
    // Every unit and the in-chain model of each chainable one (src/onnx/extract.ts): all measured in the rounds (the
    // feed models, src/onnx/feeds.ts, only on onnxruntime's devices: test/onnx/predict.test.ts).
    const keys = new Set(p.units.filter((u) => !u.unsupported).flatMap((u) => [u.key, ...(u.chainKey ? [u.chainKey] : [])]));
    expect(p.units.some((u) => u.chainKey)).toBe(true);
    expect(keys.size).toBeGreaterThan(6); // enough models for slopeFromRounds
    const steady = path.join(dir, 'steady.lut.json');
    await profileUnits({ device: new DriftingMock([1]), plans: [p], protocol: ROUNDS, lutPath: steady });
    expect(Object.keys(readLut(steady).entries).filter((k) => [...FEED_KEYS, COPY_KEY].includes(k))).toEqual([]);
    // The provisional R is measured in the first 5 timings, at half speed; the rounds drift between 1× and 1.4×,
    // the items half as far as their reference (β 0.5, against the provisional 0.3 the run starts from).
    const speeds = [2, 2, 2, 2, 2, ...Array.from({ length: 40 }, (_, i) => [1, 1.4, 1.1, 1.25][i % 4])];
    const lutPath = path.join(dir, 'half.lut.json');
    const s = await profileUnits({ device: new DriftingMock(speeds, 0.5), plans: [p], protocol: { ...ROUNDS, reference: 'conv' }, lutPath });
    expect(s.referenceAdopted).toMatchObject({ provisionalSlope: PROVISIONAL_SLOPE, slope: expect.closeTo(0.5, 6) });
    // Fitted on the units' rounds (not only on the overhead's, which is scored again but not fitted on).
    expect(s.referenceAdopted?.slopeFit?.models).toBe(keys.size);
    const lut = readLut(lutPath);
    expect(lut.referenceProvisional).toBeUndefined();
    expect(lut.protocol.referenceSlope).toBeCloseTo(0.5, 6);
    // Every unit scored again from its rounds with β 0.5: the figures of a steady machine, rounds in agreement.
    const plain = readLut(steady);
    for (const k of keys) {
      expect(lut.entries[k].stats.median).toBeCloseTo(plain.entries[k].stats.median, 9);
      expect(lut.entries[k].spread).toBeCloseTo(0, 9);
      expect(lut.entries[k].unit?.ops).toEqual(plain.entries[k].unit?.ops);
    }
    expect(lut.overhead.median).toBeCloseTo(plain.overhead.median, 9);
  }, 120_000);
});

/**
 * The mock (no noise), with the overhead model's timings changed: 3× while it is timed alone before the units (`alone` timings);
 * in the passes 1×, 1.5×, 1× (a spread that asks for extra rounds, so its fourth round comes after every unit
 * is complete), and `failAt` (the overhead's n-th timing in the passes) throws, as a killed process stops.
 */
class OverheadMock extends MockDevice {
  private overheadCalls = 0;
  constructor(
    private readonly failAt = Infinity,
    /** The overhead's timings alone before the units: 3 (one set of rounds) in a run that creates the LUT, none after. */
    private readonly alone = 3,
  ) {
    super({ noise: 0, outlierRate: 0 });
  }
  override async time(model: ModelUnderTest, protocol: TimingProtocol) {
    const r = await super.time(model, protocol);
    if (model.key !== overheadModel([1, 1, 1, 1]).key) return r;
    const n = ++this.overheadCalls - this.alone;
    if (n <= 0) return { ...r, stats: scaleStats(r.stats, 3) };
    if (n >= this.failAt) throw new Error('killed');
    return { ...r, stats: scaleStats(r.stats, n === 2 ? 1.5 : 1) };
  }
}

describe('a unit profile stopped after its last unit, before the overhead is timed in its passes', () => {
  it('keeps the overhead owed in the rounds file; the run that resumes it times the overhead in passes and keeps that figure', async () => {
    const p = await smallPlan();
    const lutPath = path.join(dir, 'owed.lut.json');
    const first = new OverheadMock(4);
    await first.init();
    await expect(profileUnits({ device: first, plans: [p], protocol: ROUNDS, lutPath })).rejects.toThrow(/profiling stopped while measuring unit \u0000overhead.*killed/s);
    const cut = readLut(lutPath);
    const keys = [...new Set(p.units.filter((u) => !u.unsupported).map((u) => u.key))];
    // Every unit is in the LUT, with the overhead timed alone (3× the model's figure)…
    for (const k of keys) expect(cut.entries[k]).toBeDefined();
    const base = cut.overhead.median / 3;
    // …and the rounds file says the overhead is owed, with its three rounds in the passes so far.
    expect(existsSync(PartialRounds.pathFor(lutPath))).toBe(true);
    expect(PartialRounds.open(lutPath, cut.id).get(OVERHEAD_ITEM)).toHaveLength(3);

    const second = new OverheadMock(Infinity, 0);
    await second.init();
    const s = await profileUnits({ device: second, plans: [p], protocol: ROUNDS, lutPath });
    expect(s.measured).toBe(0);
    const lut = readLut(lutPath);
    // The overhead from the passes (its fastest round: 1× the model), not the one timed alone, every net recomputed with it.
    expect(lut.overhead.median).toBeCloseTo(base, 9);
    expect(s.overheadMs).toBeCloseTo(base, 9);
    for (const k of keys) expect(lut.entries[k].net).toBeCloseTo(Math.max(0, lut.entries[k].stats.median - base), 9);
    expect(existsSync(PartialRounds.pathFor(lutPath))).toBe(false);

    // A third run has nothing owed: it measures and changes nothing.
    const third = await profileUnits({ device: new OverheadMock(1, 0), plans: [p], protocol: ROUNDS, lutPath });
    expect(third.measured).toBe(0);
    expect(readLut(lutPath).overhead.median).toBe(lut.overhead.median);
  }, 120_000);
});

/** The mock (no noise), each model's n-th timing at speed [1, 1.5, 1, 1.5, 1][n]: rounds that always spread by 50%. */
class SpreadMock extends MockDevice {
  private readonly calls = new Map<string, number>();
  constructor() {
    super({ noise: 0, outlierRate: 0 });
  }
  override async time(model: ModelUnderTest, protocol: TimingProtocol) {
    const r = await super.time(model, protocol);
    const n = this.calls.get(model.key) ?? 0;
    this.calls.set(model.key, n + 1);
    return { ...r, stats: scaleStats(r.stats, n % 2 ? 1.5 : 1) };
  }
}

describe('units only the in-file fit needs', () => {
  it('are timed without extra rounds; the files\' units, those the two share included, get theirs', async () => {
    const user = await smallPlan();
    const net = await mbv2Plan('fit-net.onnx', 22);
    const lutPath = path.join(dir, 'fit-only.lut.json');
    const device = new SpreadMock();
    await device.init();
    await profileUnits({ device, plans: [user], fitPlans: [net], protocol: ROUNDS, lutPath });
    const lut = readLut(lutPath);
    const userKeys = new Set(user.units.filter((u) => !u.unsupported).map((u) => u.key));
    const fitOnly = [...new Set(net.units.filter((u) => !u.unsupported && !userKeys.has(u.key)).map((u) => u.key))];
    const shared = net.units.filter((u) => userKeys.has(u.key));
    expect(fitOnly.length).toBeGreaterThan(0);
    expect(shared.length).toBeGreaterThan(0);
    for (const k of userKeys) expect(lut.entries[k].rounds).toHaveLength(ROUNDS.rounds! + ROUNDS.extraRounds!);
    for (const k of fitOnly) expect(lut.entries[k].rounds).toHaveLength(ROUNDS.rounds!);
  }, 120_000);
});

/** The mock (no noise), the overhead model `factor`× as slow: the machine state of another run. */
class OverheadAtMock extends MockDevice {
  constructor(private readonly factor: number) {
    super({ noise: 0, outlierRate: 0 });
  }
  override async time(model: ModelUnderTest, protocol: TimingProtocol) {
    const r = await super.time(model, protocol);
    return model.key === overheadModel([1, 1, 1, 1]).key ? { ...r, stats: scaleStats(r.stats, this.factor) } : r;
  }
}

describe('units added to a LUT whose overhead is final (lut/overhead.ts)', () => {
  it("keep the LUT's overhead and its units bit for bit; the added units are net of their own run's overhead", async () => {
    const first = await smallPlan();
    const added = await mbv2Plan('added-net.onnx', 23);
    const lutPath = path.join(dir, 'added.lut.json');
    const steady = new OverheadAtMock(1);
    await steady.init();
    await profileUnits({ device: steady, plans: [first], protocol: FAST, lutPath });
    const before = readLut(lutPath);
    const drifted = new OverheadAtMock(2.5);
    await drifted.init();
    const s = await profileUnits({ device: drifted, plans: [added], protocol: FAST, lutPath });
    expect(s.measured).toBeGreaterThan(0);
    const after = readLut(lutPath);
    expect(JSON.stringify(after.overhead)).toBe(JSON.stringify(before.overhead));
    expect(s.overheadMs).toBe(before.overhead.median);
    expect(s.runOverheadMs).toBeCloseTo(2.5 * before.overhead.median, 9);
    for (const [key, e] of Object.entries(before.entries)) expect(JSON.stringify(after.entries[key])).toBe(JSON.stringify(e));
    const newKeys = Object.keys(after.entries).filter((k) => !before.entries[k]);
    expect(newKeys.length).toBe(s.measured);
    for (const k of newKeys) {
      const e = after.entries[k];
      expect(e.overheadOwed).toBeUndefined();
      expect(e.overheadMs).toBe(s.runOverheadMs);
      expect(e.net).toBe(Math.max(0, e.stats.median - s.runOverheadMs!));
    }
    expect(existsSync(PartialRounds.pathFor(lutPath))).toBe(false);
  }, 120_000);
});
