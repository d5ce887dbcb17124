/**
 * nas profile / nas-profile: measure every distinct op instance of a space (or of given networks) on a
 * device into a LUT. Incremental: entries already in --out are kept and not measured again, so a killed
 * run resumes where it stopped.
 */
import type { CommandModule } from 'yargs';
import { UserError } from '../../core/errors.js';
import { opKey } from '../../core/keys.js';
import type { OpInstance } from '../../core/ops.js';
import { emit, log, ms } from '../output.js';
import { createProgress } from '../progress.js';
import { archSourceOptions, deviceOptions, protocolOptions, resolveArchitectures, toDeviceOptions, toProtocol } from './common.js';

interface ProfileArgs {
  json: boolean;
  device: string;
  space?: string;
  resolution?: number;
  out: string;
  force: boolean;
  seed: number;
  arch?: string;
  published?: string;
  random?: number;
  threads?: number;
  graphOpt?: string;
  browser?: string;
  browserEndpoint?: string;
  deviceOpt?: string[];
  warmup: number;
  minRepeats: number;
  maxRepeats: number;
  maxTimeMs: number;
  targetCi: number;
}

/** The instances to measure, deduplicated by key, and the label recorded in the LUT's `spaces`. */
async function instancesToProfile(a: ProfileArgs): Promise<{ instances: OpInstance[]; label: string }> {
  const byKey = new Map<string, OpInstance>();
  let label: string;
  if (a.arch !== undefined || a.published !== undefined || a.random !== undefined) {
    const { lutInstances } = await import('../../core/decompose.js');
    const archs = await resolveArchitectures(a);
    for (const arch of archs) for (const { inst } of lutInstances(arch)) byKey.set(opKey(inst), inst);
    label = a.published ?? a.arch ?? `${a.space}@random${a.random}`;
  } else {
    if (!a.space) throw new UserError('say what to profile: --space S (every op of a search space), or --arch/--published/--space S --random N');
    const { createSpace } = await import('../../spaces/registry.js');
    const space = createSpace(a.space, { resolution: a.resolution });
    for (const inst of space.allInstances()) byKey.set(opKey(inst), inst);
    label = `${space.id}@${space.resolution}`;
  }
  return { instances: [...byKey.values()], label };
}

export const profileCommand: CommandModule<object, ProfileArgs> = {
  command: 'profile',
  describe: 'measure every op instance of a search space on a device into a LUT (resumable)',
  builder: (y) =>
    protocolOptions(archSourceOptions(deviceOptions(y)))
      .option('out', { type: 'string', demandOption: true, describe: 'LUT file to create or complete (e.g. cpu.lut.json)' })
      .option('force', { type: 'boolean', default: false, describe: 'start a new LUT even if --out holds one measured under other settings' })
      .example('$0 profile --device cpu --space mbv2 --resolution 96 --out cpu-mbv2-96.lut.json', '') as never,
  handler: async (a) => {
    const protocol = toProtocol(a);
    const { instances, label } = await instancesToProfile(a);
    const { resolveDevice } = await import('../../../devices/registry.js');
    const { profile } = await import('../../profile/profiler.js');
    const device = await resolveDevice(a.device, toDeviceOptions(a));
    const progress = createProgress(`profiling ${label} on ${device.name}`, instances.length);
    const started = Date.now();
    try {
      const result = await profile({
        device,
        instances,
        lutPath: a.out,
        protocol,
        force: a.force,
        space: label,
        onProgress: (p) => progress.update(p.done, p.key ? `${p.key} ${p.lastMs !== undefined ? ms(p.lastMs) + ' ms' : ''}` : ''),
      });
      progress.stop();
      const seconds = (Date.now() - started) / 1000;
      emit(a, { lut: a.out, device: result.device, ...result.summary, seconds }, () =>
        [
          `LUT ${a.out}: ${result.summary.measured} measured, ${result.summary.reused} already there, ${result.summary.skipped.length} unsupported, in ${seconds.toFixed(1)} s`,
          `device ${result.device.device} (${result.device.runtime} ${result.device.runtimeVersion}, ${result.device.ep}); overhead ${ms(result.overheadMs)} ms`,
          ...result.summary.skipped.map((s) => `  unsupported: ${s.key}: ${s.reason}`),
          '',
        ].join('\n'),
      );
    } finally {
      progress.stop();
      await device.dispose();
    }
    if (a.json === false) log(`next: nas predict --lut ${a.out} --space ${a.space ?? 'mbv2'} --random 5`);
  },
};
