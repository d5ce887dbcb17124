/** The flags that send a command's measurements (profile, verify) or accuracy evaluations (search) to a farm of workers over Redis (src/farm/). */
import type { Argv } from 'yargs';
import type { AccuracyEvaluator } from '../../core/contracts.js';
import { UserError } from '../../core/errors.js';
import type { FarmDevice } from '../../farm/farm-device.js';
import type { FarmEvaluator } from '../../farm/evaluation.js';
import type { Searcher } from '../../search/types.js';
import { log } from '../output.js';
import { toDeviceOptions } from './common.js';

export function farmOptions<T>(y: Argv<T>) {
  return y
    .option('redis', { type: 'string', describe: 'measure on a farm: workers (nas worker) on the devices take the jobs from this Redis (redis://[:PASSWORD@]HOST:PORT[/DB], rediss:// for TLS)' })
    .option('fingerprint', { type: 'string', describe: 'farm: the device fingerprint to measure on, when workers of several devices match (a prefix is enough)' })
    .option('farm-wait', { type: 'number', default: 10, describe: 'farm: seconds to wait for a matching worker (at the start, and when all have left mid-run) before giving up' })
    .option('farm-attempts', { type: 'number', default: 3, describe: 'farm: tries per job before it is reported failed with its reason' });
}

export interface FarmArgs {
  redis?: string;
  fingerprint?: string;
  farmWait: number;
  farmAttempts: number;
  device: string;
  deviceOpt?: string[];
}

/** The farm's stand-in for the device named by --device and its options; `fresh`: every model measured anew (nas profile --force). */
export async function openFarmDevice(a: FarmArgs & Parameters<typeof toDeviceOptions>[0], o: { fresh?: boolean } = {}): Promise<FarmDevice> {
  if (!(a.farmWait >= 0)) throw new UserError(`--farm-wait must be a non-negative number of seconds, got ${a.farmWait}`);
  if (!(Number.isInteger(a.farmAttempts) && a.farmAttempts >= 1)) throw new UserError(`--farm-attempts must be a positive integer, got ${a.farmAttempts}`);
  const { deviceName } = await import('../../../devices/registry.js');
  const { FarmDevice } = await import('../../farm/farm-device.js');
  return FarmDevice.open({
    redis: a.redis!,
    device: deviceName(a.device),
    options: toDeviceOptions(a),
    fingerprint: a.fingerprint,
    waitMs: a.farmWait * 1000,
    attempts: a.farmAttempts,
    fresh: o.fresh,
    log,
  });
}

/** Candidates under evaluation at once on a farm, unless --pending says otherwise. */
const DEFAULT_PENDING = 8;

/** The flags of `nas search --redis`: accuracy evaluations on the farm's workers, the strategy asynchronous. */
export function searchFarmOptions<T>(y: Argv<T>) {
  return y
    .option('redis', { type: 'string', describe: 'evaluate on a farm: workers started with the same evaluator flags (nas worker --evaluator …) take the evaluations from this Redis; random, evolution and nsga2 then run asynchronously' })
    // No yargs default: --pending given without --redis must be told apart from the default, to refuse it.
    .option('pending', { type: 'number', describe: `with --redis: candidates under evaluation at once (keep it ≥ the workers' slots; default ${DEFAULT_PENDING}); part of the search: the same seed and --pending give the same front whatever the number of workers` })
    .option('farm-wait', { type: 'number', default: 10, describe: 'farm: seconds to wait for a worker serving the evaluator (at the start, and when all have left mid-run) before giving up' })
    .option('farm-attempts', { type: 'number', default: 3, describe: 'farm: tries per evaluation before it is reported failed with its reason' });
}

export interface SearchFarmArgs {
  redis?: string;
  pending?: number;
  farmWait: number;
  farmAttempts: number;
  evaluator: string;
  strategy: string;
}

/** Checks the farm flags of a search before any work starts (a no-op without --redis). */
export async function checkSearchFarmArgs(a: SearchFarmArgs): Promise<void> {
  if (a.redis === undefined) {
    // A local search evaluates one candidate at a time: --pending would change nothing, silently.
    if (a.pending !== undefined)
      throw new UserError('--pending needs --redis: it is how many candidates a farm evaluates at once; a local search evaluates one at a time', {
        hint: 'drop --pending, or evaluate on a farm: --redis redis://HOST:6379 with workers started by nas worker --evaluator …',
      });
    return;
  }
  if (!(a.farmWait >= 0)) throw new UserError(`--farm-wait must be a non-negative number of seconds, got ${a.farmWait}`);
  if (!(Number.isInteger(a.farmAttempts) && a.farmAttempts >= 1)) throw new UserError(`--farm-attempts must be a positive integer, got ${a.farmAttempts}`);
  if (a.pending !== undefined && !(Number.isInteger(a.pending) && a.pending >= 1)) throw new UserError(`--pending must be a positive integer (candidates under evaluation at once), got ${a.pending}`);
  const [{ FARM_EVALUATORS }, { ASYNC_POLICIES }, { parseRedisUrl }] = await Promise.all([
    import('../../farm/evaluation.js'),
    import('../../search/strategies/async.js'),
    import('../../farm/connection.js'),
  ]);
  parseRedisUrl(a.redis);
  if (!FARM_EVALUATORS.includes(a.evaluator))
    throw new UserError(`--redis sends the evaluations of the ${FARM_EVALUATORS.join(', ')} evaluators to workers; --evaluator ${a.evaluator} runs here`, { hint: 'drop --redis' });
  if (!ASYNC_POLICIES.has(a.strategy))
    throw new UserError(`--redis runs ${ASYNC_POLICIES.names.join(', ')} asynchronously; --strategy ${a.strategy} runs on one machine`, { hint: 'drop --redis' });
}

/** With --redis: the asynchronous strategy and the farm's stand-in for `local`; undefined without. */
export async function openSearchFarm(a: SearchFarmArgs, local: AccuracyEvaluator): Promise<{ strategy: Searcher; evaluator: FarmEvaluator } | undefined> {
  if (a.redis === undefined) return undefined;
  const [{ AsyncSearch }, { FarmEvaluator }] = await Promise.all([import('../../search/strategies/async.js'), import('../../farm/evaluation.js')]);
  const strategy = new AsyncSearch(a.strategy, a.pending ?? DEFAULT_PENDING);
  const evaluator = await FarmEvaluator.open({ redis: a.redis, local, waitMs: a.farmWait * 1000, attempts: a.farmAttempts, log });
  return { strategy, evaluator };
}
