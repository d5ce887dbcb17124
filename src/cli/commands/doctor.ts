/** nas doctor --device D: is this machine quiet enough to profile on? (src/doctor/noise-floor.ts) */
import type { CommandModule } from 'yargs';
import { UserError } from '../../core/errors.js';
import { emit, log, logDeviceWarnings } from '../output.js';
import { createProgress } from '../progress.js';
import { deviceOptions, toDeviceOptions } from './common.js';

interface DoctorArgs {
  json: boolean;
  device: string;
  seconds: number;
  failIfNoisy: boolean;
  threads?: number;
  graphOpt?: string;
  browser?: string;
  browserEndpoint?: string;
  deviceOpt?: string[];
}

export const doctorCommand: CommandModule<object, DoctorArgs> = {
  command: 'doctor',
  describe: "measure this machine's timing noise floor on a device (about a minute) and say whether it is fit for profiling",
  builder: (y) =>
    deviceOptions(y)
      .option('seconds', { type: 'number', default: 50, describe: 'time budget of the check: exporting, setting up and timing the nets twice (runtime start-up comes on top)' })
      .option('fail-if-noisy', { type: 'boolean', default: false, describe: 'exit with code 1 when the machine is not fit for profiling (for CI)' }) as never,
  handler: async (a) => {
    if (!(a.seconds > 0) || a.seconds > 600) throw new UserError(`--seconds must be in (0, 600], got ${a.seconds}`);
    const { resolveDevice } = await import('../../../devices/registry.js');
    const { measureNoiseFloor } = await import('../../doctor/noise-floor.js');
    const device = await resolveDevice(a.device, toDeviceOptions(a));
    const progress = createProgress(`timing 8 small networks twice on ${device.name}`, 16);
    let r;
    try {
      r = await measureNoiseFloor({ device, seconds: a.seconds, onProgress: (done) => progress.update(done) });
    } finally {
      progress.stop();
      await device.dispose();
    }
    logDeviceWarnings(r.device);
    const n = r.noise;
    emit(a, r, () =>
      [
        `device ${r.device.device} (${r.device.runtime} ${r.device.runtimeVersion}, ${JSON.stringify(r.device.options)}) on ${r.device.host.cpu}, ${r.device.host.cores} cores`,
        `self-agreement of ${r.nets} mbv2@${r.resolution} networks timed twice: ${r.self.within5.toFixed(0)}% within ±5%, ${r.self.within10.toFixed(0)}% within ±10%, median difference ${r.medianDiffPct.toFixed(1)}%, largest ${r.self.maxAbsErrorPct.toFixed(1)}%, Kendall τ ${r.self.kendallTau.toFixed(2)}`,
        `machine: load average ${n.load1.toFixed(2)}, CPU steal ${n.stealPct === undefined ? 'not readable' : `${n.stealPct.toFixed(1)}%`}, clock ${n.mhz === undefined ? 'not readable' : `${n.mhz} MHz`}; checked in ${r.seconds.toFixed(0)} s`,
        r.fit ? 'fit for profiling' : `NOT fit for profiling: ${r.reasons.join('; ')}`,
        ...r.advice.map((s) => `  - ${s}`),
        '',
      ].join('\n'),
    );
    if (!r.fit && a.failIfNoisy) {
      log('exit 1: --fail-if-noisy');
      process.exitCode = 1;
    }
  },
};
