/** A LUT's reference scale R (protocol.referenceMs): the fields on disk, the rescale at the end of a run, the flags. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { protocolDifferences } from '../../lut/compare.js';
import type { Lut } from '../../lut/format.js';
import { adoptReferenceScale, rescaleLut } from '../../lut/reference.js';
import { settingsFlags } from '../../lut/settings-flags.js';
import { createLut, LutStore, lutId, parseLut, readLut, serializeLut } from '../../lut/store.js';
import { UserError } from '../../src/core/errors.js';
import { device, entry, KEYS, protocol, stats } from './fixtures.js';
import schema from '../../lut/schema.json' with { type: 'json' };
import { REFERENCE_NAMES } from '../../devices/reference-choice.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'lut-reference-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const referenced = { ...protocol, rounds: 3, estimator: 'min' as const, reference: 'mbv2net64', referenceMs: 1.25 };

function lutWithReference(): Lut {
  const lut = createLut(device, referenced, stats(0.05));
  lut.entries[KEYS.conv] = { ...entry(0.2), rounds: [0.2, 0.22, 0.21], spread: 0.1, noise: { load1: 1, referenceMs: 1.4 } };
  lut.entries[KEYS.dw] = entry(0.03); // net clamps at 0 under the 0.05 overhead
  lut.calibration = { baseMs: 0.1, perOpMs: 0.01, perByteMs: 1e-8, scale: 0.9, fittedOn: 10, rmsErrorPct: 3, source: 'test', createdAt: '2025-01-01T00:00:00.000Z' };
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
  it('R is a record of the LUT, not a setting: not in its id, not a difference; the reference is', () => {
    expect(lutId(device, referenced)).toBe(lutId(device, { ...referenced, referenceMs: 2 }));
    expect(protocolDifferences(referenced, { ...referenced, referenceMs: 2 })).toEqual([]);
    const { reference: _r, referenceMs: _s, ...off } = referenced;
    expect(protocolDifferences(referenced, off)).toEqual([expect.stringMatching(/^reference: A "mbv2net64", B \(unset\)/)]);
    expect(lutId(device, referenced)).not.toBe(lutId(device, off));
  });
  it('the settings flags say --reference where the LUT differs from the device default', () => {
    expect(settingsFlags(device, referenced)).toMatch(/--reference mbv2net64$/);
    expect(settingsFlags(device, protocol)).not.toMatch(/--reference/); // the mock has no default reference
    expect(settingsFlags({ ...device, device: 'ort-cpu', options: { threads: 1 } }, protocol)).toMatch(/--reference off$/);
    expect(settingsFlags({ ...device, device: 'ort-cpu', options: { threads: 1 } }, referenced)).not.toMatch(/--reference/);
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
    expect(x.calibration).toMatchObject({ baseMs: expect.closeTo(0.08, 12), perOpMs: expect.closeTo(0.008, 12), perByteMs: expect.closeTo(8e-9, 18), scale: 0.9 });
    expect(lut.entries[KEYS.conv].stats.median).toBe(0.2); // a copy
  });
});

describe('the LutStore and the end of a run', () => {
  it('a new LUT is created with the run\'s R; adopting the rounds\' R rescales it on disk and says so', () => {
    const file = path.join(dir, 'x.lut.json');
    const { referenceMs: _, ...setting } = referenced;
    const store = LutStore.open(file, device, setting);
    store.useReferenceScale(1.5);
    store.setOverhead(stats(0.06));
    store.put(KEYS.conv, entry(0.3, 0.01, 0.06));
    expect(readLut(file).protocol.referenceMs).toBe(1.5);
    // 11 round references: the 10% quantile is the second lowest
    const adopted = adoptReferenceScale(store, [1.2, 1.3, 1.9, 1.25, 1.5, 1.6, 1.7, 1.8, 1.4, 1.35, 1.45]);
    expect(adopted).toMatchObject({ provisionalMs: 1.5, finalMs: 1.25, factor: expect.closeTo(1.25 / 1.5, 12), rounds: 11 });
    expect(adopted!.warning).toMatch(/rescaled by 0\.833/);
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
