/**
 * What a timing's sample count may be on a loaded machine: the harness stops at maxTimeMs even before
 * minRepeats (devices/harness.ts), so a count below minRepeats is the protocol working, not a failure,
 * as long as the figure then says it did not converge.
 */
import { expect } from 'vitest';
import type { LatencyStats, TimingProtocol } from '../../devices/types.js';

export function expectSampleCount(s: LatencyStats, protocol: TimingProtocol): void {
  const taken = s.n + s.rejected;
  expect(taken).toBeGreaterThanOrEqual(1);
  expect(taken).toBeLessThanOrEqual(protocol.maxRepeats);
  // Fewer samples than minRepeats only when the time limit cut the run short (never converged then).
  if (taken < protocol.minRepeats) expect(s.converged).toBe(false);
}
