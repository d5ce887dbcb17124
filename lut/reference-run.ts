/**
 * The reference scale R over one profiling run (devices/reference.ts, lut/reference.ts), shared by the op
 * profiler and the ONNX unit profiler: before the first round, the LUT's R or a provisional one measured now;
 * every round's reference noted as it comes; at the end of the run that created the LUT, R adopted from
 * the rounds and every figure rescaled to it.
 */
import { measureReferenceScale, scaleStats } from '../devices/reference.js';
import type { RoundedResult, RoundRecord } from '../devices/rounds.js';
import type { Device, TimingProtocol } from '../devices/types.js';
import { overheadModel } from '../export/model.js';
import { adoptReferenceScale, type ReferenceAdopted } from './reference.js';

interface ReferenceStore {
  readonly referenceMs: number | undefined;
  useReferenceScale(referenceMs: number): void;
  rescaleReference(referenceMs: number, factor: number): void;
}

export class ReferenceRun {
  private readonly references: number[] = [];

  private constructor(
    /** The protocol the run's rounds use: with R (protocol.referenceMs) when it has a reference. */
    readonly protocol: TimingProtocol,
    /** R was measured by this run (the LUT had none): the end of the run adopts the rounds' R. */
    private readonly provisional: boolean,
  ) {}

  /** The run's protocol: without a reference as given; with one, R from the LUT, from the protocol, or measured now (provisional). */
  static async start(device: Device, protocol: TimingProtocol, store: ReferenceStore): Promise<ReferenceRun> {
    if (protocol.reference === undefined) return new ReferenceRun(protocol, false);
    const known = store.referenceMs ?? protocol.referenceMs;
    const referenceMs = known ?? (await measureReferenceScale(device, protocol, overheadModel([1, 1, 1, 1])));
    store.useReferenceScale(referenceMs);
    return new ReferenceRun({ ...protocol, referenceMs }, known === undefined);
  }

  /** Notes a round's reference (every round of the run: entries, nets, the overhead). */
  note(round: RoundRecord): void {
    if (round.noise?.referenceMs !== undefined) this.references.push(round.noise.referenceMs);
  }

  /**
   * At the end of a complete run: when R was provisional, R from the rounds and every figure of the LUT
   * rescaled to it; `results` (nets measured in the run) are rescaled alike, in place. Undefined when nothing changed.
   */
  finish(store: ReferenceStore, results: Iterable<RoundedResult> = []): ReferenceAdopted | undefined {
    if (!this.provisional) return undefined;
    const adopted = adoptReferenceScale(store, this.references);
    if (adopted) for (const r of results) rescaleResult(r, adopted.factor);
    return adopted;
  }
}

/** A combined result's figures multiplied by `factor` (its rounds, details and scales too), in place. */
export function rescaleResult(r: RoundedResult, factor: number): void {
  r.stats = scaleStats(r.stats, factor);
  r.rounds = r.rounds.map((x) => x * factor);
  r.details = r.details.map((d) => ({ ...d, median: d.median * factor, p10: d.p10 * factor, min: d.min * factor, ...(d.scale !== undefined ? { scale: d.scale * factor } : {}) }));
}
