/** nas devices: every device plug-in, whether it can run on this machine, and why not. */
import type { CommandModule } from 'yargs';
import { table } from '../../core/format.js';
import { emit } from '../output.js';

export const devicesCommand: CommandModule<object, { json: boolean }> = {
  command: 'devices',
  describe: 'list the devices, whether each is available here, and why not',
  handler: async (a) => {
    const { listDevices, DEVICE_ALIASES } = await import('../../../devices/registry.js');
    const devices = await listDevices();
    emit(a, { devices: devices.map((d) => ({ ...d, available: d.available === true, reason: d.available === true ? undefined : d.available })), aliases: DEVICE_ALIASES }, () =>
      table(
        ['device', 'available', 'description / why not'],
        devices.map((d) => [d.name, d.available === true ? 'yes' : 'no', d.available === true ? d.description : d.available]),
      ),
    );
  },
};
