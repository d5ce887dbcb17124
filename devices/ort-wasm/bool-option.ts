/**
 * A yes/no device option. Options arrive from the CLI as strings ("true", "0") or from a config file
 * as booleans; anything else fails with the device and option named. (devices/options.ts reads
 * numbers, enums and lists; this is its boolean counterpart for the devices in this folder's family.)
 */
import { UserError } from '../../src/core/errors.js';
import type { DeviceOptions } from '../types.js';

const TRUE = new Set<unknown>([true, 1, 'true', '1', 'yes']);
const FALSE = new Set<unknown>([false, 0, 'false', '0', 'no']);

export function booleanOption(device: string, options: DeviceOptions, name: string, fallback: boolean): boolean {
  const raw = options[name];
  if (raw === undefined || raw === '') return fallback;
  if (TRUE.has(raw)) return true;
  if (FALSE.has(raw)) return false;
  throw new UserError(`device '${device}': option '${name}' must be true or false, got ${JSON.stringify(raw)}`);
}
