/**
 * Does V8's baseline wasm compiler (Liftoff) make the wasm device repeat less well from process to process?
 * Node compiles onnxruntime-web's wasm lazily with Liftoff first and tiers hot functions up to TurboFan in the
 * background, so a process may time part of its runs on baseline code. A later `nas verify` runs in another
 * process than the profile, so what matters is how far a model's figure moves between fresh processes.
 *
 * Starts --processes fresh Node processes per variant, alternating the variants so the machine's drift meets
 * them alike; each process times the same published net with the wasm device as a round of the default protocol
 * does (device.time: a fresh session, warm-up, timed runs) --rounds times, and reports the median of its rounds
 * and how long it took from start to its first timed figure. Variants (--variants, comma-separated):
 *
 *   liftoff      device option compiler=liftoff: V8's default (every LUT measured before the option)
 *   turbofan     the device's default, compiler=turbofan: `--no-liftoff` set by the device before the runtime
 *                compiles its module (lazy: each function compiled by TurboFan on its first call)
 *   cli          `node --no-liftoff` (which also turns lazy compilation off: the whole module compiled up front)
 *   eager-tierup compiler=liftoff plus `--no-wasm-dynamic-tiering`: Liftoff first, then every compiled
 *                function recompiled by TurboFan in the background at once rather than when it gets hot
 *
 *   node --import tsx bench/wasm-liftoff.ts --processes 4 --rounds 3 --net MobileNetV2-1.0 --resolution 128
 *
 * With --against FILE (the points JSON bench/fidelity.ts writes for --device wasm), each process instead times
 * every published net of that file, one after another as `nas verify` does, each --rounds rounds with the lowest
 * round kept (the default protocol's estimator), and the table compares them with the file's prediction
 * (calibrated LUT, profiled in the fidelity run's process) and with its in-process measurement:
 *
 *   node --import tsx bench/wasm-liftoff.ts --against out/bench/fidelity-wasm-128-t1-rounds.json --variants liftoff,turbofan --processes 2
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';

const args = await yargs(process.argv.slice(2))
  .option('processes', { type: 'number', default: 4 })
  .option('rounds', { type: 'number', default: 3 })
  .option('net', { type: 'string', default: 'MobileNetV2-1.0' })
  .option('resolution', { type: 'number', default: 128 })
  .option('variants', { type: 'string', default: 'liftoff,turbofan,cli,eager-tierup' })
  .option('against', { type: 'string', describe: 'a bench/fidelity.ts points JSON (wasm): time its published nets in each fresh process and compare' })
  .option('child', { type: 'boolean', default: false, hidden: true })
  .option('compiler', { type: 'string', default: 'turbofan', hidden: true, describe: 'child: the device option' })
  .option('extra-flags', { type: 'string', default: '', hidden: true, describe: 'child: V8 flags added to the ones the device sets' })
  .strict()
  .parse();

if (args.child) {
  const started = performance.now();
  if (args.extraFlags) {
    // The device sets its compiler's flags in init(); these ride along with them, after them.
    const v8 = createRequire(import.meta.url)('node:v8') as typeof import('node:v8');
    const set = v8.setFlagsFromString;
    v8.setFlagsFromString = (flags: string) => set(`${flags} ${args.extraFlags}`);
    syncBuiltinESMExports();
  }
  const { resolveDevice } = await import('../devices/registry.js');
  const { networkModel } = await import('../export/model.js');
  const { loadPublishedNets } = await import('../src/spaces/published.js');
  const { DEFAULT_PROTOCOL } = await import('../devices/types.js');
  const { roundProtocol } = await import('../devices/rounds.js');
  const device = await resolveDevice('wasm', { threads: 1, compiler: args.compiler });
  await device.init();
  if (args.against) {
    // Every published net of the fidelity run, in its order, the lowest of --rounds rounds each.
    const names = againstPoints(args.against).map((p) => p.name);
    const nets = loadPublishedNets({ resolution: args.resolution }).nets;
    const lowest: Record<string, number> = {};
    for (const name of names) {
      const n = nets.find((x) => x.name === name);
      if (!n) throw new Error(`no published net ${name} at ${args.resolution} px`);
      const model = networkModel(n);
      const rs: number[] = [];
      for (let i = 0; i < args.rounds; i++) rs.push((await device.time(model, roundProtocol(DEFAULT_PROTOCOL))).stats.median);
      lowest[name] = Math.min(...rs);
    }
    await device.dispose();
    console.log(JSON.stringify({ lowest, firstMs: performance.now() - started }));
    process.exit(0);
  }
  const net = loadPublishedNets({ resolution: args.resolution }).nets.find((n) => n.name === args.net);
  if (!net) throw new Error(`no published net ${args.net}`);
  const model = networkModel(net);
  const medians: number[] = [];
  let firstMs = 0;
  for (let i = 0; i < args.rounds; i++) {
    medians.push((await device.time(model, roundProtocol(DEFAULT_PROTOCOL))).stats.median);
    if (i === 0) firstMs = performance.now() - started;
  }
  await device.dispose();
  console.log(JSON.stringify({ medians, firstMs }));
} else {
  const self = fileURLToPath(import.meta.url);
  const known: Record<string, { label: string; node: string[]; child: string[] }> = {
    liftoff: { label: 'compiler=liftoff (V8\'s default: Liftoff, then TurboFan when hot)', node: [], child: ['--compiler', 'liftoff'] },
    turbofan: { label: 'compiler=turbofan (the device sets --no-liftoff; lazy)', node: [], child: ['--compiler', 'turbofan'] },
    cli: { label: '`node --no-liftoff` (eager: the whole module up front)', node: ['--no-liftoff'], child: ['--compiler', 'turbofan'] },
    'eager-tierup': { label: 'compiler=liftoff + --no-wasm-dynamic-tiering (every function tiered up at once)', node: [], child: ['--compiler', 'liftoff', '--extra-flags=--no-wasm-dynamic-tiering'] },
  };
  const variants = args.variants.split(',').map((v) => {
    const k = known[v.trim()];
    if (!k) throw new Error(`unknown variant ${v} (known: ${Object.keys(known).join(', ')})`);
    return [k.label, k] as const;
  });
  if (args.against) {
    await compareAgainst(args.against, variants, self);
    process.exit(0);
  }
  const results = new Map<string, { median: number; firstMs: number; wallMs: number; rounds: number[] }[]>(variants.map(([v]) => [v, []]));
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const load = () => execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');
  const loadStart = load();
  for (let p = 0; p < args.processes; p++)
    for (const [v, k] of p % 2 ? [...variants].reverse() : variants) {
      const t0 = performance.now();
      const out = execFileSync(process.execPath, [...k.node, '--import', 'tsx', self, '--child', ...k.child, '--rounds', String(args.rounds), '--net', args.net, '--resolution', String(args.resolution)], { encoding: 'utf8' });
      const r = JSON.parse(out.trim().split('\n').pop()!) as { medians: number[]; firstMs: number };
      results.get(v)!.push({ median: med(r.medians), firstMs: r.firstMs, wallMs: performance.now() - t0, rounds: r.medians });
    }
  console.log(`${args.net} at ${args.resolution} px on wasm (1 thread), ${args.processes} fresh processes per variant, ${args.rounds} rounds each (device.time under the default protocol's round limits); load ${loadStart} at the start, ${load()} at the end\n`);
  console.log('| variant | each process\'s median of its rounds, ms | max / min over processes | median | to the first figure, s (median) | process wall, s (median) |');
  console.log('|---|---|---|---|---|---|');
  for (const [v] of variants) {
    const rs = results.get(v)!;
    const ms = rs.map((r) => r.median);
    console.log(`| ${v} | ${ms.map((x) => x.toFixed(2)).join(', ')} | ${(Math.max(...ms) / Math.min(...ms)).toFixed(3)} | ${med(ms).toFixed(2)} | ${(med(rs.map((r) => r.firstMs)) / 1000).toFixed(1)} | ${(med(rs.map((r) => r.wallMs)) / 1000).toFixed(1)} |`);
  }
  console.log('\nEach process\'s rounds, ms (in order):');
  for (const [v] of variants) console.log(`- ${v}: ${results.get(v)!.map((r) => `[${r.rounds.map((x) => x.toFixed(1)).join(', ')}]`).join(' ')}`);
}

interface FidelityPoint {
  name: string;
  set: string;
  predicted: number;
  measured: number;
}

function againstPoints(file: string): FidelityPoint[] {
  const j = JSON.parse(readFileSync(file, 'utf8')) as { device: { device: string }; points: FidelityPoint[] };
  if (j.device.device !== 'wasm') throw new Error(`${file} was measured on ${j.device.device}, not wasm`);
  return j.points.filter((p) => p.set === 'published');
}

/** Fresh processes per variant, alternated, each timing the file's published nets; errors against the file's figures. */
async function compareAgainst(file: string, variants: (readonly [string, { node: string[]; child: string[] }])[], self: string): Promise<void> {
  const points = againstPoints(file);
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const loadStart = load();
  const runs = new Map<string, { lowest: Record<string, number>; firstMs: number }[]>(variants.map(([v]) => [v, []]));
  for (let p = 0; p < args.processes; p++)
    for (const [v, k] of p % 2 ? [...variants].reverse() : variants) {
      const out = execFileSync(process.execPath, [...k.node, '--import', 'tsx', self, '--child', ...k.child, '--against', file, '--rounds', String(args.rounds), '--resolution', String(args.resolution)], { encoding: 'utf8' });
      runs.get(v)!.push(JSON.parse(out.trim().split('\n').pop()!));
    }
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`${points.length} published nets of ${file} at ${args.resolution} px on wasm (1 thread), timed in ${args.processes} fresh process(es) per variant, ${args.rounds} rounds each (lowest kept); load ${loadStart} at the start, ${load()} at the end\n`);
  console.log('| variant | process | vs prediction: within ±10% | mean abs err | max abs err | first net\'s err | vs in-process measurement: mean abs Δ | max abs Δ |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [v] of variants)
    runs.get(v)!.forEach((r, i) => {
      const err = points.map((pt) => (pt.predicted / r.lowest[pt.name] - 1) * 100);
      const delta = points.map((pt) => (r.lowest[pt.name] / pt.measured - 1) * 100);
      const abs = (xs: number[]) => xs.map(Math.abs);
      console.log(`| ${v} | ${i + 1} | ${err.filter((e) => Math.abs(e) <= 10).length}/${err.length} | ${mean(abs(err)).toFixed(1)}% | ${Math.max(...abs(err)).toFixed(1)}% | ${pct(err[0])} | ${mean(abs(delta)).toFixed(1)}% | ${Math.max(...abs(delta)).toFixed(1)}% |`);
    });
  console.log('\nEach process\'s figures, ms (nets in the file\'s order; prediction first):');
  console.log(`- prediction: ${points.map((pt) => `${pt.name} ${pt.predicted.toFixed(2)}`).join(', ')}`);
  for (const [v] of variants) runs.get(v)!.forEach((r, i) => console.log(`- ${v} #${i + 1}: ${points.map((pt) => r.lowest[pt.name].toFixed(2)).join(', ')}`));
}
