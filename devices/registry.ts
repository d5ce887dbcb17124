/**
 * Every device, by name. Adding a device is one line in DEVICES (and an alias, if it has one).
 * Factories are cheap objects: each device imports its runtime inside init(), so importing this
 * table loads no runtime.
 */
import { DeviceUnavailableError } from '../src/core/errors.js';
import { Registry } from '../src/core/registry.js';
import { mockFactory } from './mock/index.js';
import { ortCpuFactory } from './ort-cpu/index.js';
import { ortWasmFactory } from './ort-wasm/index.js';
import { ortWebGpuFactory } from './ort-webgpu-native/index.js';
import { cudaFactory } from './cuda/index.js';
import { tfjsCpuFactory, tfjsNodeFactory, tfjsWasmFactory } from './tfjs/index.js';
import { browserWasmFactory, tfjsWebglFactory, tfjsWebgpuFactory, webgpuFactory } from './browser/index.js';
import { remoteFactory } from './remote/index.js';
import type { Device, DeviceFactory, DeviceOptions } from './types.js';

export const DEVICES = {
  'ort-cpu': ortCpuFactory,
  mock: mockFactory,
  wasm: ortWasmFactory,
  'webgpu-native': ortWebGpuFactory,
  cuda: cudaFactory,
  'tfjs-cpu': tfjsCpuFactory,
  'tfjs-wasm': tfjsWasmFactory,
  'tfjs-node': tfjsNodeFactory,
  webgpu: webgpuFactory,
  'browser-wasm': browserWasmFactory,
  'tfjs-webgl': tfjsWebglFactory,
  'tfjs-webgpu': tfjsWebgpuFactory,
  remote: remoteFactory,
} satisfies Record<string, DeviceFactory>;

export type DeviceName = keyof typeof DEVICES;

/** Short names users type, mapped to registry names. */
export const DEVICE_ALIASES = {
  cpu: 'ort-cpu',
} satisfies Record<string, DeviceName>;

export const DEVICE_NAMES = Object.keys(DEVICES) as DeviceName[];

export const DEVICE_REGISTRY = new Registry<DeviceFactory>('device', DEVICES, {
  aliases: DEVICE_ALIASES,
  hint: 'run nas-devices to see which are available here',
});

/** The registry name behind `name` (an alias or a registry name); UserError listing the known names otherwise. */
export function deviceName(name: string): DeviceName {
  return DEVICE_REGISTRY.resolve(name) as DeviceName;
}

export function deviceFactory(name: string): DeviceFactory {
  return DEVICE_REGISTRY.get(name);
}

/** Creates (does not init) the device called `name`; DeviceUnavailableError if it cannot run here. */
export async function resolveDevice(name: string, options: DeviceOptions = {}): Promise<Device> {
  const factory = deviceFactory(name);
  const available = await factory.available();
  if (available !== true) throw new DeviceUnavailableError(factory.name, available);
  return factory.create(options);
}

export interface DeviceListing {
  name: DeviceName;
  description: string;
  /** true, or why it cannot run here. */
  available: true | string;
}

/** Every registered device and whether it can run here (for the nas-devices command). */
export async function listDevices(): Promise<DeviceListing[]> {
  return Promise.all(
    DEVICE_NAMES.map(async (name) => {
      const factory: DeviceFactory = DEVICES[name];
      let available: true | string;
      try {
        available = await factory.available();
      } catch (e) {
        available = `availability check failed: ${(e as Error).message}`;
      }
      return { name, description: factory.description, available };
    }),
  );
}
