/**
 * Verifying a front: every member exported to ONNX and measured end to end on a device, set against
 * its predicted latency. The library entry point behind `nas verify` (and the demo).
 */
import { deviceDifferences } from '../../lut/compare.js';
import { networkModel } from '../../export/model.js';
import type { Architecture } from '../core/arch.js';
import { holdLock } from '../core/file-lock.js';
import { UserError } from '../core/errors.js';
import type { Device, ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { accuracyLabel, describeDevice } from './labels.js';
import { archMetrics } from '../core/arch-metrics.js';
import { analyze, type MemberFigures, type Thresholds } from './analyze.js';
import { loadVerifyInputs } from './inputs.js';
import { measureMembers, type MeasureProgress } from './measure.js';
import { referenceNote, verifyProtocol } from './protocol.js';
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

export async function verifyFront(opts: VerifyOptions): Promise<VerifyResult> {
  const inputs = loadVerifyInputs(opts.frontPath, opts.lutPath);
  const { front, lut } = inputs;
  // Checked before the device starts; settled once it has said what it is (src/verify/protocol.ts).
  let protocol: TimingProtocol = verifyProtocol(lut?.lut, opts.protocol);
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
    protocol = verifyProtocol(lut?.lut, opts.protocol, info);
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
    const note = referenceNote(lut.lut, info);
    if (differences.length) transfer = { from: describeDevice(lut.lut.device), to: describeDevice(info), differences: note ? [note, ...differences] : differences };
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
