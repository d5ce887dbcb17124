/** nas doctor --device D: is this machine quiet enough to profile on? (src/doctor/noise-floor.ts) */
import type { CommandModule } from 'yargs';
import { UserError } from '../../core/errors.js';
import { emit, log, logDeviceWarnings } from '../output.js';
import { createProgress } from '../progress.js';
import { commandStartedAt } from '../started.js';
import { deviceOptions, toDeviceOptions } from './common.js';

interface DoctorArgs {
  json: boolean;
  device: string;
  seconds: number;
  failIfNoisy: boolean;
  cpu?: string;
  threads?: number;
  graphOpt?: string;
  browser?: string;
  browserEndpoint?: string;
  deviceOpt?: string[];
}

const agreementLine = (g: { within5: number; within10: number; maxAbsErrorPct: number; kendallTau: number }, median: number) =>
  `${g.within5.toFixed(0)}% within ±5%, ${g.within10.toFixed(0)}% within ±10%, median difference ${median.toFixed(1)}%, largest ${g.maxAbsErrorPct.toFixed(1)}%, Kendall τ ${g.kendallTau.toFixed(2)}`;

export const doctorCommand: CommandModule<object, DoctorArgs> = {
  command: 'doctor',
  describe: "measure this machine's timing noise floor on a device (within --seconds, start-up included) and say whether it is fit for profiling",
  builder: (y) =>
    deviceOptions(y)
      .option('seconds', {
        type: 'number',
        default: 40,
        describe:
          'time budget of the whole command from its start (Node and the runtime starting, exporting, starting two worker processes, timing the nets three times): when it ends the check stops and judges what it has measured',
      })
      .option('cpu', { type: 'string', describe: "pin the check (and its worker processes) as nas profile --cpu does: 'auto' or a CPU list, to see what pinning gives here" })
      .option('fail-if-noisy', { type: 'boolean', default: false, describe: 'exit with code 1 when the machine is not fit for profiling (for CI)' }) as never,
  handler: async (a) => {
    if (!(a.seconds > 0) || a.seconds > 600) throw new UserError(`--seconds must be in (0, 600], got ${a.seconds}`);
    const { resolveDevice } = await import('../../../devices/registry.js');
    const { measureNoiseFloor } = await import('../../doctor/noise-floor.js');
    if (a.cpu !== undefined) (await import('../../../devices/pin.js')).chooseCpus(a.cpu); // a bad --cpu fails before the device starts
    const device = await resolveDevice(a.device, toDeviceOptions(a));
    const progress = createProgress(`timing 8 small networks in two processes on ${device.name}`, 24);
    let r;
    try {
      r = await measureNoiseFloor({
        device,
        seconds: a.seconds,
        startedAt: commandStartedAt(),
        onProgress: (done) => progress.update(done),
        workerDevice: { name: a.device, options: toDeviceOptions(a) },
        cpu: a.cpu,
        onWarning: (m) => log(`warning: ${m}`),
      });
    } finally {
      progress.stop();
      await device.dispose();
    }
    logDeviceWarnings(r.device);
    const n = r.noise;
    emit(a, r, () =>
      [
        r.outOfTime?.while === 'starting the device'
          ? `device ${r.device.device}: not started within the budget, on ${r.device.host.cpu}, ${r.device.host.cores} cores`
          : `device ${r.device.device} (${r.device.runtime} ${r.device.runtimeVersion}, ${JSON.stringify(r.device.options)}) on ${r.device.host.cpu}, ${r.device.host.cores} cores`,
        ...(r.crossProcess
          ? [
              `across processes, ${r.crossProcess.agreement.n} mbv2@${r.resolution} networks timed in one fresh process and again in another: ${agreementLine(r.crossProcess.agreement, r.crossProcess.medianDiffPct)}`,
            ]
          : []),
        r.self
          ? `in one process, the same networks timed twice: ${agreementLine(r.self, r.medianDiffPct!)}${r.self.n < r.nets ? ` (${r.self.n} of ${r.nets} networks)` : ''}`
          : 'in one process: no network was timed twice before the budget ended',
        ...(r.placement ? [`pinned (--cpu ${a.cpu}): timed on CPU ${r.placement.measuring.join(',')}${r.placement.parent ? `, this process on CPU ${r.placement.parent.join(',')}` : ''}${r.placement.helpers ? `, its other threads on CPU ${r.placement.helpers.join(',')}` : ''}`] : []),
        r.cpus
          ? `CPU speed (fixed probe kernel, ms; lower is faster): ${r.cpus.speeds.map((c) => `cpu${c.cpu} ${c.probeMs.toFixed(3)}`).join(', ')}; slowest ${r.cpus.spreadPct.toFixed(1)}% above fastest`
          : `CPU speed per CPU: not read (${r.cpusUnreadable})`,
        `machine: load average ${n.load1.toFixed(2)}, CPU steal ${n.stealPct === undefined ? 'not readable' : `${n.stealPct.toFixed(1)}%`}, clock ${n.mhz === undefined ? 'not readable' : `${n.mhz} MHz`}; checked in ${r.seconds.toFixed(0)} s of the ${r.budgetSeconds} s budget${r.outOfTime ? ` (stopped there, after ${r.outOfTime.measured} of ${r.outOfTime.total} measurements)` : ''}`,
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
