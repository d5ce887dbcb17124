/**
 * Where does the variance of ort-cpu timings across processes and minutes come from? Interleaves, in
 * short blocks, the same two networks timed (a) in this long-lived process and (b) in a fresh worker
 * process, each pinned to every CPU in turn (and once unpinned), with the fixed-kernel speed probe
 * (devices/noise.ts) beside each, and the load average per block. Then splits the spread of the log
 * timings into: CPU (same block, same mode, one CPU against the other), process (same block, same CPU,
 * fresh against long-lived) and time (block means over the run).
 *
 *   node --import tsx bench/core-drift.ts --blocks 16
 *
 * Writes every measurement to out/bench/core-drift.json. Linux with taskset only.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import yargs from 'yargs';
import { affinitySupport, setAffinity, usableCpus, currentCpu } from '../devices/affinity.js';
import { speedProbe } from '../devices/speed-probe.js';
import { resolveDevice } from '../devices/registry.js';
import { FreshProcessTimer } from '../devices/round-worker.js';
import type { ModelUnderTest, TimingProtocol } from '../devices/types.js';
import { networkModel } from '../export/model.js';
import { Rng } from '../src/core/rng.js';
import { createSpace } from '../src/spaces/registry.js';

const args = await yargs(process.argv.slice(2))
  .option('blocks', { type: 'number', default: 16 })
  .option('runs', { type: 'number', default: 60, describe: 'timed runs of the darts net per measurement (mbv2 gets 5×)' })
  .option('seed', { type: 'number', default: 0 })
  .option('out', { type: 'string', default: 'out/bench/core-drift.json' })
  .option('report', { type: 'string', describe: 'only print the tables of an earlier run\'s JSON' })
  .strict()
  .parse();

type Stat = 'ms' | 'p10' | 'min';
/** The spread split into its parts, per net and statistic: mean |log ratio| as %, over the pairs that share everything else. */
function report(rows: Row[]): void {
  const pct = (x: number) => `${(100 * (Math.exp(x) - 1)).toFixed(1)}%`;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const nets = [...new Set(rows.map((r) => r.net))];
  const pins = [...new Set(rows.map((r) => r.pin))].filter((p) => !p.includes('+')).sort((a, b) => Number(a) - Number(b));
  const find = (block: number, mode: string, pin: string, net: string) => rows.find((r) => r.block === block && r.mode === mode && r.pin === pin && r.net === net);
  const blocks = [...new Set(rows.map((r) => r.block))];
  console.log('| net | statistic | CPU: mean \\|cpu' + pins[1] + '/cpu' + pins[0] + '\\| (signed) | process: mean \\|fresh/long\\| (signed) | time: each series max/min over blocks, median | probe ms cpu' + pins.join('/cpu') + ' |');
  console.log('|---|---|---|---|---|---|');
  for (const net of nets)
    for (const stat of ['ms', 'p10', 'min'] as Stat[]) {
      const cpu: number[] = [];
      const proc: number[] = [];
      for (const b of blocks)
        for (const mode of ['long', 'fresh']) {
          const a = find(b, mode, pins[0], net);
          const c = find(b, mode, pins[1], net);
          if (a && c) cpu.push(Math.log(c[stat] / a[stat]));
        }
      for (const b of blocks)
        for (const pin of pins) {
          const l = find(b, 'long', pin, net);
          const f = find(b, 'fresh', pin, net);
          if (l && f) proc.push(Math.log(f[stat] / l[stat]));
        }
      const ranges: number[] = [];
      for (const mode of ['long', 'fresh'])
        for (const pin of pins) {
          const xs = rows.filter((r) => r.mode === mode && r.pin === pin && r.net === net).map((r) => r[stat]);
          if (xs.length > 1) ranges.push(Math.max(...xs) / Math.min(...xs));
        }
      ranges.sort((a, b) => a - b);
      const probes = pins.map((p) => mean(rows.filter((r) => r.pin === p && r.net === net).map((r) => r.probeBefore)).toFixed(3));
      console.log(
        `| ${net} | ${stat === 'ms' ? 'median' : stat} | ${pct(mean(cpu.map(Math.abs)))} (${pct(mean(cpu))}) | ${pct(mean(proc.map(Math.abs)))} (${pct(mean(proc))}) | ${ranges[ranges.length >> 1].toFixed(2)}× | ${probes.join(' / ')} |`,
      );
    }
}
if (args.report) {
  report(JSON.parse(readFileSync(args.report, 'utf8')).rows);
  process.exit(0);
}

if (affinitySupport() !== true) throw new Error(String(affinitySupport()));
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim();
const cpus = usableCpus();
const rng = new Rng(args.seed);
const darts = createSpace('darts', { resolution: 32 });
const mbv2 = createSpace('mbv2', { resolution: 128 });
const nets: { name: string; model: ModelUnderTest; runs: number }[] = [
  { name: 'darts@32', model: networkModel(darts.build(darts.sample(rng))), runs: args.runs },
  { name: 'mbv2@128', model: networkModel(mbv2.build(mbv2.sample(rng))), runs: 5 * args.runs },
];
const protocolOf = (runs: number): TimingProtocol => ({ warmup: 10, minRepeats: runs, maxRepeats: runs, maxTimeMs: 1e9, targetCI: 1e-9 });
const options = { threads: 1 };
const device = await resolveDevice('ort-cpu', options);
await device.init();
const timer = new FreshProcessTimer({ name: 'ort-cpu', options });

interface Row {
  block: number;
  t: number;
  load: string;
  mode: 'long' | 'fresh';
  pin: string;
  net: string;
  ms: number;
  p10: number;
  min: number;
  probeBefore: number;
  probeAfter: number;
  cpuEnd?: number;
}
const rows: Row[] = [];
const t0 = Date.now();
console.log(`cpus ${cpus.join(',')}; load at start ${loadavg()}`);
for (let block = 0; block < args.blocks; block++) {
  const pins = [...cpus.map((c) => [c]), cpus];
  for (let i = pins.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [pins[i], pins[j]] = [pins[j], pins[i]];
  }
  for (const pin of pins) {
    setAffinity(pin);
    const modes: ('long' | 'fresh')[] = rng.int(2) ? ['long', 'fresh'] : ['fresh', 'long'];
    for (const mode of modes) {
      if (mode === 'fresh') await timer.restart(); // the child inherits the pin
      for (const net of nets) {
        const before = speedProbe().minMs;
        const r = mode === 'long' ? await device.time(net.model, protocolOf(net.runs)) : await timer.time(net.model, protocolOf(net.runs));
        const after = mode === 'long' ? speedProbe().minMs : (await timer.time(net.model, protocolOf(1))).noise?.probeMs ?? NaN;
        const cpuEnd = mode === 'long' ? currentCpu() : undefined;
        const stats = 'stats' in r ? r.stats : r;
        rows.push({ block, t: (Date.now() - t0) / 1000, load: loadavg().split(' ')[0], mode, pin: pin.join('+'), net: net.name, ms: stats.median, p10: stats.p10, min: stats.min, probeBefore: before, probeAfter: after, cpuEnd });
      }
      if (mode === 'fresh') await timer.stop();
    }
  }
  const last = rows.filter((r) => r.block === block);
  console.log(
    `block ${block} t=${last[0].t.toFixed(0)}s load ${loadavg()}: ` +
      last.map((r) => `${r.mode[0]}${r.pin}/${r.net.slice(0, 2)} ${r.ms.toFixed(2)}/${r.p10.toFixed(2)} (p ${r.probeBefore.toFixed(3)})`).join('  '),
  );
}
setAffinity(cpus);
await timer.stop();
await device.dispose();
mkdirSync('out/bench', { recursive: true });
writeFileSync(args.out, JSON.stringify({ cpus, rows }, null, 1));
report(rows);
console.log(`load at end ${loadavg()}; ${rows.length} measurements in ${((Date.now() - t0) / 1000).toFixed(0)} s → ${args.out}`);
