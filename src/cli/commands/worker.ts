/**
 * nas worker: serve this machine's device to a farm. Announces the device's fingerprint, takes the
 * jobs of coordinators (nas profile|verify --redis) that asked for it, until Ctrl-C / SIGTERM, then
 * finishes the jobs it runs and leaves.
 */
import type { CommandModule } from 'yargs';
import { UserError } from '../../core/errors.js';
import { ms } from '../../core/format.js';
import { emit, log, logDeviceWarnings } from '../output.js';
import { deviceOptions, toDeviceOptions, type DeviceArgs } from './common.js';

interface WorkerArgs extends DeviceArgs {
  json: boolean;
  redis: string;
  concurrency: number;
  lockMs: number;
  quiet: boolean;
}

export const workerCommand: CommandModule<object, WorkerArgs> = {
  command: 'worker',
  describe: "serve this machine's device to a farm: take measurement jobs from Redis (BullMQ) until stopped",
  builder: (y) =>
    deviceOptions(y)
      .option('redis', { type: 'string', demandOption: true, describe: 'Redis the coordinators use (redis://[:PASSWORD@]HOST:PORT[/DB], rediss:// for TLS)' })
      .option('concurrency', { type: 'number', default: 1, describe: 'jobs at once, each on its own device instance (keep 1 where jobs would disturb each other’s timings)' })
      .option('lock-ms', { type: 'number', default: 30_000, describe: 'a job whose worker stops answering (killed, lost) goes to another worker after this long' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no line per job' })
      .example('$0 worker --redis redis://farm.local:6379 --device cpu --threads 1', '')
      .example('$0 worker --redis redis://farm.local:6379 --device remote --serve --host 0.0.0.0', 'a phone or browser that opens the printed URL joins the pool') as never,
  handler: async (a) => {
    if (!(Number.isInteger(a.concurrency) && a.concurrency >= 1)) throw new UserError(`--concurrency must be a positive integer, got ${a.concurrency}`);
    if (!(Number.isInteger(a.lockMs) && a.lockMs >= 1000)) throw new UserError(`--lock-ms must be an integer ≥ 1000, got ${a.lockMs}`);
    const { deviceName, resolveDevice } = await import('../../../devices/registry.js');
    const { FarmWorker } = await import('../../farm/worker.js');
    const { describeWorker } = await import('../../farm/registry.js');
    const name = deviceName(a.device);
    const options = toDeviceOptions(a);
    const worker = await FarmWorker.start({
      redis: a.redis,
      deviceName: name,
      requested: options,
      createDevice: () => resolveDevice(name, options),
      concurrency: a.concurrency,
      lockMs: a.lockMs,
      log,
      onJob: a.quiet ? undefined : (j) => log(`${j.ok ? (j.reused ? 'reused' : 'done') : 'FAILED'} ${j.name} ${j.key} in ${ms(j.ms)} ms${j.error ? `: ${j.error}` : ''}`),
    });
    logDeviceWarnings(worker.record.info);
    log(`worker ${worker.record.id} serving ${describeWorker(worker.record)}; waiting for jobs (Ctrl-C to stop)`);
    emit(a, { worker: worker.record }, () => '');
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    log('stopping: finishing the running job(s)');
    await worker.close();
  },
};
