/**
 * Verifying a front: every member exported to ONNX and measured end to end on a device, set against
 * its predicted latency. The library entry point behind `nas verify` (and the demo).
 */
import { deviceDifferences } from '../../lut/compare.js';
import { networkModel } from '../../export/model.js';
import type { Architecture } from '../core/arch.js';
import { holdLock } from '../core/file-lock.js';
import { UserError } from '../core/errors.js';
import { DEFAULT_PROTOCOL, type Device, type ModelUnderTest, type TimingProtocol } from '../../devices/types.js';
import { accuracyLabel, describeDevice } from './labels.js';
import { archMetrics } from '../core/arch-metrics.js';
import { analyze, type MemberFigures, type Thresholds } from './analyze.js';
import { loadVerifyInputs } from './inputs.js';
import { measureMembers, type MeasureProgress } from './measure.js';
import { checkWritable } from './output-paths.js';
import { defaultStatePath, VerifyState } from './state.js';
import type { WorkerDevice } from '../../devices/round-worker.js';
import { VERIFY_FORMAT, VERIFY_VERSION, type VerifyResult } from './types.js';

export interface VerifyOptions {
  frontPath: string;
  /** Default: the LUT named in the front's latency provenance. */
  lutPath?: string;
  /** Created, not yet initialised; the caller disposes of it. */
  device: Device;
  /** Replaces fields of the base protocol (the LUT's, else the default). */
  protocol?: Partial<TimingProtocol>;
  /** The registry name and options of `device`: a fresh-process protocol's rounds then run in workers, as the LUT's did (else in this process). */
  workerDevice?: WorkerDevice;
  /** Default: defaultStatePath(frontPath). */
  statePath?: string;
  /** Default: the front's target. */
  targetMs?: number;
  thresholds?: Thresholds;
  /** Architecture → model (default: the exporter's networkModel, weight seed 0). */
  exportModel?: (arch: Architecture) => ModelUnderTest;
  /** Called once the inputs are read and checked, before the device starts. */
  onStart?: (info: { members: number; statePath: string }) => void;
  onProgress?: (p: MeasureProgress) => void;
}

function checkProtocol(p: TimingProtocol): void {
  const ok =
    Number.isInteger(p.warmup) && p.warmup >= 0 && Number.isInteger(p.minRepeats) && p.minRepeats >= 1 && Number.isInteger(p.maxRepeats) && p.maxRepeats >= p.minRepeats && p.maxTimeMs > 0 && p.targetCI > 0;
  if (!ok)
    throw new UserError(`invalid timing protocol ${JSON.stringify(p)}`, {
      hint: 'need integers warmup ≥ 0 and 1 ≤ min-repeats ≤ max-repeats, max-time-ms > 0, target-ci > 0 (flags not given come from the LUT)',
    });
}

export async function verifyFront(opts: VerifyOptions): Promise<VerifyResult> {
  const inputs = loadVerifyInputs(opts.frontPath, opts.lutPath);
  const { front, lut } = inputs;
  // The LUT's protocol as a setting: where its own run was pinned (placement) is that run's record.
  // With a timing reference (devices/reference.ts) the nets are scaled to the LUT's own R (protocol.referenceMs),
  // as its entries and its calibration nets were, so the measured figures are in the LUT's unit.
  const { placement: _, ...base } = lut?.lut.protocol ?? DEFAULT_PROTOCOL;
  let protocol: TimingProtocol = { ...base, ...opts.protocol };
  checkProtocol(protocol);
  const targetMs = opts.targetMs ?? front.target?.latencyMs ?? null;
  if (targetMs !== null && !(targetMs > 0)) throw new UserError(`the latency target must be a positive number of ms, got ${targetMs}`);
  const statePath = opts.statePath ?? defaultStatePath(opts.frontPath);
  checkWritable(statePath, '--state');
  opts.onStart?.({ members: front.members.length, statePath });

  // Two runs sharing a state file would overwrite each other's measurements: the second refuses.
  const unlock = holdLock(statePath, 'verify state');
  let info: Awaited<ReturnType<typeof opts.device.init>>;
  let outcomes: Awaited<ReturnType<typeof measureMembers>>;
  try {
    info = await opts.device.init();
    // On another device than the LUT's (a transfer check) the LUT's R means nothing: the nets are timed as they run.
    if (protocol.reference !== undefined && lut && deviceDifferences(lut.lut.device, info).length) {
      const { reference: _r, referenceMs: _s, ...plain } = protocol;
      protocol = plain;
    }
    const state = VerifyState.open(statePath, info, protocol);
    const exportModel = opts.exportModel ?? ((arch: Architecture) => networkModel(arch, { seed: 0 }));
    outcomes = await measureMembers({
      device: opts.device,
      protocol,
      members: front.members.map((m, i) => ({ name: m.name, arch: inputs.archs[i] })),
      state,
      exportModel,
      onProgress: opts.onProgress,
      workerDevice: opts.workerDevice,
    });
  } finally {
    unlock();
  }

  const figures: MemberFigures[] = front.members.map((m, i) => ({
    index: i + 1,
    name: m.name,
    encoding: m.encoding,
    accuracy: m.accuracy,
    predicted: inputs.predicted[i],
    metrics: archMetrics(inputs.archs[i]),
    measured: outcomes[i].measured,
    failure: outcomes[i].failure,
  }));
  const { members, summary, checks } = analyze(figures, targetMs, opts.thresholds ?? {});

  let transfer: VerifyResult['transfer'] = null;
  if (lut) {
    const differences = deviceDifferences(lut.lut.device, info, ['LUT', 'here']);
    if (differences.length) transfer = { from: describeDevice(lut.lut.device), to: describeDevice(info), differences };
  } else {
    transfer = {
      from: `${front.latency.id} (the front's recorded latencies)`,
      to: describeDevice(info),
      differences: ['predictions are the latencies the front was searched with, not a LUT of this device'],
    };
  }

  return {
    format: VERIFY_FORMAT,
    version: VERIFY_VERSION,
    front: {
      path: opts.frontPath,
      space: { id: front.space.id, options: { ...front.space.options } },
      strategy: front.strategy,
      seed: front.seed,
      evaluations: front.evaluations,
      latency: front.latency,
      evaluator: front.evaluator,
      best: front.best,
      created: front.created,
    },
    prediction: lut
      ? { source: 'lut', lutId: lut.lut.id, path: lut.path, device: lut.lut.device, protocol: lut.lut.protocol, calibration: lut.lut.calibration ?? null }
      : { source: 'front', latency: front.latency },
    device: info,
    protocol,
    transfer,
    accuracyLabel: accuracyLabel(front.evaluator),
    targetMs,
    statePath,
    members,
    summary,
    checks,
    created: new Date().toISOString(),
  };
}
