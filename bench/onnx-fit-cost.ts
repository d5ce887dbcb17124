/**
 * What the default in-file fit costs a fresh LUT, and where the time goes: `nas profile --onnx FILE` as the CLI
 * runs it (src/onnx/wall-fit.ts: the file's units, the built-in nets' units and the nets timed whole in one set
 * of shuffled passes), with the device's timings summed by what was timed (the nets whole, the overhead, units;
 * with the timing reference, its batches are inside each timing), the planning of the built-in nets, and the rest
 * (the units' own NCHWc reorders asked of onnxruntime, building the unit models, the LUT's writes).
 *
 *   node --import tsx bench/onnx-fit-cost.ts --onnx model.onnx [--device cpu] [--reference auto|off] [--out-dir D]
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import yargs from 'yargs';
import { DEVICE_REGISTRY, resolveDevice } from '../devices/registry.js';
import { chooseReference, defaultEstimator } from '../devices/reference-choice.js';
import { overheadModel } from '../export/model.js';
import { DEFAULT_PROTOCOL, type Device, type ModelUnderTest, type TimingProtocol } from '../devices/types.js';
import { builtInCalibrationPlans, WALL_CALIBRATION } from '../src/onnx/calibration-set.js';
import { partitionRuleFor, planOnnx } from '../src/onnx/plan.js';
import { measureWallFit } from '../src/onnx/wall-fit.js';
import { OVERHEAD_ITEM } from '../lut/overhead.js';

const args = await yargs(process.argv.slice(2))
  .option('onnx', { type: 'string', demandOption: true })
  .option('device', { type: 'string', default: 'cpu' })
  .option('reference', { type: 'string', default: 'auto' })
  .option('out-dir', { type: 'string', default: 'out/bench/onnx-fit-cost' })
  .strict()
  .parse();
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const load0 = loadavg();
const t0 = performance.now();
const inner = await resolveDevice(args.device, { threads: 1 });
const info = await inner.init();
const rule = partitionRuleFor(info);
const reference = chooseReference(args.reference, DEVICE_REGISTRY.find(args.device));
const protocol: TimingProtocol = { ...DEFAULT_PROTOCOL, ...(reference ? { reference } : {}), estimator: defaultEstimator(reference) };
const nets = new Set<string>();
const spent = { nets: 0, overhead: 0, units: 0, timings: { nets: 0, overhead: 0, units: 0 } };
const overheadKey = overheadModel([1, 1, 1, 1]).key;
const kind = (m: ModelUnderTest) => (nets.has(m.key) ? 'nets' : m.key === overheadKey || m.key === OVERHEAD_ITEM ? 'overhead' : 'units');
const timed = <A extends unknown[], R>(f: (m: ModelUnderTest, ...rest: A) => Promise<R>) =>
  async (m: ModelUnderTest, ...rest: A): Promise<R> => {
    const t = performance.now();
    try {
      return await f(m, ...rest);
    } finally {
      spent[kind(m)] += performance.now() - t;
      spent.timings[kind(m)]++;
    }
  };
const device = new Proxy(inner, {
  get(target, prop, receiver) {
    const v = Reflect.get(target, prop, receiver);
    if ((prop === 'time' || prop === 'timeWithReference') && typeof v === 'function') return timed((v as (...a: unknown[]) => Promise<unknown>).bind(target) as never);
    return typeof v === 'function' ? v.bind(target) : v;
  },
}) as Device;
const tp = performance.now();
const user = await planOnnx(args.onnx, rule);
const builtIn = await builtInCalibrationPlans(rule, WALL_CALIBRATION);
for (const p of builtIn) nets.add(p.graph.file);
const planMs = performance.now() - tp;
const dir = args.outDir;
mkdirSync(dir, { recursive: true });
const lutPath = path.join(dir, 'fit-cost.lut.json');
rmSync(lutPath, { force: true });
rmSync(`${lutPath}.rounds.json`, { force: true });
const tf = performance.now();
const fit = await measureWallFit({ device, protocol, lutPath, rule, plans: [user] });
const fitMs = performance.now() - tf;
await inner.dispose();
const totalMs = performance.now() - t0;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const rest = fitMs - spent.nets - spent.overhead - spent.units;
const lines = [
  `${args.onnx} on ${info.device} (reference ${reference ?? 'off'}), fresh LUT; load ${load0} → ${loadavg()}`,
  `total ${s(totalMs)}: planning the file and the ${builtIn.length} built-in nets ${s(planMs)} (the nets again inside the fit), profiling and fit ${s(fitMs)}`,
  `  device timings: nets whole ${s(spent.nets)} (${spent.timings.nets} rounds), units ${s(spent.units)} (${spent.timings.units} rounds), overhead ${s(spent.overhead)} (${spent.timings.overhead} rounds)`,
  `  the rest of the fit (the nets planned again, units' own reorders asked of onnxruntime, unit models built, LUT writes): ${s(rest)}`,
  `  ${fit.profile.measured} units measured; fit ${((fit.correction.cacheBytes ?? 0) / 2 ** 20).toFixed(1)} MiB, ${((fit.correction.perMissedByteMs ?? 0) * 2 ** 20 * 1000).toFixed(1)} µs/MiB`,
];
console.log(lines.join('\n'));
writeFileSync(path.join(dir, 'fit-cost.json'), JSON.stringify({ args, load: { start: load0, end: loadavg() }, totalMs, planMs, fitMs, spent, measured: fit.profile.measured, correction: fit.correction }, null, 1));
