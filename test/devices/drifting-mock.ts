/**
 * Test helper: the mock device (no noise) on a machine whose speed changes from one timing to the next. Each
 * time() and timeWithReference() call runs at the next factor of `speeds`, in turn: the item slows by
 * speed^itemSlope while its reference slows by speed (`itemSlope` is the machine's β).
 *
 * Jitter the reference does not share (the round gate's cases, devices/rounds.ts): `referenceSpikes`, per call in
 * turn, a factor only the reference reads slow by (the reference itself disturbed); `itemSpikes`, one only the
 * item runs slow by (a round partly someone else's, beside an ordinary reference). Both default to 1.
 */
import { MockDevice } from '../../devices/mock/index.js';
import { scaleStats, type ReferenceDevice } from '../../devices/reference.js';
import type { ModelUnderTest, TimingProtocol } from '../../devices/types.js';

/** The protocol the reference is timed with inside a round (short: the mock has no noise). */
const REFERENCE_PROTOCOL: TimingProtocol = { warmup: 2, minRepeats: 5, maxRepeats: 50, maxTimeMs: 150, targetCI: 0.02 };

export class DriftingMock implements ReferenceDevice {
  readonly name = 'mock';
  private readonly inner = new MockDevice({ noise: 0, outlierRate: 0 });
  private calls = 0;
  constructor(
    private readonly speeds: readonly number[],
    private readonly itemSlope = 1,
    private readonly jitter: { referenceSpikes?: readonly number[]; itemSpikes?: readonly number[] } = {},
  ) {}
  /** Calls to time() and timeWithReference() so far. */
  get timings(): number {
    return this.calls;
  }
  init = () => this.inner.init();
  supports = (inst: Parameters<MockDevice['supports']>[0]) => this.inner.supports(inst);
  dispose = () => this.inner.dispose();
  private speed(): number {
    return this.speeds[this.calls++ % this.speeds.length];
  }
  async time(model: ModelUnderTest, protocol: TimingProtocol) {
    const s = this.speed();
    const r = await this.inner.time(model, protocol);
    return { ...r, stats: scaleStats(r.stats, s) };
  }
  async timeWithReference(model: ModelUnderTest, protocol: TimingProtocol, reference: ModelUnderTest) {
    const at = this.calls;
    const s = this.speed();
    const spike = (xs: readonly number[] | undefined) => (xs?.length ? xs[at % xs.length] : 1);
    const r = await this.inner.time(model, protocol);
    const ref = await this.inner.time(reference, REFERENCE_PROTOCOL);
    return { ...r, stats: scaleStats(r.stats, s ** this.itemSlope * spike(this.jitter.itemSpikes)), referenceMs: ref.stats.median * s * spike(this.jitter.referenceSpikes) };
  }
}
