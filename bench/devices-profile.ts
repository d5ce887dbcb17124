/**
 * What one LUT entry costs and shows on each device: for a few representative ops, session/model
 * setup, the cold (first) run, the warm median the LUT stores, how many samples that took, and the
 * wall time of the whole entry (export + setup + measure). Devices not available here are listed
 * with their reason. Asserts nothing.
 *
 *   node --import tsx bench/devices-profile.ts [--devices wasm,webgpu-native,...] [--size tiny|mobile] [--fast]
 *                                               [--set webgpu-native.preferredLayout=NCHW ...]
 *
 * tiny: 1x16x28x28 inputs (smoke figures); mobile: 1x32x56x56 inputs, closer to MobileNet's middle
 * stages. --fast uses a short protocol (3 warm-up, 10-50 repeats, 1 s), else DEFAULT_PROTOCOL.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DEVICES, resolveDevice, type DeviceName } from '../devices/registry.js';
import { DEFAULT_PROTOCOL, type DeviceOptions, type TimingProtocol } from '../devices/types.js';
import { opModel } from '../export/model.js';
import { instance, type OpInstance } from '../src/core/ops.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: 'ort-cpu,wasm,webgpu-native,tfjs-cpu,tfjs-wasm,tfjs-node,cuda' },
    size: { type: 'string', default: 'tiny' },
    fast: { type: 'boolean', default: false },
    set: { type: 'string', multiple: true, default: [] },
  },
});
const [c, hw] = values.size === 'mobile' ? [32, 56] : [16, 28];
const protocol: TimingProtocol = values.fast ? { warmup: 3, minRepeats: 10, maxRepeats: 50, maxTimeMs: 1000, targetCI: 0.05 } : DEFAULT_PROTOCOL;
/** One thread everywhere it is a choice, so devices are compared on equal terms on a shared machine. */
const OPTIONS: Partial<Record<string, DeviceOptions>> = { 'ort-cpu': { threads: 1 }, wasm: { threads: 1 } };
for (const item of values.set) {
  const m = /^([\w-]+)\.(\w+)=(.*)$/.exec(item);
  if (!m) throw new Error(`--set takes device.option=value, got '${item}'`);
  OPTIONS[m[1]] = { ...OPTIONS[m[1]], [m[2]]: m[3] };
}

const OPS: { name: string; inst: OpInstance }[] = [
  { name: 'conv 3x3', inst: instance({ kind: 'conv', cout: c, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, c, hw, hw]) },
  { name: 'dwconv 5x5 s2', inst: instance({ kind: 'dwconv', k: 5, stride: 2, dilation: 1, act: 'relu6' }, [1, c, hw, hw]) },
  { name: 'mbconv k5 e6 se', inst: instance({ kind: 'mbconv', cout: c, k: 5, stride: 1, expand: 6, se: 0.25, act: 'hswish', skip: true }, [1, c, hw, hw]) },
  { name: 'gpool avg', inst: instance({ kind: 'gpool', mode: 'avg' }, [1, c, hw, hw]) },
];

console.log(`inputs ${values.size} (C=${c}, ${hw}x${hw}); protocol ${JSON.stringify(protocol)}\n`);
console.log('| device | op | setup ms | cold ms | warm median ms | cold/warm | samples | entry wall ms |');
console.log('|---|---|---|---|---|---|---|---|');
const unavailable: string[] = [];
for (const name of values.devices.split(',') as DeviceName[]) {
  if (!(name in DEVICES)) throw new Error(`unknown device '${name}'`);
  const available = await DEVICES[name].available();
  if (available !== true) {
    unavailable.push(`- ${name}: ${available}`);
    continue;
  }
  const device = await resolveDevice(name, OPTIONS[name]);
  const info = await device.init();
  for (const { name: op, inst } of OPS) {
    const t0 = performance.now();
    const r = await device.time(opModel(inst), protocol);
    const wall = performance.now() - t0;
    const s = r.stats;
    console.log(
      `| ${name}${info.adapter?.isFallback ? ' (software adapter)' : ''} | ${op} | ${r.setupMs.toFixed(1)} | ${r.coldMs.toFixed(2)} | ${s.median.toFixed(3)} | ${(r.coldMs / s.median).toFixed(1)} | ${s.n + s.rejected} | ${wall.toFixed(0)} |`,
    );
  }
  await device.dispose();
}
if (unavailable.length) console.log(`\nnot available here:\n${unavailable.join('\n')}`);
