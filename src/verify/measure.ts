/**
 * Measures the front's members end to end on a device: export to ONNX, time in the LUT's protocol, save
 * each to the state file as soon as its last round is taken. All members are timed in the same shuffled
 * passes (devices/measurables.ts), as a LUT's entries are, so drift over the run hits them alike instead
 * of whichever member was timed during a bad minute; the rounds of members not finished are kept beside
 * the state file (`<state>.rounds.json`) until they are, so a killed run loses only the round in flight.
 * A member that fails to export or run is reported and the others go on; a device that becomes
 * unavailable stops the run (every later member would fail the same way) with what was measured saved.
 */
import type { Architecture } from '../core/arch.js';
import { DeviceUnavailableError } from '../core/errors.js';
import type { Device, Measurement, ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { measureAll } from '../../devices/measurables.js';
import { netProtocol, roundCount } from '../../devices/rounds.js';
import { roundTimer } from '../../devices/round-timer.js';
import type { WorkerDevice } from '../../devices/round-worker.js';
import { PartialRounds } from '../../lut/partial-rounds.js';
import { archDigest, type VerifyState } from './state.js';
import type { MeasuredLatency, MemberFailure } from './types.js';

export interface MeasureProgress {
  done: number;
  total: number;
  name: string;
  /** What happened to the member just handled. */
  outcome: 'measured' | 'resumed' | 'failed';
  ms?: number;
}

export interface MeasureOptions {
  device: Device;
  protocol: TimingProtocol;
  members: readonly { name: string; arch: Architecture }[];
  state: VerifyState;
  /** Architecture → model; the exporter's networkModel by default. */
  exportModel: (arch: Architecture) => ModelUnderTest;
  onProgress?: (p: MeasureProgress) => void;
  /** With it, a fresh-process protocol's rounds run in worker processes (devices/round-timer.ts); without, in this one. */
  workerDevice?: WorkerDevice;
}

export type MeasureOutcome = { measured: MeasuredLatency; failure: null } | { measured: null; failure: MemberFailure };

/** The key a member's rounds are kept under beside the state file (`<state>.rounds.json`) until its last one is taken. */
export function memberRoundsKey(name: string, arch: Architecture): string {
  return `${name}#${archDigest(arch)}`;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function measureMembers(opts: MeasureOptions): Promise<MeasureOutcome[]> {
  const { device, members, state } = opts;
  // Members are whole nets: protocol.netRounds rounds each where the protocol sets them (devices/rounds.ts, netProtocol).
  const protocol = netProtocol(opts.workerDevice ? opts.protocol : { ...opts.protocol, freshProcess: undefined });
  const outcomes: (MeasureOutcome | undefined)[] = members.map(() => undefined);
  let done = 0;
  const settle = (i: number, outcome: MeasureOutcome, how: MeasureProgress['outcome']) => {
    outcomes[i] = outcome;
    opts.onProgress?.({ done: ++done, total: members.length, name: members[i].name, outcome: how, ms: outcome.measured?.median });
  };
  // Saved members first, then members that fail to export; the rest are measured.
  type Item = { key: string; kind: 'net'; index: number; digest: string; build(): ModelUnderTest };
  const items: Item[] = [];
  for (const [i, { name, arch }] of members.entries()) {
    const digest = archDigest(arch);
    const saved = state.get(name, digest);
    if (saved) settle(i, { measured: toMeasured(saved, true), failure: null }, 'resumed');
  }
  for (const [i, { name, arch }] of members.entries()) {
    if (outcomes[i]) continue;
    let model: ModelUnderTest | undefined;
    try {
      model = opts.exportModel(arch);
    } catch (e) {
      settle(i, { measured: null, failure: { stage: 'export', message: message(e) } }, 'failed');
      continue;
    }
    // The model exported here serves the first round; later rounds keep it while the cache has room, else export again.
    const build = () => {
      const m = model ?? opts.exportModel(arch);
      model = undefined;
      return m;
    };
    items.push({ key: memberRoundsKey(name, arch), kind: 'net', index: i, digest: archDigest(arch), build });
  }
  const partial = PartialRounds.open(state.path, state.settingId);
  const timer = roundTimer(device, protocol, opts.workerDevice);
  let deviceGone: string | undefined;
  let inFlight: Item | undefined;
  try {
    await measureAll(items, protocol, {
      timer,
      beforeRound: (it) => void (inFlight = it),
      done: partial.all(),
      onRound: (it, rounds) => roundCount(protocol) > 1 && partial.set(it.key, rounds),
      onComplete: (it, r) => {
        const saved = { digest: it.digest, stats: r.stats, coldMs: r.coldMs, setupMs: r.setupMs, measuredAt: new Date().toISOString() };
        // A state that cannot be written stops the run: it is not this member's failure.
        state.put(members[it.index].name, saved);
        partial.delete(it.key);
        settle(it.index, { measured: toMeasured(saved, false), failure: null }, 'measured');
      },
      // A member that cannot run fails alone; a device that is gone ends the run.
      onError: (it, e) => {
        if (e instanceof DeviceUnavailableError) return false;
        settle(it.index, { measured: null, failure: { stage: 'run', message: message(e) } }, 'failed');
        return true;
      },
    });
  } catch (e) {
    if (!(e instanceof DeviceUnavailableError)) throw e;
    deviceGone = `device unavailable: ${message(e)}`;
  } finally {
    await timer.stop();
    if (items.every((it) => outcomes[it.index])) partial.remove();
    else partial.close();
  }
  // After a device was lost: the member in flight failed with it, the others were not measured.
  const why = deviceGone ?? 'the run stopped';
  if (inFlight && !outcomes[inFlight.index]) settle(inFlight.index, { measured: null, failure: { stage: 'run', message: why } }, 'failed');
  for (const it of items) if (!outcomes[it.index]) settle(it.index, { measured: null, failure: { stage: 'run', message: `not measured: ${why}` } }, 'failed');
  return outcomes.map((o) => o!);
}

function toMeasured(saved: Measurement, resumed: boolean): MeasuredLatency {
  const s = saved.stats;
  return {
    median: s.median,
    ci95: [s.ci95[0], s.ci95[1]],
    mean: s.mean,
    std: s.std,
    p10: s.p10,
    p90: s.p90,
    n: s.n,
    converged: s.converged,
    coldMs: saved.coldMs,
    setupMs: saved.setupMs,
    measuredAt: saved.measuredAt,
    resumed,
  };
}
