/**
 * The reference scale R and slope β over one profiling run (devices/reference.ts, lut/reference.ts), shared
 * by the op profiler and the ONNX unit profiler: before the first round, the LUT's R and β or provisional ones
 * (R measured now, β PROVISIONAL_SLOPE); every round's reference noted as it comes, every completed model's
 * rounds kept; at the end of the run that created the LUT, R and β adopted from the rounds and every figure
 * brought to them.
 */
import { measureReferenceScale, PROVISIONAL_SLOPE } from '../devices/reference.js';
import type { RoundedResult, RoundRecord } from '../devices/rounds.js';
import type { Device, TimingProtocol } from '../devices/types.js';
import { overheadModel } from '../export/model.js';
import { adoptReferenceScale, type ReferenceAdopted } from './reference.js';

interface ReferenceStore {
  readonly referenceMs: number | undefined;
  readonly referenceSlope?: number;
  /** The LUT's R is still the provisional one (a run that created it stopped before adopting R). */
  readonly referenceProvisional?: boolean;
  useReferenceScale(referenceMs: number, provisional?: boolean, slope?: number): void;
  rescaleReference(referenceMs: number, factor: number, o?: { slope?: number; rescored?: ReadonlyMap<string, RoundedResult> }): void;
}

export class ReferenceRun {
  private readonly references: number[] = [];
  /** The run's completed entries (by LUT key), whose rounds the end of the run scores again. */
  private readonly completed = new Map<string, RoundedResult>();

  private constructor(
    /** The protocol the run's rounds use: with R (protocol.referenceMs) and β (referenceSlope) when it has a reference. */
    readonly protocol: TimingProtocol,
    /**
     * R is provisional: measured by this run (the LUT had none), or left provisional by an earlier run of the
     * LUT that stopped before its end. The end of the run adopts the rounds' R and β.
     */
    private readonly provisional: boolean,
  ) {}

  /**
   * The run's protocol: without a reference as given; with one, R and β from the LUT, from the protocol, or
   * provisional ones (R measured now). A LUT whose R is still provisional (its first run was interrupted)
   * keeps its R and β for this run's rounds, so they are in the unit of the entries already stored, and adopts
   * both at the end.
   */
  static async start(device: Device, protocol: TimingProtocol, store: ReferenceStore): Promise<ReferenceRun> {
    if (protocol.reference === undefined) return new ReferenceRun(protocol, false);
    const fromLut = store.referenceMs !== undefined;
    const known = store.referenceMs ?? protocol.referenceMs;
    const referenceMs = known ?? (await measureReferenceScale(device, protocol, overheadModel([1, 1, 1, 1])));
    // β goes with the R it was used with: the LUT's (absent = 1); else the protocol's; else, with R measured now, the provisional one.
    const slope = fromLut ? store.referenceSlope : (protocol.referenceSlope ?? (known === undefined ? PROVISIONAL_SLOPE : undefined));
    store.useReferenceScale(referenceMs, known === undefined, slope);
    const { referenceSlope: _, ...rest } = protocol;
    return new ReferenceRun({ ...rest, referenceMs, ...(slope !== undefined ? { referenceSlope: slope } : {}) }, known === undefined || store.referenceProvisional === true);
  }

  /** Notes a round's reference (every round of the run: entries, nets, the overhead). */
  note(round: RoundRecord): void {
    if (round.noise?.referenceMs !== undefined) this.references.push(round.noise.referenceMs);
  }

  /** Keeps a completed LUT entry's rounds (under its LUT key), for the end of the run to fit β on and score again. */
  complete(key: string, result: RoundedResult): void {
    if (this.provisional && this.protocol.reference !== undefined) this.completed.set(key, result);
  }

  /**
   * At the end of a complete run: when R was provisional, R and β from the rounds and every figure of the LUT
   * brought to them; `results` (nets measured in the run) are scored again alike, in place, and count toward
   * the fit of β. Undefined when nothing changed.
   */
  finish(store: ReferenceStore, results: Iterable<RoundedResult> = []): ReferenceAdopted | undefined {
    if (!this.provisional) return undefined;
    const nets = [...results];
    const all = new Map<string, RoundedResult>(this.completed);
    nets.forEach((r, i) => all.set(`\u0000net${i}`, r));
    const done = adoptReferenceScale(store, this.references, all, this.protocol);
    if (!done) return undefined;
    nets.forEach((r, i) => Object.assign(r, done.rescored.get(`\u0000net${i}`)!));
    return done.adopted;
  }
}
