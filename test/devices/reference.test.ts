/**
 * The timing reference (devices/reference.ts): the scaling arithmetic, the harness's interleaving hook, a
 * round scaled by the reference in it, and whole profiling and verify runs on a mock machine whose speed
 * drifts between rounds (item and reference alike, as on the development VM): scaled, the drift cancels.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DriftingMock } from './drifting-mock.js';
import { measure } from '../../devices/harness.js';
import { MockDevice } from '../../devices/mock/index.js';
import { chooseReference } from '../../devices/reference-choice.js';
import { canInterleave, PROVISIONAL_SLOPE, referenceFactor, referenceModel, scaleFromRounds, scaleStats, SLOPE_MAX, slopeFromRounds } from '../../devices/reference.js';
import { combineRounds, timeRound } from '../../devices/rounds.js';
import { summarize } from '../../devices/stats.js';
import type { ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { networkModel, opModel } from '../../export/model.js';
import { lutId, readLut } from '../../lut/store.js';
import { settingId } from '../../src/verify/state.js';
import { device as lutDevice } from '../lut/fixtures.js';
import { UserError } from '../../src/core/errors.js';
import { profile } from '../../src/profile/profiler.js';
import { createSpace } from '../../src/spaces/registry.js';
import { verifyFront } from '../../src/verify/verify.js';
import { mockFront } from '../verify/fixtures.js';

const FAST: TimingProtocol = { warmup: 2, minRepeats: 5, maxRepeats: 50, maxTimeMs: 150, targetCI: 0.02 };
const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-reference-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


/** The figure of `model` on a steady machine (speed 1). */
async function steadyMs(model: ModelUnderTest): Promise<number> {
  const d = new DriftingMock([1]);
  await d.init();
  return (await d.time(model, FAST)).stats.median;
}

describe('the scaling arithmetic', () => {
  it('scales every latency of the stats and nothing else', () => {
    const s = summarize([1, 2, 3, 4, 5], 0.5);
    const x = scaleStats(s, 0.5);
    expect([x.median, x.mean, x.std, x.p10, x.p90, x.min, x.max, ...x.ci95]).toEqual([s.median, s.mean, s.std, s.p10, s.p90, s.min, s.max, ...s.ci95].map((v) => v * 0.5));
    expect([x.n, x.rejected, x.converged]).toEqual([s.n, s.rejected, s.converged]);
  });
  it('a round is multiplied by R over its reference; R is the low quantile of the rounds', () => {
    expect(referenceFactor(0.4, 0.5)).toBeCloseTo(0.8, 12);
    expect(() => referenceFactor(0.4, 0)).toThrow();
    // 21 references: the 10% quantile is the third lowest
    expect(scaleFromRounds(Array.from({ length: 21 }, (_, i) => 1 + i / 10))).toBeCloseTo(1.2, 12);
    expect(scaleFromRounds([0.7])).toBe(0.7);
    expect(scaleFromRounds([])).toBeUndefined();
  });
  it('with a slope β the factor is (R / the reference)^β; β 0 leaves the round as timed', () => {
    expect(referenceFactor(0.4, 0.5, 0.5)).toBeCloseTo(Math.sqrt(0.8), 12);
    expect(referenceFactor(0.4, 0.5, 0)).toBe(1);
    expect(() => referenceFactor(0.4, 0.5, -1)).toThrow();
  });
  it('β is the pooled within-model slope of the rounds as timed on their references', () => {
    // 12 models of very different sizes, 4 rounds each: log(ms) = log(size) + 0.4·log(ref) + a little noise.
    let k = 0;
    const wobble = () => ((k++ * 7919) % 13) / 13 - 0.5;
    const models = Array.from({ length: 12 }, (_, m) =>
      Array.from({ length: 4 }, (_, i) => {
        const referenceMs = 1 + 0.15 * ((i + m) % 4);
        return { referenceMs, ms: (0.01 + m) * referenceMs ** 0.4 * Math.exp(0.002 * wobble()) };
      }),
    );
    const fit = slopeFromRounds(models)!;
    expect(fit.slope).toBeCloseTo(0.4, 2);
    expect(fit.r).toBeGreaterThan(0.95);
    expect(fit).toMatchObject({ rounds: 48, models: 12 });
    // Too few models, references that never moved: no fit. A slope past the bound is clamped.
    expect(slopeFromRounds(models.slice(0, 5))).toBeUndefined();
    expect(slopeFromRounds(models.map((rs) => rs.map((r) => ({ ...r, referenceMs: 1 }))))).toBeUndefined();
    // Rounds that move on their own, not with their references (r below 0.5): no fit either.
    const loose = models.map((rs, m) => rs.map((r) => ({ ...r, ms: (0.01 + m) * Math.exp(0.3 * wobble()) })));
    expect(slopeFromRounds(loose)).toBeUndefined();
    // Rounds that follow their references loosely (as on the development VM, r 0.34–0.82): the provisional β stays.
    const partly = models.map((rs) => rs.map((r) => ({ ...r, ms: r.ms * Math.exp(0.25 * wobble()) })));
    expect(slopeFromRounds(partly)).toBeUndefined();
    expect(slopeFromRounds(models.map((rs) => rs.map((r) => ({ ...r, ms: r.ms * r.referenceMs ** 5 }))))!.slope).toBe(SLOPE_MAX);
    // Rounds that run faster when their reference runs slower: no fit (r below 0.5).
    expect(slopeFromRounds(models.map((rs) => rs.map((r) => ({ ...r, ms: r.ms / r.referenceMs ** 2 }))))).toBeUndefined();
  });
  it('chooses off, the device default, or a known name', () => {
    expect(chooseReference('off', { defaultReference: 'mbconv56' })).toBeUndefined();
    expect(chooseReference('auto', { defaultReference: 'mbconv56' })).toBe('mbconv56');
    expect(chooseReference('auto', {})).toBeUndefined();
    expect(chooseReference('conv', undefined)).toBe('conv');
    expect(() => chooseReference('resnet', undefined)).toThrow(UserError);
  });
});

describe('measure() with a reference between the batches', () => {
  it('runs it before every batch after the cold run (warm-up included) and once after the last', async () => {
    const batches: number[] = [];
    let between = 0;
    // Samples that never agree (1, 2, 3, …): the CI never reaches its target, so the batches grow to maxRepeats.
    let k = 0;
    const source = { cold: async () => 1, samples: async (n: number) => (batches.push(n), Array.from({ length: n }, () => 1 + (k++ % 9))) };
    const positions: string[] = [];
    await measure(source, { warmup: 3, minRepeats: 5, maxRepeats: 30, maxTimeMs: 1e9, targetCI: 1e-9 }, { between: async (p) => void (between++, positions.push(p)) });
    // warm-up batch, then 5, 10, 15 → 30 samples
    expect(batches).toEqual([2, 5, 10, 15]);
    expect(between).toBe(batches.length + 1);
    expect(positions).toEqual(['warmup', 'batch', 'batch', 'batch', 'after']);
  });
});

describe('timeRound with protocol.reference', () => {
  const model = opModel(referenceModel('conv').ops[0]);
  it('scales the round by R / the reference in it and records both', async () => {
    const device = new DriftingMock([1.3]);
    await device.init();
    const plain = await steadyMs(model);
    const refMs = await steadyMs(referenceModel('conv'));
    const r = await timeRound(device, model, { ...FAST, reference: 'conv', referenceMs: refMs });
    expect(r.stats.median).toBeCloseTo(plain, 9); // 1.3× slower, and its reference too
    expect(r.scale).toBeCloseTo(1 / 1.3, 9);
    expect(r.noise?.referenceMs).toBeCloseTo(refMs * 1.3, 9);
    const combined = combineRounds([r, r], { ...FAST, rounds: 2 });
    expect(combined.details[0].scale).toBe(r.scale);
  });
  it('refuses a device that cannot interleave, and a reference without its scale', async () => {
    const mock = new MockDevice();
    await mock.init();
    expect(canInterleave(mock)).toBe(false);
    await expect(timeRound(mock, model, { ...FAST, reference: 'conv', referenceMs: 1 })).rejects.toThrow(/cannot time a reference/);
    const drifting = new DriftingMock([1]);
    await drifting.init();
    await expect(timeRound(drifting, model, { ...FAST, reference: 'conv' })).rejects.toThrow(/without its scale/);
  });
});

describe('a LUT profiled with the reference on a drifting machine', () => {
  const space = createSpace('nb201');
  const instances = space.allInstances().slice(0, 12);
  const rounds: TimingProtocol = { ...FAST, rounds: 3, estimator: 'min', maxSpread: 0.1, extraRounds: 2 };
  let lutPath: string;

  it('drift cancels: every round of an entry equal, the entries those of a steady machine; the provisional R rescaled at the end', async () => {
    const steady = path.join(dir, 'steady.lut.json');
    await profile({ device: new DriftingMock([1]), instances, protocol: rounds, lutPath: steady });
    lutPath = path.join(dir, 'ref.lut.json');
    // The provisional R is measured in the first 5 timings, here all at half speed; the rounds drift between 1× and 1.4×.
    const drifting = new DriftingMock([2, 2, 2, 2, 2, ...Array.from({ length: 40 }, (_, i) => [1, 1.4, 1.1, 1.25][i % 4])]);
    const result = await profile({ device: drifting, instances, protocol: { ...rounds, reference: 'conv' }, lutPath });
    const refMs = await steadyMs(referenceModel('conv'));
    // The item drifts as far as its reference here: β fitted 1 (the run started from the provisional one).
    expect(result.referenceAdopted).toMatchObject({
      provisionalMs: expect.closeTo(2 * refMs, 6),
      finalMs: expect.closeTo(refMs, 6),
      factor: expect.closeTo(0.5 ** PROVISIONAL_SLOPE, 6),
      provisionalSlope: PROVISIONAL_SLOPE,
      slope: expect.closeTo(1, 6),
    });
    const lut = readLut(lutPath);
    const plain = readLut(steady);
    expect(lut.protocol).toMatchObject({ reference: 'conv', referenceMs: expect.closeTo(refMs, 6), referenceSlope: expect.closeTo(1, 6) });
    expect(lut.referenceProvisional).toBeUndefined();
    expect(lut.id).not.toBe(plain.id);
    expect(lut.overhead.median).toBeCloseTo(plain.overhead.median, 9);
    for (const [key, e] of Object.entries(plain.entries)) {
      expect(lut.entries[key].stats.median).toBeCloseTo(e.stats.median, 9);
      expect(lut.entries[key].spread).toBeCloseTo(0, 9);
      expect(lut.entries[key].noise?.referenceMs).toBeGreaterThan(0);
    }
    // Without the reference the same drift reaches the entries.
    const unscaled = path.join(dir, 'drift.lut.json');
    await profile({ device: new DriftingMock([1, 1.4, 1.1, 1.25]), instances, protocol: rounds, lutPath: unscaled });
    expect(Object.values(readLut(unscaled).entries).some((e) => (e.spread ?? 0) > 0.05)).toBe(true);
  });

  it('on a machine where the item drifts half as far as its reference, β is fitted 0.5 and the drift cancels', async () => {
    const half = path.join(dir, 'half.lut.json');
    const drifting = new DriftingMock([2, 2, 2, 2, 2, ...Array.from({ length: 40 }, (_, i) => [1, 1.4, 1.1, 1.25][i % 4])], 0.5);
    const result = await profile({ device: drifting, instances, protocol: { ...rounds, reference: 'conv' }, lutPath: half });
    expect(result.referenceAdopted?.slope).toBeCloseTo(0.5, 6);
    expect(result.referenceAdopted?.slopeFit?.models).toBe(instances.length);
    const lut = readLut(half);
    const plain = readLut(path.join(dir, 'steady.lut.json'));
    expect(lut.protocol.referenceSlope).toBeCloseTo(0.5, 6);
    for (const [key, e] of Object.entries(plain.entries)) {
      expect(lut.entries[key].stats.median).toBeCloseTo(e.stats.median, 9);
      expect(lut.entries[key].spread).toBeCloseTo(0, 9);
    }
    expect(lut.overhead.median).toBeCloseTo(plain.overhead.median, 9);
  });

  it('a run interrupted before its end leaves R provisional; the run that completes the LUT adopts R and β', async () => {
    const cut = path.join(dir, 'cut.lut.json');
    const stop = new AbortController();
    const speeds = [2, 2, 2, 2, 2, ...Array.from({ length: 40 }, (_, i) => [1, 1.4, 1.1, 1.25][i % 4])];
    const first = await profile({ device: new DriftingMock(speeds, 0.5), instances, protocol: { ...rounds, reference: 'conv' }, lutPath: cut, signal: stop.signal, onProgress: (p) => p.done >= 4 && stop.abort() });
    expect(first.summary.interrupted).toBe(true);
    expect(first.referenceAdopted).toBeUndefined();
    expect(readLut(cut)).toMatchObject({ referenceProvisional: true, protocol: { referenceSlope: PROVISIONAL_SLOPE } });
    const provisionalMs = readLut(cut).protocol.referenceMs;
    const second = await profile({ device: new DriftingMock(speeds.slice(5), 0.5), instances, protocol: { ...rounds, reference: 'conv' }, lutPath: cut });
    expect(second.summary.interrupted).toBe(false);
    expect(second.referenceAdopted).toMatchObject({ provisionalMs, finalMs: expect.closeTo(provisionalMs! / 2, 6) });
    const lut = readLut(cut);
    expect(lut.referenceProvisional).toBeUndefined();
    expect(lut.protocol.referenceMs).toBeCloseTo(provisionalMs! / 2, 6);
  });

  it('a resumed run keeps the LUT\'s R and rescales nothing', async () => {
    const more = space.allInstances().slice(12, 16);
    const before = readLut(lutPath);
    const result = await profile({ device: new DriftingMock([3, 1, 1.2]), instances: [...instances, ...more], protocol: { ...rounds, reference: 'conv' }, lutPath });
    expect(result.referenceAdopted).toBeUndefined();
    const after = readLut(lutPath);
    expect(after.protocol.referenceMs).toBe(before.protocol.referenceMs);
    expect(after.entries[Object.keys(before.entries)[0]]).toEqual(before.entries[Object.keys(before.entries)[0]]);
  });

  it('nas verify\'s saved figures are kept apart per R and β (the state\'s setting id)', () => {
    const p: TimingProtocol = { ...FAST, reference: 'conv', referenceMs: 1 };
    expect(settingId(lutDevice, p)).not.toBe(settingId(lutDevice, { ...p, referenceMs: 1.1 }));
    expect(settingId(lutDevice, p)).not.toBe(settingId(lutDevice, { ...p, referenceSlope: 0.5 }));
    expect(settingId(lutDevice, FAST)).toBe(lutId(lutDevice, FAST));
  });

  it('nas verify scales the nets to the LUT\'s R; on another device it times them as they run', async () => {
    const full = path.join(dir, 'full.lut.json');
    // One round per model leaves nothing to fit β on: the protocol's β 1 (this mock's) stays.
    await profile({ device: new DriftingMock([1, 1.3]), instances: space.allInstances(), protocol: { ...FAST, reference: 'conv', referenceSlope: 1 }, lutPath: full });
    const { file, front } = await mockFront(full, 'front.json', 3, { targetMs: 1e9 });
    const result = await verifyFront({ frontPath: file, device: new DriftingMock([1.35, 1.1]) });
    expect(result.protocol).toMatchObject({ reference: 'conv', referenceMs: readLut(full).protocol.referenceMs, referenceSlope: 1 });
    const steady = new MockDevice({ noise: 0, outlierRate: 0 });
    await steady.init();
    for (const m of result.members) {
      const arch = front.members.find((f) => f.name === m.name)!.architecture;
      expect(m.measured!.median).toBeCloseTo((await steady.time(networkModel(arch, { seed: 0 }), FAST)).stats.median, 7);
    }
    // Another device (other mock options): the LUT's R means nothing there, so no reference.
    const other = await verifyFront({ frontPath: file, device: new MockDevice({ noise: 0, outlierRate: 0, opMs: 0.003 }), statePath: path.join(dir, 'other.verify.json') });
    expect(other.protocol.reference).toBeUndefined();
    expect(other.summary.measured).toBe(3);
  });
});
