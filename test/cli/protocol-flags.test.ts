/** toProtocol's --reference: the device's default under auto, off, a name, and a bad name refused. */
import { describe, expect, it } from 'vitest';
import { toProtocol, type ProtocolArgs } from '../../src/cli/commands/common.js';
import { UserError } from '../../src/core/errors.js';

const base: ProtocolArgs = { device: 'cpu', warmup: 10, minRepeats: 20, maxRepeats: 2000, maxTimeMs: 3000, targetCi: 0.02, rounds: 3, maxSpread: 0.1, extraRounds: 2 };

describe('toProtocol --reference', () => {
  it('auto: the device default (ort-cpu, by alias too: mbv2net64; mock and wasm: none)', () => {
    expect(toProtocol({ ...base, reference: 'auto' }).reference).toBe('mbv2net64');
    expect(toProtocol({ ...base, device: 'ort-cpu' }).reference).toBe('mbv2net64');
    expect(toProtocol({ ...base, device: 'mock', reference: 'auto' }).reference).toBeUndefined();
    expect(toProtocol({ ...base, device: 'wasm', reference: 'auto' }).reference).toBeUndefined();
    // one round too: the reference is not a round setting
    expect(toProtocol({ ...base, rounds: 1, reference: 'auto' }).reference).toBe('mbv2net64');
  });
  it('the estimator: the lower half of the scaled rounds, min without a reference, what --estimator says when given', () => {
    expect(toProtocol(base).estimator).toBe('lower-half');
    expect(toProtocol({ ...base, estimator: 'median' }).estimator).toBe('median');
    expect(toProtocol({ ...base, reference: 'off' }).estimator).toBe('min');
    expect(toProtocol({ ...base, device: 'mock' }).estimator).toBe('min');
    expect(toProtocol({ ...base, estimator: 'min' }).estimator).toBe('min');
  });
  it('--round-gate: auto gives the gate with a reference and rounds, none without; off none; anything else refused', () => {
    expect(toProtocol(base).roundGate).toEqual({ waitPct: 30, referenceRatio: 2.5 });
    expect(toProtocol({ ...base, roundGate: 'auto' }).roundGate).toEqual({ waitPct: 30, referenceRatio: 2.5 });
    expect(toProtocol({ ...base, roundGate: 'off' })).not.toHaveProperty('roundGate');
    expect(toProtocol({ ...base, reference: 'off' })).not.toHaveProperty('roundGate');
    expect(toProtocol({ ...base, rounds: 1 })).not.toHaveProperty('roundGate');
    expect(() => toProtocol({ ...base, roundGate: 'on' })).toThrow(/--round-gate must be auto or off/);
  });
  it('--reference-drift: auto gives the default drift with a reference and rounds, none without; off none; anything else refused', () => {
    expect(toProtocol(base).referenceDrift).toEqual({ readings: 31, slope: 0.4, fromMs: 4, toMs: 6.5, level: 1.15 });
    expect(toProtocol({ ...base, referenceDrift: 'off' })).not.toHaveProperty('referenceDrift');
    expect(toProtocol({ ...base, reference: 'off' })).not.toHaveProperty('referenceDrift');
    expect(toProtocol({ ...base, rounds: 1 })).not.toHaveProperty('referenceDrift');
    expect(() => toProtocol({ ...base, referenceDrift: 'on' })).toThrow(/--reference-drift must be auto or off/);
  });
  it('--net-rounds: auto gives whole nets 6 rounds with a reference and several rounds, none otherwise; a count as given; anything else refused', () => {
    expect(toProtocol(base).netRounds).toBe(6);
    expect(toProtocol({ ...base, netRounds: 'auto' }).netRounds).toBe(6);
    expect(toProtocol({ ...base, netRounds: '8' }).netRounds).toBe(8);
    // equal to the rounds: nothing to record
    expect(toProtocol({ ...base, netRounds: '3' })).not.toHaveProperty('netRounds');
    expect(toProtocol({ ...base, reference: 'off' })).not.toHaveProperty('netRounds');
    expect(toProtocol({ ...base, rounds: 1 })).not.toHaveProperty('netRounds');
    expect(toProtocol({ ...base, rounds: 1, netRounds: '5' }).netRounds).toBe(5);
    expect(() => toProtocol({ ...base, netRounds: 'many' })).toThrow(/--net-rounds must be auto or a positive integer/);
    expect(() => toProtocol({ ...base, netRounds: '0' })).toThrow(UserError);
  });
  it('off, a name, and a bad name', () => {
    expect(toProtocol({ ...base, reference: 'off' })).not.toHaveProperty('reference');
    expect(toProtocol({ ...base, device: 'mock', reference: 'conv' }).reference).toBe('conv');
    expect(() => toProtocol({ ...base, reference: 'resnet50' })).toThrow(UserError);
    expect(() => toProtocol({ ...base, reference: 'resnet50' })).toThrow(/unknown timing reference 'resnet50'/);
  });
});
