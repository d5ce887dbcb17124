/** What machine a measurement was taken on; recorded in every DeviceInfo. */
import os from 'node:os';
import type { HostInfo } from './types.js';

export function hostInfo(): HostInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() || os.arch(),
    cores: cpus.length || os.availableParallelism(),
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}
