/** verifyProtocol's rounds per member (protocol.netRounds) and the verify state's setting id with them. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_NET_ROUNDS } from '../../devices/reference-choice.js';
import type { DeviceInfo, TimingProtocol } from '../../devices/types.js';
import type { Lut } from '../../lut/format.js';
import { verifyProtocol } from '../../src/verify/protocol.js';
import { settingId } from '../../src/verify/state.js';

const INFO: DeviceInfo = { device: 'ort-cpu', runtime: 'onnxruntime-node', runtimeVersion: '1.30.0', ep: 'cpu', options: { threads: 1 }, host: { cpu: 'x', cores: 2, os: 'linux', node: '20' }, timing: 'wall clock' };
const REF: TimingProtocol = { warmup: 10, minRepeats: 20, maxRepeats: 2000, maxTimeMs: 3000, targetCI: 0.02, rounds: 3, estimator: 'lower-half', maxSpread: 0.1, extraRounds: 2, reference: 'mbv2net64', referenceMs: 1, referenceSlope: 0.3 };
const lutWith = (protocol: TimingProtocol, device: DeviceInfo = INFO) => ({ device, protocol }) as unknown as Lut;

describe('verifyProtocol: rounds per member', () => {
  it("a LUT's netRounds is kept; a flag replaces it", () => {
    expect(verifyProtocol(lutWith({ ...REF, netRounds: 8 }), {}, INFO).netRounds).toBe(8);
    expect(verifyProtocol(lutWith({ ...REF, netRounds: 8 }), { netRounds: 4 }, INFO).netRounds).toBe(4);
  });
  it('a LUT from before netRounds, with a reference and rounds, gets the default; without a reference, its rounds', () => {
    expect(verifyProtocol(lutWith(REF), {}, INFO).netRounds).toBe(DEFAULT_NET_ROUNDS);
    const { reference: _r, referenceMs: _m, referenceSlope: _s, ...plain } = REF;
    expect(verifyProtocol(lutWith(plain), {}, INFO)).not.toHaveProperty('netRounds');
    // the flag equal to the rounds: measured as the entries, nothing recorded
    expect(verifyProtocol(lutWith(REF), { netRounds: 3 }, INFO)).not.toHaveProperty('netRounds');
  });
  it('another device than the LUT\'s: timed without the reference, so the default does not apply', () => {
    const other = { ...INFO, options: { threads: 2 } };
    expect(verifyProtocol(lutWith(REF), {}, other)).not.toHaveProperty('netRounds');
  });
  it('a bad count is refused', () => {
    expect(() => verifyProtocol(lutWith(REF), { netRounds: 0 }, INFO)).toThrow(/rounds per net/);
  });
  it("the state's setting id tells members measured with other rounds apart", () => {
    expect(settingId(INFO, { ...REF, netRounds: 6 })).not.toBe(settingId(INFO, REF));
    expect(settingId(INFO, { ...REF, netRounds: 6 })).toBe(settingId(INFO, { ...REF, netRounds: 6 }));
  });
});
