/**
 * nas profile / nas-profile: measure every distinct op instance of a space (or of given networks) on a
 * device into a LUT. Incremental: entries already in --out are kept and not measured again, so a killed
 * run resumes where it stopped.
 */
import type { CommandModule } from 'yargs';
import { UserError } from '../../core/errors.js';
import { opKey } from '../../core/keys.js';
import type { OpInstance } from '../../core/ops.js';
import type { Architecture } from '../../core/arch.js';
import { Rng } from '../../core/rng.js';

const CALIBRATION_SEED = 1_000_003;
import { ms } from '../../core/format.js';
import { emit, log, logDeviceWarnings } from '../output.js';
import type { Device } from '../../../devices/types.js';
import type { LutCalibration } from '../../../lut/format.js';
import { createProgress } from '../progress.js';
import { onnxOptions, profileOnnxFiles } from './onnx-units.js';
import { archSourceOptions, deviceOptions, protocolOptions, resolveArchitectures, toDeviceOptions, toProtocol, type DeviceArgs, type ProtocolArgs } from './common.js';
import { farmOptions, openFarmDevice, type FarmArgs } from './farm.js';

interface ProfileArgs extends FarmArgs, DeviceArgs, ProtocolArgs {
  json: boolean;
  space?: string;
  resolution?: number;
  out: string;
  force: boolean;
  calibrate: number;
  seed: number;
  arch?: string;
  published?: string;
  random?: number;
  onnx?: string[];
  inputShape?: string[];
  waitQuiet?: number;
}

/** The instances to measure, deduplicated by key, and the label recorded in the LUT's `spaces`. */
async function instancesToProfile(a: ProfileArgs): Promise<{ instances: OpInstance[]; label: string; calibrationNets: Architecture[] }> {
  const byKey = new Map<string, OpInstance>();
  let label: string;
  let calibrationNets: Architecture[];
  if (a.arch !== undefined || a.published !== undefined || a.random !== undefined) {
    const { lutInstances } = await import('../../core/decompose.js');
    const archs = await resolveArchitectures(a);
    for (const arch of archs) for (const { inst } of lutInstances(arch)) byKey.set(opKey(inst), inst);
    label = a.published ?? a.arch ?? `${a.space}@random${a.random}`;
    calibrationNets = archs.length >= 3 ? archs.slice(0, a.calibrate) : [];
  } else {
    if (!a.space) throw new UserError('say what to profile: --space S (every op of a search space), or --arch/--published/--space S --random N');
    const { createSpace } = await import('../../spaces/registry.js');
    const space = createSpace(a.space, { resolution: a.resolution });
    const { checkInstances } = await import('../../core/validate-spec.js');
    const all = space.allInstances();
    checkInstances(all, (inst) => `space ${space.id} at resolution ${space.resolution}, op ${opKey(inst)}`);
    for (const inst of all) byKey.set(opKey(inst), inst);
    label = `${space.id}@${space.resolution}`;
    // Calibration nets come from their own seed stream, so they never coincide with a user's --seed sample.
    const rng = new Rng(CALIBRATION_SEED);
    calibrationNets = Array.from({ length: a.calibrate }, () => space.build(space.sample(rng)));
  }
  return { instances: [...byKey.values()], label, calibrationNets };
}

export const profileCommand: CommandModule<object, ProfileArgs> = {
  command: 'profile',
  describe: 'measure every op instance of a search space on a device into a LUT (resumable)',
  builder: (y) =>
    farmOptions(onnxOptions(protocolOptions(archSourceOptions(deviceOptions(y)))))
      .option('out', { type: 'string', demandOption: true, describe: 'LUT file to create or complete (e.g. cpu.lut.json)' })
      .option('wait-quiet', {
        describe: 'pause before each pass of rounds while the machine is busy (load ≥ cores or CPU steal > 5%), at most this many seconds each time (bare flag: 600)',
        coerce: (v: unknown) => (v === undefined ? undefined : v === true || v === '' ? 600 : Number(v)),
      })
      .option('force', { type: 'boolean', default: false, describe: 'start a new LUT even if --out holds one measured under other settings' })
      .option('calibrate', {
        type: 'number',
        default: 20,
        describe: 'after profiling, measure this many whole networks of the space end to end and fit the per-op costs a one-op model pays (0 = off)',
      })
      .example('$0 profile --device cpu --space mbv2 --resolution 96 --out cpu-mbv2-96.lut.json', '') as never,
  handler: async (a) => {
    if (a.onnx?.length) return profileOnnxFiles(a);
    const protocol = toProtocol(a);
    if (a.waitQuiet !== undefined && !(a.waitQuiet > 0)) throw new UserError(`--wait-quiet takes a number of seconds > 0, got ${a.waitQuiet}`);
    if (!Number.isInteger(a.calibrate) || a.calibrate < 0) throw new UserError(`--calibrate must be a non-negative integer, got ${a.calibrate}`);
    const { instances, label, calibrationNets } = await instancesToProfile(a);
    const { resolveDevice } = await import('../../../devices/registry.js');
    const { profile } = await import('../../profile/profiler.js');
    const farm = a.redis ? await openFarmDevice(a) : undefined;
    const device = farm ?? (await resolveDevice(a.device, toDeviceOptions(a)));
    const progress = createProgress(`profiling ${label} on ${device.name}`, instances.length);
    const started = Date.now();
    try {
      // On a farm, every missing entry is queued at once; profile() below then collects them in order.
      if (farm) await (await import('../../farm/prefetch.js')).prefetchLut(farm, { instances, lutPath: a.out, protocol, force: a.force });
      const result = await profile({
        device,
        instances,
        lutPath: a.out,
        protocol,
        force: a.force,
        space: label,
        onProgress: (p) => progress.update(p.done, p.key ? `${p.key} ${p.lastMs !== undefined ? ms(p.lastMs) + ' ms' : ''}` : ''),
        onNoise: (message) => log(message),
        waitQuiet: a.waitQuiet !== undefined ? { maxWaitMs: a.waitQuiet * 1000 } : undefined,
        workerDevice: { name: a.device, options: toDeviceOptions(a) },
      });
      progress.stop();
      const calibration = calibrationNets.length >= 3 ? await runCalibration(a.out, device, calibrationNets, label) : undefined;
      const seconds = (Date.now() - started) / 1000;
      logDeviceWarnings(result.device);
      emit(a, { lut: a.out, device: result.device, ...result.summary, calibration, seconds }, () =>
        [
          `LUT ${a.out}: ${result.summary.measured} measured, ${result.summary.reused} already there, ${result.summary.skipped.length} unsupported, in ${seconds.toFixed(1)} s`,
          ...(calibration
            ? [
                `calibrated on ${calibration.fittedOn} networks measured end to end: base ${ms(calibration.baseMs)} ms, per op ${ms(calibration.perOpMs)} ms, ` +
                  `per MB of activations ${ms(calibration.perByteMs * 1e6)} ms, scale ${(calibration.scale ?? 1).toFixed(3)}; fit RMS error ${calibration.rmsErrorPct.toFixed(1)}%`,
              ]
            : []),
          `device ${result.device.device} (${result.device.runtime} ${result.device.runtimeVersion}, ${result.device.ep}); overhead ${ms(result.overheadMs)} ms`,
          ...result.summary.skipped.map((s) => `  unsupported: ${s.key}: ${s.reason}`),
          '',
        ].join('\n'),
      );
      await farm?.forget();
    } finally {
      progress.stop();
      await device.dispose();
    }
    const source = a.arch !== undefined ? `--arch ${a.arch}` : a.published !== undefined ? `--published ${a.published}` : `--space ${a.space} --random 5`;
    if (a.json === false) log(`next: nas predict --lut ${a.out} ${source}${a.resolution !== undefined ? ` --resolution ${a.resolution}` : ''}`);
  },
};

/** Measures the calibration networks and stores the fit in the LUT (atomically). */
async function runCalibration(lutPath: string, device: Device, nets: Architecture[], label: string): Promise<LutCalibration | undefined> {
  const { readLut, updateLut } = await import('../../../lut/store.js');
  const { calibrate, calibrationHelps } = await import('../../predict/calibrate.js');
  const lut = readLut(lutPath);
  const progress = createProgress(`calibrating on ${nets.length} networks`, nets.length);
  try {
    const { calibration } = await calibrate(lut, device, nets, `${label}: ${nets.length} networks measured end to end`, (done) => progress.update(done));
    progress.stop();
    if (!calibrationHelps(calibration)) {
      log(
        `calibration not kept: it fits the ${nets.length} measured networks no better than the plain sum ` +
          `(RMS error ${calibration.rmsErrorPct.toFixed(1)}% vs ${calibration.plainRmsErrorPct?.toFixed(1)}%); the timings were probably disturbed by other load — re-run on a quiet machine`,
      );
      return undefined;
    }
    updateLut(lutPath, (current) => ({ ...current, calibration, updatedAt: new Date().toISOString() }));
    return calibration;
  } finally {
    progress.stop();
  }
}
