/**
 * Does the parent of pinned round workers take CPU from the rounds they time? The same small LUT with its
 * nets interleaved (profile() with `nets`, as bench/fidelity.ts does) profiled under `--fresh-process`
 * pinned two ways, alternating: `shared` (the parent pinned to the measuring CPU, its workers inheriting
 * it: what --cpu with --fresh-process did before the fix) and `apart` (the workers started on the chosen
 * CPU, the parent moved to the others: devices/pin.ts placeApart). Per run it reports what the parent
 * did while a worker timed (its CPU time over the rounds' wall time, all its threads: process.cpuUsage),
 * how often the worker was preempted (its nonvoluntary context switches per second of rounds,
 * /proc/<pid>/status), and the plain LUT sum against the nets measured in the same passes.
 *
 *   node --import tsx bench/fresh-placement.ts --space darts --resolution 32 --nets 6 --repeats 2
 *
 * Linux with taskset and 2+ CPUs.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { agreement, errorPct } from '../src/core/agreement.js';
import { lutInstances } from '../src/core/decompose.js';
import { Rng } from '../src/core/rng.js';
import { predict } from '../src/predict/predictor.js';
import { profile } from '../src/profile/profiler.js';
import { createSpace } from '../src/spaces/registry.js';
import { ensurePinned } from '../devices/pin.js';
import { resolveDevice } from '../devices/registry.js';
import { FreshProcessTimer } from '../devices/round-worker.js';
import { DEFAULT_PROTOCOL, type TimingProtocol } from '../devices/types.js';
import { networkModel } from '../export/model.js';
import { readLut } from '../lut/store.js';

const args = await yargs(process.argv.slice(2))
  .option('space', { type: 'string', default: 'darts' })
  .option('resolution', { type: 'number', default: 32 })
  .option('nets', { type: 'number', default: 6 })
  .option('repeats', { type: 'number', default: 2, describe: 'runs of each placement, alternating shared, apart, shared, …' })
  .option('cpu', { type: 'string', default: 'auto' })
  .option('out-dir', { type: 'string', default: 'out/bench/fresh-placement' })
  .strict()
  .parse();

const space = createSpace(args.space, { resolution: args.resolution });
const rng = new Rng(0);
const archs = Array.from({ length: args.nets }, () => space.build(space.sample(rng)));
const instances = archs.flatMap((a) => lutInstances(a).map((p) => p.inst));
const options = { threads: 1 };
const device = await resolveDevice('cpu', options);
mkdirSync(args.outDir, { recursive: true });

// What the parent and the worker do during each round: the parent's CPU time (all threads) and the
// worker's involuntary switches, summed over every FreshProcessTimer.time() call.
const during = { wallMs: 0, parentCpuMs: 0, workerSwitches: 0 };
const switches = (pid?: number) => Number(/nonvoluntary_ctxt_switches:\s*(\d+)/.exec(pid ? readFileSync(`/proc/${pid}/status`, 'utf8') : '')?.[1] ?? 0);
const time = FreshProcessTimer.prototype.time;
FreshProcessTimer.prototype.time = async function (this: FreshProcessTimer, model, protocol) {
  const pid = this.pid;
  const c0 = process.cpuUsage();
  const s0 = switches(pid);
  const t0 = performance.now();
  const r = await time.call(this, model, protocol);
  during.wallMs += performance.now() - t0;
  const c = process.cpuUsage(c0);
  during.parentCpuMs += (c.user + c.system) / 1000;
  during.workerSwitches += switches(pid) - s0;
  return r;
};

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
console.log(`${args.nets} random ${args.space}@${args.resolution} nets, ${new Set(instances.map((i) => JSON.stringify(i))).size} op instances, ort-cpu 1 thread, --cpu ${args.cpu}, rounds ${DEFAULT_PROTOCOL.rounds}`);
console.log('| run | placement | load start → end | parent CPU during rounds | worker preemptions /s | plain sum / measured, median | plain sum within ±10% | mean signed err | seconds |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (let run = 0; run < 2 * args.repeats; run++) {
  const mode = run % 2 ? 'apart' : 'shared';
  // shared: this process pinned to the CPU, workers started unpinned inherit it (the defect's placement).
  const protocol: TimingProtocol = mode === 'apart' ? { ...DEFAULT_PROTOCOL, freshProcess: true, cpu: args.cpu } : { ...DEFAULT_PROTOCOL, freshProcess: true };
  if (mode === 'shared') ensurePinned(args.cpu);
  const lutPath = path.join(args.outDir, `${mode}-${run}.lut.json`);
  rmSync(lutPath, { force: true });
  Object.assign(during, { wallMs: 0, parentCpuMs: 0, workerSwitches: 0 });
  const l0 = loadavg();
  const t0 = Date.now();
  const r = await profile({
    device,
    instances,
    lutPath,
    protocol,
    workerDevice: { name: 'cpu', options },
    nets: archs.map((a, i) => ({ id: String(i), instances: lutInstances(a).map((p) => p.inst), build: () => networkModel(a) })),
    onWarning: (m) => console.error(`warning: ${m}`),
  });
  const lut = readLut(lutPath);
  const measured = archs.map((_, i) => r.nets.get(String(i))!.stats.median);
  const plain = archs.map((a) => predict({ ...lut, calibration: undefined }, a).ms);
  const ratios = plain.map((p, i) => p / measured[i]).sort((a, b) => a - b);
  const g = agreement(plain, measured);
  const bias = plain.reduce((s, p, i) => s + errorPct(p, measured[i]), 0) / plain.length;
  const where = lut.protocol.placement ? ` (workers ${lut.protocol.placement.measuring}, parent ${lut.protocol.placement.parent})` : '';
  console.log(
    `| ${run + 1} | ${mode}${where} | ${l0} → ${loadavg()} | ${((100 * during.parentCpuMs) / during.wallMs).toFixed(1)}% (${during.parentCpuMs.toFixed(0)} of ${during.wallMs.toFixed(0)} ms) | ${((1000 * during.workerSwitches) / during.wallMs).toFixed(1)} | ${ratios[ratios.length >> 1].toFixed(3)} | ${g.within10.toFixed(0)}% | ${bias.toFixed(1)}% | ${((Date.now() - t0) / 1000).toFixed(1)} |`,
  );
}
await device.dispose();
