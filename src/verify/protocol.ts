/**
 * The timing protocol a verification measures its members under, in one place: verifyFront() times them
 * with it and a farm coordinator (src/farm/prefetch.ts) queues their jobs with it, so both ask for the
 * same jobs and read the same setting of the verify state.
 */
import { deviceDifferences } from '../../lut/compare.js';
import type { Lut } from '../../lut/format.js';
import { UserError } from '../core/errors.js';
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
 * (devices/reference.ts) the nets are scaled to the LUT's own R (protocol.referenceMs), as its entries and
 * its calibration nets were, so the measured figures are in the LUT's unit. Given the device measuring
 * (`info`): on another device than the LUT's (a transfer check) the LUT's R means nothing, and the nets are
 * timed as they run, without the reference.
 */
export function verifyProtocol(lut: Lut | undefined, overrides: Partial<TimingProtocol> = {}, info?: DeviceInfo): TimingProtocol {
  const { placement: _, ...base } = lut?.protocol ?? DEFAULT_PROTOCOL;
  const protocol: TimingProtocol = { ...base, ...overrides };
  checkProtocol(protocol);
  if (info && protocol.reference !== undefined && lut && deviceDifferences(lut.device, info).length) {
    const { reference: _r, referenceMs: _s, ...plain } = protocol;
    return plain;
  }
  return protocol;
}
