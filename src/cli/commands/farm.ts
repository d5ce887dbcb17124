/** The flags that send a command's measurements to a farm of workers over Redis (src/farm/), shared by profile and verify. */
import type { Argv } from 'yargs';
import { UserError } from '../../core/errors.js';
import type { FarmDevice } from '../../farm/farm-device.js';
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

/** The farm's stand-in for the device named by --device and its options. */
export async function openFarmDevice(a: FarmArgs & Parameters<typeof toDeviceOptions>[0]): Promise<FarmDevice> {
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
    log,
  });
}
