/**
 * The timing protocol a verification measures its members under, in one place: verifyFront() times them
 * with it and a farm coordinator (src/farm/prefetch.ts) queues their jobs with it, so both ask for the
 * same jobs and read the same setting of the verify state.
 */
import { deviceDifferences } from '../../lut/compare.js';
import type { Lut } from '../../lut/format.js';
import { UserError } from '../core/errors.js';
import { defaultNetRounds } from '../../devices/reference-choice.js';
import { DEFAULT_PROTOCOL, type DeviceInfo, type TimingProtocol } from '../../devices/types.js';

function checkProtocol(p: TimingProtocol): void {
  const ok =
    Number.isInteger(p.warmup) && p.warmup >= 0 && Number.isInteger(p.minRepeats) && p.minRepeats >= 1 && Number.isInteger(p.maxRepeats) && p.maxRepeats >= p.minRepeats && p.maxTimeMs > 0 && p.targetCI > 0;
  if (!ok)
    throw new UserError(`invalid timing protocol ${JSON.stringify(p)}`, {
      hint: 'need integers warmup ≥ 0 and 1 ≤ min-repeats ≤ max-repeats, max-time-ms > 0, target-ci > 0 (flags not given come from the LUT)',
    });
}

/**
 * The LUT's protocol (else the default) with the fields the flags replace, checked. Where the LUT's own
 * run was pinned (placement) is that run's record, not a setting. With a timing reference
 * (devices/reference.ts) the nets are scaled to the LUT's own R and β (protocol.referenceMs, referenceSlope),
 * as its entries and its calibration nets were, so the measured figures are in the LUT's unit. Given the device
 * measuring (`info`): on another device than the LUT's (a transfer check) the LUT's R and β mean nothing (both
 * were measured on the LUT's device and machine: R is its reference's speed there, β how far its models moved
 * with it), and the nets are timed as they run, without the reference, R or β (referenceNote says so).
 */
export function verifyProtocol(lut: Lut | undefined, overrides: Partial<TimingProtocol> = {}, info?: DeviceInfo): TimingProtocol {
  const { placement: _, ...base } = lut?.protocol ?? DEFAULT_PROTOCOL;
  const protocol: TimingProtocol = { ...base, ...overrides };
  checkProtocol(protocol);
  if (info && lut && deviceDifferences(lut.device, info).length) {
    const { reference: _r, referenceMs: _s, referenceSlope: _b, referenceDrift: _d, ...plain } = protocol;
    return withNetRounds(plain);
  }
  return withNetRounds(protocol);
}

/**
 * The members' rounds (protocol.netRounds): the flag's, else the LUT's, else the default for the protocol's reference
 * and rounds (devices/reference-choice.ts: a LUT profiled before netRounds existed gets its members measured as a new
 * one's would be); none where that equals the rounds.
 */
function withNetRounds(p: TimingProtocol): TimingProtocol {
  const { netRounds, ...rest } = p;
  const n = netRounds ?? defaultNetRounds(p.reference, p.rounds);
  if (n !== undefined && !(Number.isInteger(n) && n >= 1))
    throw new UserError(`invalid rounds per net ${n}`, { hint: 'net-rounds must be a positive integer (the flag not given comes from the LUT)' });
  return n === undefined || n === (p.rounds ?? 1) ? rest : { ...rest, netRounds: n };
}

/**
 * Where a LUT's timing reference is left out (a verification on another device than the LUT's): one line saying
 * so, for the transfer's differences; undefined where nothing is left out.
 */
export function referenceNote(lut: Lut | undefined, info: DeviceInfo): string | undefined {
  if (lut?.protocol.reference === undefined || !deviceDifferences(lut.device, info).length) return undefined;
  const p = lut.protocol;
  return (
    `the LUT's figures are scaled to its timing reference ${p.reference} (R ${p.referenceMs?.toFixed(4)} ms, β ${(p.referenceSlope ?? 1).toFixed(3)}), measured on the LUT's device and machine; ` +
    'the nets here are timed as they run, without the reference'
  );
}
