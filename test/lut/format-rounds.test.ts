/** The protocol and per-entry round fields are additive: LUTs written before them stay readable. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLut, readLut, serializeLut } from '../../lut/store.js';
import { showLut } from '../../lut/show.js';
import { validateLut } from '../../lut/validate.js';
import { device, entry, KEYS, protocol, stats } from './fixtures.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'lut-rounds-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('LUT round fields', () => {
  it('a LUT written before rounds existed (no protocol.rounds, no entry rounds) still reads', () => {
    const old = { ...createLut(device, protocol, stats(0.05)), entries: { [KEYS.conv]: entry(0.4) } };
    const file = path.join(dir, 'old.lut.json');
    writeFileSync(file, serializeLut(old));
    const lut = readLut(file);
    expect(lut.protocol.rounds).toBeUndefined();
    expect(lut.entries[KEYS.conv].rounds).toBeUndefined();
  });
  it('the round protocol and per-entry rounds, spread and noise validate; bad values are refused', () => {
    const p = { ...protocol, rounds: 3, estimator: 'median' as const, maxSpread: 0.05, extraRounds: 2, freshProcess: true };
    const lut = { ...createLut(device, p, stats(0.05)), entries: { [KEYS.conv]: { ...entry(0.4), rounds: [0.4, 0.41, 0.39], spread: 0.05, noise: { load1: 1.2, stealPct: 0.3, mhz: 2400 } } } };
    expect(validateLut(JSON.parse(serializeLut(lut)), 'x').protocol).toEqual(p);
    expect(() => validateLut({ ...lut, protocol: { ...p, estimator: 'mean' } }, 'x')).toThrow(/protocol\/estimator/);
    expect(() => validateLut({ ...lut, protocol: { ...p, rounds: 0 } }, 'x')).toThrow(/protocol\/rounds/);
    expect(() => validateLut({ ...lut, entries: { [KEYS.conv]: { ...entry(0.4), noise: { stealPct: 1 } } } }, 'x')).toThrow(/noise must have required property 'load1'/);
  });
  it('lut show summarises the rounds: spread of the round medians and the busiest machine state', () => {
    const lut = {
      ...createLut(device, { ...protocol, rounds: 3 }, stats(0.05)),
      entries: {
        [KEYS.conv]: { ...entry(0.4), rounds: [0.4, 0.41, 0.39], spread: 0.05, noise: { load1: 1.2, stealPct: 0.3 } },
        [KEYS.dw]: { ...entry(0.2), rounds: [0.2, 0.26, 0.2], spread: 0.3, noise: { load1: 3.5 } },
        [KEYS.pool]: entry(0.1),
      },
    };
    expect(showLut(lut).rounds).toEqual({ entries: 2, medianSpread: 0.175, maxSpread: 0.3, maxLoad: 3.5, maxStealPct: 0.3 });
    expect(showLut({ ...lut, entries: { [KEYS.pool]: entry(0.1) } }).rounds).toBeUndefined();
  });
  it('lut show counts the rounds the round gate set aside, by why', () => {
    const lut = {
      ...createLut(device, { ...protocol, rounds: 3, roundGate: { waitPct: 30, referenceRatio: 2.5 } }, stats(0.05)),
      entries: {
        [KEYS.conv]: { ...entry(0.4), rounds: [0.4, 0.41, 0.39], spread: 0.05, roundsSetAside: [{ ms: 0.9, why: 'wait' as const }, { ms: 0.2, why: 'reference' as const }] },
        [KEYS.dw]: { ...entry(0.2), rounds: [0.2, 0.21, 0.2], spread: 0.05, roundsSetAside: [{ ms: 0.5, why: 'wait' as const }] },
        [KEYS.pool]: { ...entry(0.1), rounds: [0.1, 0.1, 0.1], spread: 0 },
      },
    };
    expect(showLut(lut).rounds?.setAside).toEqual({ entries: 2, rounds: 3, why: { wait: 2, reference: 1 } });
  });
});

describe('LUT pinning and CPU-speed fields', () => {
  it('protocol.cpu and the entries’ probe speed and CPU validate, and bad values are refused; LUTs without them keep their id', () => {
    const p = { ...protocol, rounds: 3, estimator: 'min' as const, cpu: 'auto' };
    const lut = { ...createLut(device, p, stats(0.05)), entries: { [KEYS.conv]: { ...entry(0.4), noise: { load1: 0.5, probeMs: 0.171, cpu: 1 } } } };
    expect(validateLut(JSON.parse(serializeLut(lut)), 'x').entries[KEYS.conv].noise).toEqual({ load1: 0.5, probeMs: 0.171, cpu: 1 });
    expect(validateLut({ ...lut, protocol: { ...p, cpu: '0,2-3' } }, 'x').protocol.cpu).toBe('0,2-3');
    expect(() => validateLut({ ...lut, protocol: { ...p, cpu: 'fastest' } }, 'x')).toThrow(/protocol\/cpu/);
    expect(() => validateLut({ ...lut, entries: { [KEYS.conv]: { ...entry(0.4), noise: { load1: 0.5, cpu: -1 } } } }, 'x')).toThrow(/noise\/cpu/);
    expect(createLut(device, protocol, stats(0.05)).id).not.toBe(createLut(device, { ...protocol, cpu: '0' }, stats(0.05)).id);
    expect(createLut(device, { ...protocol, cpu: undefined }, stats(0.05)).id).toBe(createLut(device, protocol, stats(0.05)).id);
  });
});

describe('LUT protocol.placement (where a pinned run put its processes)', () => {
  it('validates, is left out of the id and of the settings a resumed run must match, and is refused when malformed', async () => {
    const { protocolDifferences } = await import('../../lut/compare.js');
    const p = { ...protocol, freshProcess: true, cpu: 'auto' };
    const placed = { ...p, placement: { measuring: [1], parent: [0] } };
    const lut = createLut(device, placed, stats(0.05));
    expect(validateLut(JSON.parse(serializeLut(lut)), 'x').protocol.placement).toEqual({ measuring: [1], parent: [0] });
    expect(validateLut({ ...lut, protocol: { ...p, placement: { measuring: [0], parent: [0], shared: 'one CPU only' } } }, 'x').protocol.placement?.shared).toBe('one CPU only');
    expect(() => validateLut({ ...lut, protocol: { ...p, placement: { parent: [0] } } }, 'x')).toThrow(/placement must have required property 'measuring'/);
    expect(lut.id).toBe(createLut(device, p, stats(0.05)).id);
    expect(protocolDifferences(placed, p)).toEqual([]);
    expect(protocolDifferences(placed, { ...p, cpu: '1' })).toEqual(['cpu: A "auto", B "1"']);
  });
});
