/**
 * nas verify / nas-verify: export every member of a front to ONNX, measure it end to end on a device,
 * and set the measurements against the predictions: per-net error, agreement, the front recomputed on
 * measured latency, the best net within the target; optionally an HTML report and a CSV. Resumable
 * (measurements are saved as they are made). Exit 4 when --max-error/--min-tau are not met, 5 when
 * some nets could not be exported or run.
 */
import type { CommandModule } from 'yargs';
import { UserError } from '../../core/errors.js';
import type { VerifyResult } from '../../verify/types.js';
import type { TimingProtocol } from '../../../devices/types.js';
import { ms } from '../../core/format.js';
import { emit, log, logDeviceWarnings } from '../output.js';
import { createProgress, type Progress } from '../progress.js';
import { deviceOptions, toDeviceOptions, type DeviceArgs } from './common.js';
import { farmOptions, openFarmDevice, type FarmArgs } from './farm.js';

export const EXIT_CHECKS_FAILED = 4;
export const EXIT_INCOMPLETE = 5;

export interface VerifyArgs extends Partial<Omit<FarmArgs, keyof DeviceArgs>>, DeviceArgs {
  json: boolean;
  front: string;
  lut?: string;
  warmup?: number;
  minRepeats?: number;
  maxRepeats?: number;
  maxTimeMs?: number;
  targetCi?: number;
  netRounds?: number;
  targetMs?: number;
  maxError?: number;
  minTau?: number;
  state?: string;
  report?: string;
  csv?: string;
}

function protocolOverrides(a: VerifyArgs): Partial<TimingProtocol> {
  const p: Partial<TimingProtocol> = { warmup: a.warmup, minRepeats: a.minRepeats, maxRepeats: a.maxRepeats, maxTimeMs: a.maxTimeMs, targetCI: a.targetCi, netRounds: a.netRounds };
  for (const k of Object.keys(p) as (keyof TimingProtocol)[]) if (p[k] === undefined) delete p[k];
  return p;
}

function checkArgs(a: VerifyArgs): void {
  if (a.maxError !== undefined && !(a.maxError > 0)) throw new UserError(`--max-error must be a positive percentage, got ${a.maxError}`);
  if (a.minTau !== undefined && !(a.minTau >= -1 && a.minTau <= 1)) throw new UserError(`--min-tau must be between -1 and 1, got ${a.minTau}`);
  if (a.targetMs !== undefined && !(a.targetMs > 0)) throw new UserError(`--target-ms must be a positive number of milliseconds, got ${a.targetMs}`);
}

/** Measures and compares, writes --report and --csv; prints nothing on stdout (the demo calls this). */
export async function verifyAndReport(a: VerifyArgs): Promise<VerifyResult> {
  checkArgs(a);
  const { checkWritable, writeOutputFile } = await import('../../verify/output-paths.js');
  if (a.report !== undefined) checkWritable(a.report, '--report');
  if (a.csv !== undefined) checkWritable(a.csv, '--csv');
  const { resolveDevice } = await import('../../../devices/registry.js');
  const { verifyFront } = await import('../../verify/verify.js');
  const farm = a.redis ? await openFarmDevice(a as VerifyArgs & FarmArgs) : undefined;
  const device = farm ?? (await resolveDevice(a.device, toDeviceOptions(a)));
  let progress: Progress | undefined;
  let result;
  try {
    // On a farm, every member still to measure is queued at once; verifyFront() then collects them in order.
    if (farm) await (await import('../../farm/prefetch.js')).prefetchVerify(farm, { frontPath: a.front, lutPath: a.lut, statePath: a.state, protocol: protocolOverrides(a) });
    result = await verifyFront({
      frontPath: a.front,
      lutPath: a.lut,
      device,
      // A farm's workers run their own rounds; here, a fresh-process protocol's rounds run in local workers.
      ...(farm ? {} : { workerDevice: { name: a.device, options: toDeviceOptions(a) } }),
      protocol: protocolOverrides(a),
      statePath: a.state,
      targetMs: a.targetMs,
      thresholds: { maxErrorPct: a.maxError, minTau: a.minTau },
      onStart: ({ members, statePath }) => {
        log(`verifying ${members} net(s) of ${a.front} on ${device.name}; measurements are saved to ${statePath} as they are made`);
        progress = createProgress(`measuring on ${device.name}`, members);
      },
      onProgress: (p) => progress?.update(p.done, `${p.outcome}${p.ms === undefined ? '' : ` ${ms(p.ms)} ms`}`),
    });
    await farm?.forget();
  } finally {
    progress?.stop();
    await device.dispose();
  }
  if (a.report !== undefined) {
    const { renderHtmlReport } = await import('../../report/html.js');
    writeOutputFile(a.report, renderHtmlReport(result), '--report');
  }
  if (a.csv !== undefined) {
    const { verifyCsv } = await import('../../report/csv.js');
    writeOutputFile(a.csv, verifyCsv(result), '--csv');
  }
  logDeviceWarnings(result.device);
  return result;
}

async function runVerifyCommand(a: VerifyArgs): Promise<void> {
  const result = await verifyAndReport(a);
  const { renderVerify } = await import('../../verify/render.js');
  emit(a, { ...result, files: { report: a.report ?? null, csv: a.csv ?? null } }, () => renderVerify(result, { report: a.report, csv: a.csv }));
  if (!result.checks.pass) process.exitCode = EXIT_CHECKS_FAILED;
  else if (result.summary.failed) process.exitCode = EXIT_INCOMPLETE;
}

export const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify',
  describe: 'measure every member of a front end to end on a device and compare with the predicted latency (report, CSV; resumable)',
  builder: (y) =>
    farmOptions(deviceOptions(y))
      .option('front', { type: 'string', demandOption: true, describe: 'front file written by nas search' })
      .option('lut', { type: 'string', describe: "LUT the predictions come from (default: the LUT named in the front's latency provenance)" })
      .option('warmup', { type: 'number', describe: "untimed runs before measuring (default: the LUT's protocol)" })
      .option('min-repeats', { type: 'number', describe: "minimum timed runs per net (default: the LUT's protocol)" })
      .option('max-repeats', { type: 'number', describe: "maximum timed runs per net (default: the LUT's protocol)" })
      .option('max-time-ms', { type: 'number', describe: "time limit per net in ms (default: the LUT's protocol)" })
      .option('target-ci', { type: 'number', describe: "stop when the median's 95% CI half-width is within this fraction (default: the LUT's protocol)" })
      .option('net-rounds', { type: 'number', describe: "rounds per net (default: the LUT's protocol.netRounds; for a LUT without one, 6 with a timing reference and several rounds, else the LUT's rounds)" })
      .option('target-ms', { type: 'number', describe: "latency target for 'best within target' (default: the front's target)" })
      .option('max-error', { type: 'number', describe: 'fail (exit 4) when any net’s |predicted − measured| / measured exceeds this %' })
      .option('min-tau', { type: 'number', describe: 'fail (exit 4) when Kendall τ between predicted and measured latency is below this' })
      .option('state', { type: 'string', describe: 'file the measurements are saved to as they are made (default: <front>.verify.json); a re-run reuses them' })
      .option('report', { type: 'string', describe: 'write a self-contained HTML report (charts, per-net breakdown, provenance)' })
      .option('csv', { type: 'string', describe: 'write one CSV row per net' })
      .example('$0 verify --front front.json --device cpu --report report.html', 'measure on the LUT’s device and write a report')
      .example('$0 verify --front front.json --device wasm --max-error 15 --min-tau 0.6', 'check how the CPU LUT transfers to onnxruntime-web (wasm)') as never,
  handler: (a) => runVerifyCommand(a),
};
