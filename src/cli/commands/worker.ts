/**
 * nas worker: serve this machine's device to a farm. Announces the device's fingerprint, takes the
 * jobs of coordinators (nas profile|verify --redis) that asked for it, until Ctrl-C / SIGTERM, then
 * finishes the jobs it runs and leaves. With --evaluator (and that evaluator's flags, as the search
 * gives them) it also runs the accuracy evaluations of `nas search --redis` coordinators whose
 * evaluator is the same.
 */
import type { CommandModule } from 'yargs';
import { UserError } from '../../core/errors.js';
import { ms } from '../../core/format.js';
import { emit, log, logDeviceWarnings } from '../output.js';
import { checkEvaluatorArgs, deviceOptions, evaluatorFromArgs, evaluatorOptions, toDeviceOptions, trainingOptions, trainingSettings, type DeviceArgs, type EvaluatorArgs } from './common.js';

interface WorkerArgs extends DeviceArgs, Omit<EvaluatorArgs, 'evaluator'> {
  evaluator?: string;
  space?: string;
  resolution?: number;
  seed: number;
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
    evaluatorOptions(trainingOptions(deviceOptions(y)), { optional: true })
      .option('space', { type: 'string', describe: 'evaluations with --proxy vote: the search space its reference nets come from (as the search gives it)' })
      .option('resolution', { type: 'number', describe: 'evaluations: input resolution of --space' })
      .option('seed', { type: 'number', default: 0, describe: 'evaluations with --evaluator train: the search\'s --seed (training is seeded by it)' })
      .option('redis', { type: 'string', demandOption: true, describe: 'Redis the coordinators use (redis://[:PASSWORD@]HOST:PORT[/DB], rediss:// for TLS)' })
      .option('concurrency', { type: 'number', default: 1, describe: 'jobs at once, each on its own device instance (keep 1 where jobs would disturb each other’s timings)' })
      .option('lock-ms', { type: 'number', default: 30_000, describe: 'a job whose worker stops answering (killed, lost) goes to another worker after this long' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no line per job' })
      .example('$0 worker --redis redis://farm.local:6379 --device cpu --threads 1', '')
      .example('$0 worker --redis redis://farm.local:6379 --device remote --serve --host 0.0.0.0', 'a phone or browser that opens the printed URL joins the pool')
      .example('$0 worker --redis redis://farm.local:6379 --device cpu --evaluator proxy --proxy synflow', 'also runs the proxy evaluations of nas search --redis … --evaluator proxy --proxy synflow') as never,
  handler: async (a) => {
    if (!(Number.isInteger(a.concurrency) && a.concurrency >= 1)) throw new UserError(`--concurrency must be a positive integer, got ${a.concurrency}`);
    if (!(Number.isInteger(a.lockMs) && a.lockMs >= 1000)) throw new UserError(`--lock-ms must be an integer ≥ 1000, got ${a.lockMs}`);
    const { deviceName, resolveDevice } = await import('../../../devices/registry.js');
    const { FarmWorker } = await import('../../farm/worker.js');
    const { describeWorker } = await import('../../farm/registry.js');
    const name = deviceName(a.device);
    const options = toDeviceOptions(a);
    const evaluator = await workerEvaluator(a);
    const worker = await FarmWorker.start({
      redis: a.redis,
      deviceName: name,
      requested: options,
      createDevice: () => resolveDevice(name, options),
      concurrency: a.concurrency,
      lockMs: a.lockMs,
      evaluator,
      log,
      onJob: a.quiet ? undefined : (j) => log(`${j.ok ? (j.reused ? 'reused' : 'done') : 'FAILED'} ${j.name} ${j.key} in ${ms(j.ms)} ms${j.error ? `: ${j.error}` : ''}`),
    });
    logDeviceWarnings(worker.record.info);
    log(`worker ${worker.record.id} serving ${describeWorker(worker.record)}; waiting for jobs (Ctrl-C to stop)`);
    if (evaluator) log(`evaluating with ${evaluator.id} ${JSON.stringify(worker.record.evaluator!.provenance)}`);
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

/** The accuracy evaluator --evaluator names, made as `nas search` makes it from the same flags; none without --evaluator. */
async function workerEvaluator(a: WorkerArgs) {
  checkEvaluatorArgs({ ...a, evaluator: a.evaluator ?? '(none)' });
  if (a.evaluator === undefined) return undefined;
  const { FARM_EVALUATORS } = await import('../../farm/evaluation.js');
  if (!FARM_EVALUATORS.includes(a.evaluator))
    throw new UserError(`--evaluator ${a.evaluator} does not run on workers; they run ${FARM_EVALUATORS.join(', ')}`);
  if (!Number.isInteger(a.seed)) throw new UserError(`--seed must be an integer, got ${a.seed}`);
  const { createSpace } = await import('../../spaces/registry.js');
  const space = a.space === undefined ? undefined : createSpace(a.space, a.resolution === undefined ? {} : { resolution: a.resolution });
  return evaluatorFromArgs({ ...a, evaluator: a.evaluator }, space, trainingSettings(a));
}
