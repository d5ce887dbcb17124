/**
 * Issue 17: a published net exported to ONNX, predicted from a tfjs unit LUT (every unit's nodes as a primitive
 * graph, src/onnx/primitives.ts unitGraph) vs the same net timed whole on the same tfjs device from its
 * architecture's primitive graph, in the same shuffled passes as the units (profileUnits' alsoTime).
 *
 *   node --import tsx bench/onnx-tfjs-units.ts --device tfjs-cpu --net MobileNetV2-1.0 --resolution 128
 *
 * Prints the units timed / not timed, the prediction, the whole-net figure and their ratio.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yargs from 'yargs';
import { resolveDevice } from '../devices/registry.js';
import { DEFAULT_PROTOCOL } from '../devices/types.js';
import { networkModel } from '../export/model.js';
import { readLut } from '../lut/store.js';
import { partitionRuleFor, planOnnx } from '../src/onnx/plan.js';
import { predictOnnx } from '../src/onnx/predict.js';
import { profileUnits } from '../src/onnx/profile-units.js';
import { publishedArchitecture } from '../src/spaces/catalog.js';

const args = await yargs(process.argv.slice(2))
  .option('device', { type: 'string', default: 'tfjs-cpu' })
  .option('net', { type: 'string', default: 'MobileNetV2-1.0' })
  .option('resolution', { type: 'number', default: 128 })
  .strict()
  .parse();

const dir = path.join(os.tmpdir(), `onnx-tfjs-units-${process.pid}`);
mkdirSync(dir, { recursive: true });
process.env.HW_NAS_CACHE ??= path.join(dir, 'cache');
try {
  const arch = publishedArchitecture(args.net, { resolution: args.resolution });
  const file = path.join(dir, `${args.net}.onnx`);
  writeFileSync(file, networkModel(arch).onnx);
  const device = await resolveDevice(args.device);
  const info = await device.init();
  const plan = await planOnnx(file, partitionRuleFor(info));
  const lutPath = path.join(dir, 'units.lut.json');
  const wholeKey = `whole:${args.net}@${args.resolution}`;
  const t0 = Date.now();
  const s = await profileUnits({ device, plans: [plan], protocol: DEFAULT_PROTOCOL, lutPath, alsoTime: [{ key: wholeKey, build: () => networkModel(arch) }] });
  const profileS = (Date.now() - t0) / 1000;
  const lut = readLut(lutPath);
  const timed = plan.units.filter((u) => lut.entries[u.key]).length;
  const p = predictOnnx(lut, plan);
  const whole = s.timed.get(wholeKey)!.stats.median;
  console.log(`${args.net} @${args.resolution} on ${info.device} (${info.runtime} ${info.runtimeVersion}): ${plan.units.length} units, ${timed} timed, ${s.skipped.length} not timed${s.skipped.map((k) => `\n  ${k.key}: ${k.reason}`).join('')}`);
  console.log(`profile ${profileS.toFixed(0)} s; overhead ${s.overheadMs.toFixed(3)} ms`);
  console.log(`predicted ${p.ms.toFixed(2)} ms (CI ${p.ci95.map((x) => x.toFixed(2)).join('–')}), whole net ${whole.toFixed(2)} ms, predicted/whole ${(p.ms / whole).toFixed(3)}`);
  console.log(`top units: ${p.units.slice(0, 5).map((u) => `${u.ops.join('+')} ${u.ms.toFixed(2)} ms`).join('; ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
