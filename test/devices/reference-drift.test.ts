/**
 * protocol.referenceDrift (devices/reference.ts): a round scaled by the machine's slow drift (the median of the process's
 * last reference readings) with βs and by its own deviation from it with β; βs ramps from `slope` (small rounds) to β
 * (large ones). The arithmetic, the window, timeRound on a mock machine in a slow spell, and the end-of-run rescore.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DriftingMock } from './drifting-mock.js';
import { DEFAULT_REFERENCE_DRIFT } from '../../devices/reference-choice.js';
import { driftFactor, driftSlope, noteReferenceReading, referenceFactor, referenceModel, resetReferenceReadings } from '../../devices/reference.js';
import { combineRounds, timeRound } from '../../devices/rounds.js';
import type { ReferenceDrift, TimingProtocol } from '../../devices/types.js';
import { opModel } from '../../export/model.js';
import { rescoreResult } from '../../lut/reference.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readLut } from '../../lut/store.js';
import { profile } from '../../src/profile/profiler.js';
import { createSpace } from '../../src/spaces/registry.js';

const FAST: TimingProtocol = { warmup: 2, minRepeats: 5, maxRepeats: 50, maxTimeMs: 150, targetCI: 0.02 };
const DRIFT: ReferenceDrift = { readings: 5, slope: 0.4, fromMs: 4, toMs: 6.5, level: 1 };
afterEach(() => resetReferenceReadings());

describe('the arithmetic', () => {
  it('βs: the drift slope up to fromMs, the LUT\'s β from toMs on, log-linear between', () => {
    expect(driftSlope(DRIFT, 1, 0.3)).toBe(0.4);
    expect(driftSlope(DRIFT, 4, 0.3)).toBe(0.4);
    expect(driftSlope(DRIFT, Math.sqrt(4 * 6.5), 0.3)).toBeCloseTo(0.35, 12);
    expect(driftSlope(DRIFT, 6.5, 0.3)).toBe(0.3);
    expect(driftSlope(DRIFT, 40, 0.3)).toBe(0.3);
  });
  it('the factor: (R / reading)^β × (level·R / drift)^(βs − β); a large round, or a drift at its level, is scaled as by its own reading alone; no drift, the round\'s own', () => {
    const [R, ref, drift] = [1, 1.3, 1.2];
    expect(driftFactor(R, ref, drift, 0.3, DRIFT, 2)).toBeCloseTo((R / drift) ** 0.4 * (drift / ref) ** 0.3, 12);
    expect(driftFactor(R, ref, drift, 0.3, { ...DRIFT, level: 1.15 }, 2)).toBeCloseTo((R / ref) ** 0.3 * ((1.15 * R) / drift) ** 0.1, 12);
    expect(driftFactor(R, ref, 1.15 * R, 0.3, { ...DRIFT, level: 1.15 }, 2)).toBeCloseTo(referenceFactor(R, ref, 0.3), 12);
    expect(driftFactor(R, ref, drift, 0.3, DRIFT, 10)).toBeCloseTo(referenceFactor(R, ref, 0.3), 12);
    expect(driftFactor(R, ref, undefined, 0.3, DRIFT, 2)).toBe(referenceFactor(R, ref, 0.3));
    expect(driftFactor(R, ref, drift, 0.3, undefined, 2)).toBe(referenceFactor(R, ref, 0.3));
  });
  it('the window: the median of a reference\'s last readings in this process, each reference its own', () => {
    expect(noteReferenceReading('conv', 1, 3)).toBe(1);
    expect(noteReferenceReading('conv', 3, 3)).toBe(2);
    expect(noteReferenceReading('conv', 2, 3)).toBe(2);
    expect(noteReferenceReading('conv', 10, 3)).toBe(3); // 3, 2, 10: the first reading has left the window
    expect(noteReferenceReading('mbconv56', 7, 3)).toBe(7);
    resetReferenceReadings();
    expect(noteReferenceReading('conv', 5, 3)).toBe(5);
  });
  it('the default: 31 readings, βs 0.4 up to 4 ms, the LUT\'s β from 6.5 ms, from a level of 1.15 R', () => {
    expect(DEFAULT_REFERENCE_DRIFT).toEqual({ readings: 31, slope: 0.4, fromMs: 4, toMs: 6.5, level: 1.15 });
  });
});

describe('timeRound with protocol.referenceDrift on a machine in a slow spell', () => {
  const model = opModel(referenceModel('conv').ops[0]);
  // Every timing 1.25× slow; the item slows 1.25^0.4 while its reference slows 1.25 (the machine's slow β is 0.4).
  const spell = () => new DriftingMock([1.25], 0.4);
  /** The drift rule with this model small (its rounds well under fromMs). */
  const small = (itemMs: number): ReferenceDrift => ({ ...DRIFT, fromMs: 2 * itemMs, toMs: 3 * itemMs });
  const steady = async () => {
    const d = new DriftingMock([1]);
    await d.init();
    return { item: (await d.time(model, FAST)).stats.median, ref: (await d.time(referenceModel('conv'), FAST)).stats.median };
  };

  it('a small model follows the drift with βs: the steady figure comes back, where β 0.3 alone leaves it 1.25^0.1 slow', async () => {
    const { item, ref } = await steady();
    const d = spell();
    await d.init();
    const p: TimingProtocol = { ...FAST, reference: 'conv', referenceMs: ref, referenceSlope: 0.3 };
    // The mock's figures are not a real runtime's: the drift rule's sizes are put relative to this model (small: βs 0.4).
    const drifted = await timeRound(d, model, { ...p, referenceDrift: small(item) });
    expect(drifted.noise?.referenceDriftMs).toBeCloseTo(ref * 1.25, 9);
    expect(drifted.stats.median).toBeCloseTo(item, 9);
    const alone = await timeRound(d, model, p);
    expect(alone.noise?.referenceDriftMs).toBeUndefined();
    expect(alone.stats.median / item).toBeCloseTo(1.25 ** 0.1, 9);
  });

  it('a reading off the drift is followed with β only: one reference reading 1.5× the window\'s moves the round by 1.5^-0.3', async () => {
    const { item, ref } = await steady();
    const d = new DriftingMock([1], 1, { referenceSpikes: [1, 1, 1, 1, 1.5] });
    await d.init();
    const p: TimingProtocol = { ...FAST, reference: 'conv', referenceMs: ref, referenceSlope: 0.3, referenceDrift: small(item) };
    const rounds = [];
    for (let i = 0; i < 5; i++) rounds.push(await timeRound(d, model, p));
    expect(rounds[3].stats.median).toBeCloseTo(item, 9);
    expect(rounds[4].noise?.referenceDriftMs).toBeCloseTo(ref, 9); // the median of 1, 1, 1, 1, 1.5
    expect(rounds[4].stats.median / item).toBeCloseTo(1.5 ** -0.3, 9);
  });

  it('a large model (past toMs) is scaled as by its own reading alone', async () => {
    const { item, ref } = await steady();
    const d = spell();
    await d.init();
    const p: TimingProtocol = { ...FAST, reference: 'conv', referenceMs: ref, referenceSlope: 0.3 };
    const large = await timeRound(d, model, { ...p, referenceDrift: { ...DRIFT, fromMs: item / 4, toMs: item / 2 } });
    expect(large.noise?.referenceDriftMs).toBeCloseTo(ref * 1.25, 9);
    expect(large.stats.median / item).toBeCloseTo(1.25 ** 0.1, 9);
  });

  it('the end of a run scores the rounds again alike: the same R and β give the same figures, another R moves them by (R\'/R)^βs', async () => {
    const { item, ref } = await steady();
    const d = spell();
    await d.init();
    const p: TimingProtocol = { ...FAST, rounds: 3, estimator: 'lower-half', reference: 'conv', referenceMs: ref, referenceSlope: 0.3, referenceDrift: small(item) };
    const taken = [];
    for (let i = 0; i < 3; i++) taken.push(await timeRound(d, model, p));
    const r = combineRounds(taken, p);
    expect(rescoreResult(r, ref, 0.3, p).stats.median).toBeCloseTo(r.stats.median, 12);
    expect(rescoreResult(r, ref * 0.9, 0.3, p).stats.median / r.stats.median).toBeCloseTo(0.9 ** 0.4, 12);
    // Rescored without the drift rule, the rounds are scaled by their own reading alone (β 0.3): 1.25^0.1 slow.
    const { referenceDrift: _, ...alone } = p;
    expect(rescoreResult(r, ref, 0.3, alone).stats.median / r.stats.median).toBeCloseTo(1.25 ** 0.1, 9);
  });
});

describe('a LUT profiled with the slow-drift rule', () => {
  it('records the rule and each entry\'s drift reading; a LUT from before it is not resumed by a run with it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-drift-'));
    try {
      const instances = createSpace('nb201').allInstances().slice(0, 6);
      const rounds: TimingProtocol = { ...FAST, rounds: 3, estimator: 'lower-half', maxSpread: 0.1, extraRounds: 2, reference: 'conv' };
      const lutPath = path.join(dir, 'drift.lut.json');
      await profile({ device: new DriftingMock([1, 1.2, 1.1]), instances, protocol: { ...rounds, referenceDrift: DEFAULT_REFERENCE_DRIFT }, lutPath });
      const lut = readLut(lutPath);
      expect(lut.protocol.referenceDrift).toEqual(DEFAULT_REFERENCE_DRIFT);
      for (const e of Object.values(lut.entries)) expect(e.noise?.referenceDriftMs).toBeGreaterThan(0);
      const before = path.join(dir, 'before.lut.json');
      await profile({ device: new DriftingMock([1]), instances, protocol: rounds, lutPath: before });
      // Refused with a hint that names the flag that resumes it as measured.
      await expect(profile({ device: new DriftingMock([1]), instances, protocol: { ...rounds, referenceDrift: DEFAULT_REFERENCE_DRIFT }, lutPath: before })).rejects.toMatchObject({
        message: expect.stringMatching(/referenceDrift/),
        hint: expect.stringMatching(/--reference-drift off/),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
