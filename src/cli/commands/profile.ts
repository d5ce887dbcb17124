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
import { ms } from '../../core/format.js';
import { emit, log, logDeviceWarnings } from '../output.js';
import type { LutCalibration } from '../../../lut/format.js';
import type { CalibrationPlan } from '../../predict/calibration-plan.js';
import { createProgress } from '../progress.js';
import { onnxOptions, onnxProfileOptions, profileOnnxFiles } from './onnx-units.js';
import type { ProfileNet, ProfileResult } from '../../profile/profiler.js';
import { DEFAULT_EXTRA_ROUND_SHARE, DEFAULT_RETAKE_WAIT_MS } from '../../profile/extra-rounds.js';
import type { Device } from '../../../devices/types.js';
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
  extraRoundBudget: number;
  retakeWait: number;
  retake: boolean;
  ownLayout: boolean;
  contextNets?: number;
  sizeNets?: number;
  contextClasses?: string;
  calibrateWith?: string;
}

/** The instances to measure, deduplicated by key, and the label recorded in the LUT's `spaces`. */
async function instancesToProfile(a: ProfileArgs): Promise<{ instances: OpInstance[]; label: string; calibration: CalibrationPlan; variantInstances: number }> {
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
    const { calibrationNetsOf } = await import('../../predict/calibration-plan.js');
    calibrationNets = calibrationNetsOf(space, a.calibrate);
  }
  const { planCalibration } = await import('../../predict/calibration-plan.js');
  const calibration = planCalibration(calibrationNets, byKey.values(), a);
  // The variants' and other families' ops are profiled with the rest: their blocks (with SE, another activation) may be ones the space lacks.
  const before = byKey.size;
  const { lutInstances } = await import('../../core/decompose.js');
  for (const arch of [...calibration.nets, ...calibration.sizes, ...calibration.variants]) for (const { inst } of lutInstances(arch)) if (!byKey.has(opKey(inst))) byKey.set(opKey(inst), inst);
  return { instances: [...byKey.values()], label, calibration, variantInstances: byKey.size - before };
}

export const profileCommand: CommandModule<object, ProfileArgs> = {
  command: 'profile',
  describe: 'measure every op instance of a search space on a device into a LUT (resumable)',
  builder: (y) =>
    farmOptions(onnxProfileOptions(onnxOptions(protocolOptions(archSourceOptions(deviceOptions(y))))))
      .option('out', { type: 'string', demandOption: true, describe: 'LUT file to create or complete (e.g. cpu.lut.json)' })
      .option('own-layout', {
        type: 'boolean',
        default: true,
        describe: "ort-cpu at level all, 1 thread: record each entry's own NCHWc reorders (one profiled session per unit, src/profile/own-layout.ts); --no-own-layout skips it",
      })
      .option('wait-quiet', {
        describe: 'pause before each pass of rounds while the machine is busy (load ≥ cores or CPU steal > 5%), at most this many seconds each time (bare flag: 600)',
        coerce: (v: unknown) => (v === undefined ? undefined : v === true || v === '' ? 600 : Number(v)),
      })
      .option('extra-round-budget', {
        describe:
          "the run's extra rounds (a round the gate set aside retaken, a spread measured again) at most this share of the rounds asked for (default 1/3: with 3 rounds one extra round per entry on average; inf: each entry takes all its --extra-rounds); entries past it are kept as measured, marked unsteady",
        default: DEFAULT_EXTRA_ROUND_SHARE,
        defaultDescription: '0.333',
        coerce: (v: unknown) => (v === 'inf' || v === 'Infinity' ? Infinity : Number(v)),
      })
      .option('retake-wait', {
        type: 'number',
        default: DEFAULT_RETAKE_WAIT_MS / 1000,
        describe:
          'before each pass of extra rounds, wait at most this many seconds (and never longer than those rounds would take) for a moment when a thread gets its CPU as the round gate wants (waits ≤ 30%); still busy then, take none (the entries are kept, unsteady); 0 = take them at once',
      })
      .option('retake', {
        type: 'boolean',
        default: false,
        describe: 'measure again the entries of --out marked unsteady (their rounds set aside or spread when the extra rounds ran out), and what is missing; each is replaced when measured',
      })
      .option('force', { type: 'boolean', default: false, describe: 'start a new LUT even if --out holds one measured under other settings' })
      .option('calibrate', {
        type: 'number',
        default: 20,
        describe: 'after profiling, measure this many whole networks of the space end to end and fit the per-op costs a one-op model pays (0 = off); on ort-cpu and wasm at 1 thread it also measures what weights cost inside a network and keeps one scale with it (docs/formats.md)',
      })
      .option('context-nets', {
        type: 'number',
        describe:
          'calibration: in-context variant networks measured per context class (the calibration nets with every block given SE / the activation), for one scale per class (0 = off; default: the --calibrate count spread over the classes, at least 3; a class measured in fewer than 3 keeps the plain scale)',
      })
      .option('size-nets', {
        type: 'number',
        describe:
          'calibration: size variants measured with the calibration nets (each a prefix of one closed by a classifier head: smaller nets, weight bytes unlike their size), so the fit can tell a scale from per-network and per-weight-byte costs (default 0: off; measured, they did not make the fit hold better for other families: docs/benchmarks.md)',
      })
      .option('calibrate-with', {
        type: 'string',
        describe:
          'calibration: networks of other families measured too, comma-separated: published (the published nets) or a space name (half the --calibrate count of its random nets); the fit is then checked leave-one-family-out',
      })
      .option('context-classes', {
        type: 'string',
        describe: 'calibration: the context classes to measure in context, comma-separated (se, hswish, swish, se+hswish, wide, …; default: those of the ops profiled, wide only when asked)',
      })
      .example('$0 profile --device cpu --space mbv2 --resolution 96 --out cpu-mbv2-96.lut.json', '') as never,
  handler: async (a) => {
    // A --cpu list this process may not run on fails here, before anything is built or measured (as nas doctor does);
    // on a farm the CPUs are the workers', not this machine's.
    if (a.cpu !== undefined && a.cpu !== 'auto' && !a.redis) (await import('../../../devices/pin.js')).chooseCpus(a.cpu);
    if (a.onnx?.length) return profileOnnxFiles(a);
    // On a farm each worker times the reference beside each job's round in the session its device keeps for it, and
    // the rounds are scaled here (src/farm/farm-device.ts): the same default as a local run.
    const protocol = toProtocol(a);
    if (a.waitQuiet !== undefined && !(a.waitQuiet > 0)) throw new UserError(`--wait-quiet takes a number of seconds > 0, got ${a.waitQuiet}`);
    if (!Number.isInteger(a.calibrate) || a.calibrate < 0) throw new UserError(`--calibrate must be a non-negative integer, got ${a.calibrate}`);
    if (!(a.extraRoundBudget >= 0)) throw new UserError(`--extra-round-budget takes a share ≥ 0 of the rounds asked for (e.g. 0.33, or inf), got ${a.extraRoundBudget}`);
    if (!(a.retakeWait >= 0)) throw new UserError(`--retake-wait takes a number of seconds ≥ 0, got ${a.retakeWait}`);
    const retake = a.retake ? await unsteadyKeys(a.out) : undefined;
    if (retake) log(`--retake: ${retake.size} unsteady entr${retake.size === 1 ? 'y' : 'ies'} of ${a.out} to measure again`);
    const { instances, label, calibration: plan, variantInstances } = await instancesToProfile(a);
    if (plan.variants.length)
      log(
        `calibration will also measure ${plan.variants.length} in-context variant networks for the context classes ${plan.classes.join(', ')} ` +
          `(${variantInstances} of the ${instances.length} op instances are theirs); --context-nets 0 turns this off`,
      );
    const { resolveDevice } = await import('../../../devices/registry.js');
    const { profile } = await import('../../profile/profiler.js');
    // --force measures everything anew on a farm too: no job a killed run left finished in Redis is collected.
    const farm = a.redis ? await openFarmDevice(a, { fresh: a.force }) : undefined;
    const device = farm ?? (await resolveDevice(a.device, toDeviceOptions(a)));
    // The calibration networks are timed in the same shuffled passes as the entries (src/profile/profiler.ts).
    const calibrationNets = plan.nets.length >= 3 ? await netsOf([...plan.nets, ...plan.sizes, ...plan.variants], device) : [];
    if (calibrationNets.length)
      log(
        `calibrating on ${plan.nets.length} networks${plan.sizes.length ? ` + ${plan.sizes.length} size variants` : ''}${plan.variants.length ? ` + ${plan.variants.length} in-context variants` : ''}, timed end to end in the same shuffled passes as the LUT's entries`,
      );
    // The ETA is the profiler's, by rounds still to take (entries complete only in their last pass; --wait-quiet's pauses are not measuring).
    const progress = createProgress(`profiling ${label}${calibrationNets.length ? ` and ${calibrationNets.length} calibration networks` : ''} on ${device.name}`, instances.length + calibrationNets.length, { callerEta: true });
    const started = Date.now();
    const workerDevice = { name: a.device, options: toDeviceOptions(a) };
    try {
      // On a farm, every missing entry and the calibration nets are queued at once; profile() below then collects them in order.
      if (farm) await (await import('../../farm/prefetch.js')).prefetchLut(farm, { instances, lutPath: a.out, protocol, force: a.force, nets: calibrationNets });
      const result = await profile({
        device,
        instances,
        lutPath: a.out,
        protocol,
        force: a.force,
        space: label,
        onProgress: (p) => progress.update(p.done, p.key ? `${p.key} ${p.lastMs !== undefined ? ms(p.lastMs) + ' ms' : ''}` : '', p.etaMs),
        onNoise: (message) => log(message),
        onWarning: (message) => log(`warning: ${message}`),
        nets: calibrationNets,
        waitQuiet: a.waitQuiet !== undefined ? { maxWaitMs: a.waitQuiet * 1000 } : undefined,
        extraRoundShare: a.extraRoundBudget,
        retakeWaitMs: a.retakeWait * 1000,
        retake,
        workerDevice,
        // The reorders are profiled in this process: never for a farm's devices, which run elsewhere.
        ownLayout: farm || !a.ownLayout ? false : undefined,
      });
      progress.stop();
      const calibration = calibrationNets.length && !result.summary.interrupted ? await runCalibration(a.out, plan, label, result, device) : undefined;
      const unsteady = unsteadyWarning(result.summary, a.out, protocol.maxSpread);
      if (unsteady) log(`warning: ${unsteady}`);
      const seconds = (Date.now() - started) / 1000;
      logDeviceWarnings(result.device);
      emit(a, { lut: a.out, device: result.device, ...result.summary, calibration, seconds }, () =>
        [
          `LUT ${a.out}: ${result.summary.measured} measured, ${result.summary.reused} already there, ${result.summary.skipped.length} unsupported, in ${seconds.toFixed(1)} s`,
          ...(calibration
            ? [
                `calibrated on ${calibration.fittedOn} networks measured end to end: base ${ms(calibration.baseMs)} ms, per op ${ms(calibration.perOpMs)} ms, ` +
                  `per MB of activations ${ms(calibration.perByteMs * 1e6)} ms, ${calibration.perWeightByteMs ? `per MB of weights +${ms(calibration.perWeightByteMs * 1e6)} ms, ` : ''}scale ${(calibration.scale ?? 1).toFixed(3)}` +
                  `${calibration.classScales ? `, class scales ${Object.entries(calibration.classScales).map(([c, v]) => `${c || 'plain'} ${v.toFixed(3)}`).join(', ')}` : ''}; fit RMS error ${calibration.rmsErrorPct.toFixed(1)}%`,
                ...(calibration.reason ?? calibration.context?.reason ? [`  ${calibration.reason ?? calibration.context?.reason}`] : []),
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

/** The keys of the entries a LUT marks unsteady (LutEntry.unsteady); none when the file does not exist yet. */
async function unsteadyKeys(lutPath: string): Promise<Set<string>> {
  const { existsSync } = await import('node:fs');
  if (!existsSync(lutPath)) return new Set();
  const { readLut } = await import('../../../lut/store.js');
  return new Set(Object.entries(readLut(lutPath).entries).flatMap(([key, e]) => (e.unsteady ? [key] : [])));
}

/** The end-of-run warning about the entries kept unsteady, with how to retake them; undefined when there are none. */
export function unsteadyWarning(summary: ProfileResult['summary'], lutPath: string, maxSpread?: number): string | undefined {
  const u = summary.unsteady;
  if (!u.length) return undefined;
  const aside = u.filter((e) => e.why === 'set-aside').length;
  const x = summary.extraRounds;
  const cut = x ? [...(x.cut.budget ? [`the run's ${x.budget} extra rounds were spent (--extra-round-budget)`] : []), ...(x.cut.busy ? [`the machine stayed busy through the wait (--retake-wait)`] : [])] : [];
  return (
    `${u.length} entr${u.length === 1 ? 'y' : 'ies'} kept unsteady in ${lutPath} (${aside} with fewer rounds than asked left after the round gate, ${u.length - aside} spread past ${maxSpread !== undefined ? `${+(100 * maxSpread).toPrecision(2)}%` : 'the limit'})` +
    `${cut.length ? `: ${cut.join('; ')}` : ''}; each keeps its figure, spread and set-aside count (nas lut show lists them). ` +
    (cut.length || aside
      ? `On a quieter machine, run the same command with --retake to measure only those again`
      : // Nothing cut them short: their rounds spread after all the extra rounds they may take (the smallest entries spread most, even on a quiet machine).
        `Their rounds spread after all their extra rounds (--extra-rounds; the smallest entries spread most): --retake with the same command measures only those again`)
  );
}

/** The calibration networks as measurables of the profiling run, by calibrationNetId: with zero weights for a device that runs none (src/profile/entry-model.ts; a farm's says what its workers' device does). */
async function netsOf(archs: readonly Architecture[], device: Pick<Device, 'needsWeights'>): Promise<ProfileNet[]> {
  const { calibrationNetId } = await import('../../predict/calibrate.js');
  const { lutInstances } = await import('../../core/decompose.js');
  const { networkModel } = await import('../../../export/model.js');
  const { timingExportOptions } = await import('../../profile/entry-model.js');
  const byId = new Map<string, ProfileNet>();
  for (const arch of archs) byId.set(calibrationNetId(arch), { id: calibrationNetId(arch), instances: lutInstances(arch).map((p) => p.inst), build: () => networkModel(arch, timingExportOptions(device)) });
  return [...byId.values()];
}

/**
 * Fits the calibration on the networks measured with the entries (ProfileResult.nets) and stores it in
 * the LUT (atomically). A network the device cannot run (an unsupported op) is left out.
 */
async function runCalibration(lutPath: string, plan: CalibrationPlan, label: string, profiled: ProfileResult, device: Device): Promise<LutCalibration | undefined> {
  const { readLut, updateLut } = await import('../../../lut/store.js');
  const { calibrationNetId } = await import('../../predict/calibrate.js');
  const { keepCalibration } = await import('../../predict/context-fit.js');
  const lut = readLut(lutPath);
  const measuredOf = (archs: readonly Architecture[]) =>
    archs.flatMap((arch) => {
      const r = profiled.nets.get(calibrationNetId(arch));
      return r ? [{ arch, ms: r.stats.median }] : [];
    });
  // The size variants count with the plain networks (after them: the weight cost is measured on the first ones).
  const nets = [...measuredOf(plan.nets), ...measuredOf(plan.sizes)];
  const variants = measuredOf(plan.variants);
  if (profiled.netsSkipped.length) log(`calibration: ${profiled.netsSkipped.length} networks left out (the device cannot run some of their ops, e.g. ${profiled.netsSkipped[0].reason})`);
  if (nets.length < 3) {
    log(`calibration: only ${nets.length} of the ${plan.nets.length + plan.sizes.length} calibration networks could be measured; not calibrated`);
    return undefined;
  }
  const source = `${label}: ${nets.length} networks measured end to end`;
  // ort-cpu and wasm at 1 thread and level all: what weights cost inside a network, measured where the entries were timed (on a farm, by a worker).
  const { calibrationWeightCost } = await import('../../profile/calibration-weight-cost.js');
  const weightCost = await calibrationWeightCost(device, lut.device, nets.map((n) => n.arch));
  if (weightCost.message) log(weightCost.message);
  const opts = weightCost.options;
  const { calibration, message } = keepCalibration(lut, nets, variants, plan.classes, source, opts);
  const refused = calibration ? undefined : message;
  if (refused) log(refused);
  // The last calibration measured decides: a refused one also drops a calibration an earlier run kept.
  const kept = calibration;
  const reason = refused;
  updateLut(lutPath, ({ calibration: _, calibrationRefused: __, ...current }) => ({
    ...current,
    ...(kept ? { calibration: kept } : { calibrationRefused: { reason: reason!, createdAt: new Date().toISOString() } }),
    updatedAt: new Date().toISOString(),
  }));
  return calibration;
}
