/** A LUT's reference scale R and slope β (protocol.referenceMs, referenceSlope): the fields on disk, the rescale at the end of a run, the flags. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { protocolDifferences } from '../../lut/compare.js';
import type { Lut } from '../../lut/format.js';
import { adoptReferenceScale, inLutUnit, rescaleLut, rescoreResult } from '../../lut/reference.js';
import type { RoundedResult } from '../../devices/rounds.js';
import { settingsFlags } from '../../lut/settings-flags.js';
import { createLut, LutStore, lutId, parseLut, readLut, serializeLut } from '../../lut/store.js';
import { UserError } from '../../src/core/errors.js';
import { device, entry, KEYS, protocol, stats } from './fixtures.js';
import schema from '../../lut/schema.json' with { type: 'json' };
import { DEFAULT_REFERENCE_DRIFT, DEFAULT_ROUND_GATE, defaultReferenceDrift, defaultRoundGate, REFERENCE_NAMES } from '../../devices/reference-choice.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'lut-reference-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const referenced = { ...protocol, rounds: 3, estimator: 'min' as const, reference: 'mbv2net64', referenceMs: 1.25 };

function lutWithReference(): Lut {
  const lut = createLut(device, referenced, stats(0.05));
  lut.entries[KEYS.conv] = { ...entry(0.2), rounds: [0.2, 0.22, 0.21], spread: 0.1, noise: { load1: 1, referenceMs: 1.4 } };
  lut.entries[KEYS.dw] = entry(0.03); // net clamps at 0 under the 0.05 overhead
  lut.calibration = { baseMs: 0.1, perOpMs: 0.01, perByteMs: 1e-8, perWeightByteMs: 2e-8, scale: 0.9, fittedOn: 10, rmsErrorPct: 3, source: 'test', createdAt: '2025-01-01T00:00:00.000Z' };
  return lut;
}

describe('the LUT fields', () => {
  it('round-trip through the file: protocol.reference, protocol.referenceMs, noise.referenceMs', () => {
    const lut = parseLut(serializeLut(lutWithReference()), 'test');
    expect(lut.protocol).toMatchObject({ reference: 'mbv2net64', referenceMs: 1.25 });
    expect(lut.entries[KEYS.conv].noise?.referenceMs).toBe(1.4);
  });
  it('a reference without its scale, or an unknown reference, is refused; a LUT from before either reads', () => {
    const { referenceMs: _, ...noScale } = referenced;
    expect(() => parseLut(serializeLut({ ...lutWithReference(), protocol: noScale }), 'test')).toThrow(/records no reference scale/);
    expect(() => parseLut(serializeLut({ ...lutWithReference(), protocol: { ...referenced, reference: 'resnet' } }), 'test')).toThrow(UserError);
    const old = createLut(device, protocol, stats(0.05));
    old.entries[KEYS.conv] = entry(0.2);
    expect(parseLut(serializeLut(old), 'test').protocol.reference).toBeUndefined();
  });
  it('the schema lists the references there are', () => {
    expect(schema.definitions.protocol.properties.reference.enum).toEqual([...REFERENCE_NAMES]);
  });
  it('the schema takes β and the provisional mark, and refuses a negative β', () => {
    const lut = { ...lutWithReference(), protocol: { ...referenced, referenceSlope: 0.43 }, referenceProvisional: true as const };
    expect(parseLut(serializeLut(lut), 'test')).toMatchObject({ protocol: { referenceSlope: 0.43 }, referenceProvisional: true });
    expect(() => parseLut(serializeLut({ ...lut, protocol: { ...referenced, referenceSlope: -1 } }), 'test')).toThrow(UserError);
  });
  it('R and β are records of the LUT, not settings: not in its id, not a difference; the reference is', () => {
    expect(lutId(device, referenced)).toBe(lutId(device, { ...referenced, referenceMs: 2 }));
    expect(lutId(device, referenced)).toBe(lutId(device, { ...referenced, referenceSlope: 0.5 }));
    expect(protocolDifferences(referenced, { ...referenced, referenceMs: 2, referenceSlope: 0.5 })).toEqual([]);
    const { reference: _r, referenceMs: _s, ...off } = referenced;
    expect(protocolDifferences(referenced, off)).toEqual([expect.stringMatching(/^reference: A "mbv2net64", B \(unset\)/)]);
    expect(lutId(device, referenced)).not.toBe(lutId(device, off));
  });
  it('the settings flags say --reference where the LUT differs from the device default', () => {
    expect(settingsFlags(device, referenced)).toMatch(/--reference mbv2net64 --estimator min --round-gate off --reference-drift off$/);
    expect(settingsFlags(device, protocol)).not.toMatch(/--reference/); // the mock has no default reference
    expect(settingsFlags({ ...device, device: 'ort-cpu', options: { threads: 1 } }, protocol)).toMatch(/--reference off$/);
    expect(settingsFlags({ ...device, device: 'ort-cpu', options: { threads: 1 } }, referenced)).not.toMatch(/--reference /);
  });
  it('the settings flags say --estimator where the LUT\'s is not the default for its reference (a LUT measured with the median before lower-half)', () => {
    const ortCpu = { ...device, device: 'ort-cpu', options: { threads: 1 } };
    expect(settingsFlags(ortCpu, { ...referenced, estimator: 'median' })).toMatch(/--estimator median --round-gate off --reference-drift off$/);
    expect(settingsFlags(ortCpu, { ...referenced, estimator: 'lower-half' })).not.toMatch(/--estimator/);
    expect(settingsFlags(ortCpu, { ...protocol, rounds: 3, estimator: 'min' })).not.toMatch(/--estimator/);
    expect(settingsFlags(ortCpu, { ...protocol, rounds: 3, estimator: 'median' })).toMatch(/--estimator median/);
  });
});

describe('the round gate in the LUT protocol (protocol.roundGate)', () => {
  const gated = { ...referenced, roundGate: { ...DEFAULT_ROUND_GATE } };
  it('is a setting: part of the id and a difference, like the estimator', () => {
    expect(lutId(device, gated)).not.toBe(lutId(device, referenced));
    expect(protocolDifferences(referenced, gated)).toEqual([expect.stringMatching(/^roundGate: A \(unset\), B \{"waitPct":30,"referenceRatio":2.5\}/)]);
    // Compared by value: the LUT's gate read back from its file is the same setting as a fresh one.
    expect(protocolDifferences(gated, { ...referenced, roundGate: { referenceRatio: 2.5, waitPct: 30 } })).toEqual([]);
    expect(protocolDifferences(gated, { ...referenced, roundGate: { waitPct: 20, referenceRatio: 2.5 } })).toHaveLength(1);
  });
  it('an old LUT without it still reads; the schema takes it and the set-aside rounds of an entry, with why', () => {
    const lut = { ...lutWithReference(), protocol: gated };
    lut.entries[KEYS.conv] = { ...lut.entries[KEYS.conv], roundsSetAside: [{ ms: 0.15, why: 'reference' as const }] };
    expect(parseLut(serializeLut(lut), 'test')).toMatchObject({ protocol: { roundGate: { waitPct: 30, referenceRatio: 2.5 } }, entries: { [KEYS.conv]: { roundsSetAside: [{ ms: 0.15, why: 'reference' }] } } });
    expect(parseLut(serializeLut(lutWithReference()), 'test').protocol.roundGate).toBeUndefined();
    expect(() => parseLut(serializeLut({ ...lut, protocol: { ...gated, roundGate: { referenceRatio: 0.5 } } }), 'test')).toThrow(UserError);
  });
  it('the settings flags say --round-gate off for a LUT measured without it where auto would give one', () => {
    const ortCpu = { ...device, device: 'ort-cpu', options: { threads: 1 } };
    const lowerHalf = { ...referenced, estimator: 'lower-half' as const };
    expect(settingsFlags(ortCpu, lowerHalf)).toMatch(/--round-gate off --reference-drift off$/);
    expect(settingsFlags(ortCpu, { ...lowerHalf, roundGate: defaultRoundGate(lowerHalf.reference, 3) })).not.toMatch(/--round-gate/);
    expect(settingsFlags(ortCpu, { ...protocol, rounds: 3, estimator: 'min' })).not.toMatch(/--round-gate/); // no reference: no gate by default
  });
  it('a rescale multiplies the set-aside rounds with the others', () => {
    const lut = lutWithReference();
    lut.entries[KEYS.conv] = { ...lut.entries[KEYS.conv], roundsSetAside: [{ ms: 0.15, why: 'wait' }] };
    expect(rescaleLut(lut, 1.0, 0.8).entries[KEYS.conv].roundsSetAside).toEqual([{ ms: expect.closeTo(0.12, 12), why: 'wait' }]);
  });
});

describe('the slow drift in the LUT protocol (protocol.referenceDrift)', () => {
  const drifted = { ...referenced, estimator: 'lower-half' as const, roundGate: { ...DEFAULT_ROUND_GATE }, referenceDrift: { ...DEFAULT_REFERENCE_DRIFT } };
  const { referenceDrift: _, ...before } = drifted;
  const ortCpu = { ...device, device: 'ort-cpu', options: { threads: 1 } };
  it('is a setting: part of the id and a difference; a LUT from before it resumes only with --reference-drift off, as its hint says', () => {
    expect(lutId(device, drifted)).not.toBe(lutId(device, before));
    expect(protocolDifferences(before, drifted)).toEqual([expect.stringMatching(/^referenceDrift: A \(unset\), B \{"readings":31,"slope":0.4,"fromMs":4,"toMs":6.5,"level":1.15\}/)]);
    expect(settingsFlags(ortCpu, before)).toMatch(/--reference-drift off$/);
    expect(settingsFlags(ortCpu, drifted)).not.toMatch(/--reference-drift|--round-gate|--estimator/);
    expect(defaultReferenceDrift(undefined, 3)).toBeUndefined();
  });
  it('round-trips through the file with each entry\'s drift reading; a LUT without it reads as before; a bad one is refused', () => {
    const lut = { ...lutWithReference(), protocol: drifted };
    lut.entries[KEYS.conv] = { ...lut.entries[KEYS.conv], noise: { load1: 1, referenceMs: 1.4, referenceDriftMs: 1.3 } };
    expect(parseLut(serializeLut(lut), 'test')).toMatchObject({ protocol: { referenceDrift: DEFAULT_REFERENCE_DRIFT }, entries: { [KEYS.conv]: { noise: { referenceDriftMs: 1.3 } } } });
    expect(parseLut(serializeLut(lutWithReference()), 'test').protocol.referenceDrift).toBeUndefined();
    expect(() => parseLut(serializeLut({ ...lut, protocol: { ...drifted, referenceDrift: { readings: 0, slope: 0.4, fromMs: 4, toMs: 6.5, level: 1.15 } } }), 'test')).toThrow(UserError);
  });
  it('inLutUnit carries the LUT\'s drift rule with its R and β', () => {
    expect(inLutUnit({ ...protocol, rounds: 3 }, drifted)).toMatchObject({ reference: 'mbv2net64', referenceDrift: DEFAULT_REFERENCE_DRIFT });
    expect(inLutUnit({ ...protocol, rounds: 3, referenceDrift: { ...DEFAULT_REFERENCE_DRIFT } }, before)).not.toHaveProperty('referenceDrift');
  });
});

describe('rescaleLut (every latency to a new R)', () => {
  it('multiplies entries, their rounds and nets, the overhead and the calibration\'s ms terms; keeps ratios', () => {
    const lut = lutWithReference();
    const x = rescaleLut(lut, 1.0, 0.8);
    expect(x.protocol.referenceMs).toBe(1.0);
    expect(x.overhead.median).toBeCloseTo(0.8 * lut.overhead.median, 12);
    const e = x.entries[KEYS.conv];
    expect(e.stats.median).toBeCloseTo(0.16, 12);
    expect(e.stats.ci95[1]).toBeCloseTo(0.8 * lut.entries[KEYS.conv].stats.ci95[1], 12);
    expect(e.rounds).toEqual([0.2, 0.22, 0.21].map((r) => r * 0.8));
    expect(e.net).toBeCloseTo(0.8 * lut.entries[KEYS.conv].net, 12);
    expect(e.spread).toBe(0.1);
    expect(x.entries[KEYS.dw].net).toBe(0);
    expect(x.calibration).toMatchObject({ baseMs: expect.closeTo(0.08, 12), perOpMs: expect.closeTo(0.008, 12), perByteMs: expect.closeTo(8e-9, 18), perWeightByteMs: expect.closeTo(1.6e-8, 18), scale: 0.9 });
    expect(lut.entries[KEYS.conv].stats.median).toBe(0.2); // a copy
  });
});

/** A result of three rounds as timed 1.0, 1.2, 1.1 ms beside references 1, 1.44, 1.21 ms, scaled to R 1 with β 1. */
function threeRounds(): RoundedResult {
  const asTimed = [1.0, 1.2, 1.1];
  const refs = [1, 1.44, 1.21];
  const details = asTimed.map((ms, i) => ({ median: ms / refs[i], p10: ms / refs[i], min: ms / refs[i], n: 10, scale: 1 / refs[i], noise: { load1: 0, referenceMs: refs[i] } }));
  const medians = details.map((d) => d.median);
  const m = [...medians].sort((a, b) => a - b)[1];
  return { stats: { ...stats(m), median: m }, coldMs: 2, setupMs: 1, rounds: medians, spread: 0.2, details };
}

describe('rescoreResult (rounds scored again with another R and β)', () => {
  it('each round as timed times (R / its reference)^β, the estimator over them, the spread of them', () => {
    const r = threeRounds();
    // β 0.5 and R 1: the references 1, 1.44, 1.21 scale by 1, 1/1.2, 1/1.1 → every round 1.0 ms.
    const x = rescoreResult(r, 1, 0.5, { ...referenced, estimator: 'median' });
    expect(x.details.map((d) => d.median)).toEqual([1, 1, 1].map((v) => expect.closeTo(v, 12)));
    expect(x.details.map((d) => d.scale)).toEqual([1, 1 / 1.2, 1 / 1.1].map((v) => expect.closeTo(v, 12)));
    expect(x.stats.median).toBeCloseTo(1, 12);
    expect(x.spread).toBeCloseTo(0, 12);
    expect(x.rounds).toHaveLength(3);
    // β 0: the rounds as timed; min picks the lowest.
    expect(rescoreResult(r, 1, 0, { ...referenced, estimator: 'min' }).stats.median).toBeCloseTo(1.0, 12);
    expect(r.details[1].median).toBeCloseTo(1.2 / 1.44, 12); // a copy
  });
});

describe('the LutStore and the end of a run', () => {
  it('a LUT whose R is provisional says so on disk until R is adopted; β and the rescored entries go in with it', () => {
    const file = path.join(dir, 'p.lut.json');
    const { referenceMs: _, ...setting } = referenced;
    const store = LutStore.open(file, device, setting);
    store.useReferenceScale(1.5, true, 0.5);
    store.setOverhead(stats(0.06));
    store.put(KEYS.conv, entry(0.3, 0.01, 0.06));
    store.put(KEYS.dw, entry(0.1, 0.01, 0.06));
    store.close();
    expect(readLut(file)).toMatchObject({ referenceProvisional: true, protocol: { referenceMs: 1.5, referenceSlope: 0.5 } });
    const again = LutStore.open(file, device, setting);
    expect(again.referenceProvisional).toBe(true);
    const refs = Array.from({ length: 11 }, (_, i) => 1 + i / 10); // R: the second lowest, 1.1
    const done = adoptReferenceScale(again, refs, new Map([[KEYS.conv, threeRounds()]]), { ...referenced, estimator: 'median' });
    // One model is too few to fit β: the provisional one stays; the entry not in `results` is multiplied by (1.1 / 1.5)^0.5.
    expect(done!.adopted).toMatchObject({ provisionalMs: 1.5, finalMs: 1.1, provisionalSlope: 0.5, slope: 0.5, factor: expect.closeTo((1.1 / 1.5) ** 0.5, 12) });
    expect(done!.adopted.slopeFit).toBeUndefined();
    again.close();
    const lut = readLut(file);
    expect(lut.referenceProvisional).toBeUndefined();
    expect(lut.protocol).toMatchObject({ referenceMs: 1.1, referenceSlope: 0.5 });
    expect(lut.entries[KEYS.dw].stats.median).toBeCloseTo(0.1 * (1.1 / 1.5) ** 0.5, 12);
    expect(lut.entries[KEYS.conv].stats.median).toBeCloseTo(done!.rescored.get(KEYS.conv)!.stats.median, 12);
    expect(done!.rescored.get(KEYS.conv)!.details[0].median).toBeCloseTo(1.0 * (1.1 / 1) ** 0.5, 12);
  });

  it('a new LUT is created with the run\'s R; adopting the rounds\' R rescales it on disk and says so', () => {
    const file = path.join(dir, 'x.lut.json');
    const { referenceMs: _, ...setting } = referenced;
    const store = LutStore.open(file, device, setting);
    store.useReferenceScale(1.5);
    store.setOverhead(stats(0.06));
    store.put(KEYS.conv, entry(0.3, 0.01, 0.06));
    expect(readLut(file).protocol.referenceMs).toBe(1.5);
    // 11 round references: the 10% quantile is the second lowest
    const adopted = adoptReferenceScale(store, [1.2, 1.3, 1.9, 1.25, 1.5, 1.6, 1.7, 1.8, 1.4, 1.35, 1.45])?.adopted;
    // A LUT without β (the protocol of before) is scaled by the full ratio.
    expect(adopted).toMatchObject({ provisionalMs: 1.5, finalMs: 1.25, factor: expect.closeTo(1.25 / 1.5, 12), rounds: 11, slope: 1 });
    expect(adopted!.warning).toMatch(/R: 1\.2500 ms from the run's 11 round references, against 1\.5000 ms/);
    store.close();
    const lut = readLut(file);
    expect(lut.protocol.referenceMs).toBe(1.25);
    expect(lut.entries[KEYS.conv].stats.median).toBeCloseTo((0.3 * 1.25) / 1.5, 12);
    expect(lut.overhead.median).toBeCloseTo((0.06 * 1.25) / 1.5, 12);
    // A LUT that has its R keeps it.
    const again = LutStore.open(file, device, setting);
    again.useReferenceScale(9);
    expect(again.referenceMs).toBe(1.25);
  });
  it('nothing to adopt without round references', () => {
    const store = LutStore.open(path.join(dir, 'y.lut.json'), device, referenced);
    store.setOverhead(stats(0.06));
    expect(adoptReferenceScale(store, [])).toBeUndefined();
    expect(store.referenceMs).toBe(1.25);
  });
});

describe('inLutUnit (models timed after a LUT\'s run, in its unit)', () => {
  const asked = { ...protocol, rounds: 3, estimator: 'median' as const };
  it('takes the LUT\'s reference, R and β over whatever the protocol said of them; keeps the rest of the protocol', () => {
    const p = inLutUnit({ ...asked, reference: 'conv', referenceMs: 9, referenceSlope: 1 }, { ...referenced, referenceSlope: 0.3 });
    expect(p).toEqual({ ...asked, reference: 'mbv2net64', referenceMs: 1.25, referenceSlope: 0.3 });
  });
  it('a LUT without β (from before it) gives none (β 1), not the protocol\'s', () => {
    const p = inLutUnit({ ...asked, reference: 'mbv2net64', referenceSlope: 0.3 }, referenced);
    expect(p).toEqual({ ...asked, reference: 'mbv2net64', referenceMs: 1.25 });
    expect(p.referenceSlope).toBeUndefined();
  });
  it('a LUT without a reference gives a protocol without one', () => {
    expect(inLutUnit({ ...asked, reference: 'mbv2net64' }, protocol)).toEqual(asked);
  });
});
