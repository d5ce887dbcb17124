/**
 * Measures each front member end to end on a device: export to ONNX, time with the harness's
 * protocol, save to the state file at once. A member that fails to export or run is reported and the
 * others go on; a device that becomes unavailable stops the loop (every later member would fail the
 * same way) with what was measured already saved.
 */
import type { Architecture } from '../core/arch.js';
import { DeviceUnavailableError } from '../core/errors.js';
import type { Device, Measurement, ModelUnderTest, TimingProtocol, TimingResult } from '../../devices/types.js';
import { measureModel, type RoundTimer } from '../../devices/rounds.js';
import { roundTimer } from '../../devices/round-timer.js';
import type { WorkerDevice } from '../../devices/round-worker.js';
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

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function measureMembers(opts: MeasureOptions): Promise<MeasureOutcome[]> {
  const { device, protocol, members, state } = opts;
  const timer = opts.workerDevice ? roundTimer(device, protocol, opts.workerDevice) : undefined;
  try {
    return await measureAll(opts, timer);
  } finally {
    await timer?.stop();
  }
}

async function measureAll(opts: MeasureOptions, timer: RoundTimer | undefined): Promise<MeasureOutcome[]> {
  const { device, protocol, members, state } = opts;
  const outcomes: MeasureOutcome[] = [];
  let deviceGone: string | undefined;
  for (const [i, { name, arch }] of members.entries()) {
    const digest = archDigest(arch);
    const saved = state.get(name, digest);
    let outcome: MeasureOutcome;
    if (saved) {
      outcome = { measured: toMeasured(saved, true), failure: null };
    } else if (deviceGone) {
      outcome = { measured: null, failure: { stage: 'run', message: `not measured: ${deviceGone}` } };
    } else {
      const attempt = await measureOne(opts, name, arch, digest);
      if (attempt.deviceGone) deviceGone = attempt.failure?.message;
      outcome = attempt;
    }
    outcomes.push(outcome);
    opts.onProgress?.({
      done: i + 1,
      total: members.length,
      name,
      outcome: outcome.failure ? 'failed' : saved ? 'resumed' : 'measured',
      ms: outcome.measured?.median,
    });
  }
  return outcomes;

  async function measureOne(o: MeasureOptions, name: string, arch: Architecture, digest: string): Promise<MeasureOutcome & { deviceGone?: boolean }> {
    let model: ModelUnderTest;
    try {
      model = o.exportModel(arch);
    } catch (e) {
      return { measured: null, failure: { stage: 'export', message: message(e) } };
    }
    let r: TimingResult;
    try {
      // The LUT's protocol, rounds and estimator included, so measured and predicted figures mean the same.
      r = await measureModel(device, model, protocol, timer);
    } catch (e) {
      const gone = e instanceof DeviceUnavailableError;
      return { measured: null, failure: { stage: 'run', message: (gone ? 'device unavailable: ' : '') + message(e) }, deviceGone: gone };
    }
    // Outside the try: a state that cannot be written must stop the run, not pass as this member's failure.
    const saved = { digest, stats: r.stats, coldMs: r.coldMs, setupMs: r.setupMs, measuredAt: new Date().toISOString() };
    state.put(name, saved);
    return { measured: toMeasured(saved, false), failure: null };
  }
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
