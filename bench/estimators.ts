/**
 * Which round estimator repeats best? Measures the same models twice (pass A, then pass B) in rounds,
 * keeps every round, and for each estimator (devices/rounds.ts) and round count reports how well pass B
 * agrees with pass A (share within ±5/±10%, mean |difference|, Kendall τ). The one-round protocol of
 * before (one measure() per model, DEFAULT limits) is measured twice in the same run, between the round
 * passes, as the baseline.
 *
 *   node --import tsx bench/estimators.ts --device cpu --threads 1 --resolution 64 --count 30 --rounds 5
 *
 * Models: --count random mbv2 networks (seed --seed) and, with --ops, every op of the space (one-op
 * models, what LUT entries are). Prints markdown; the load average is printed at the start and the end.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import yargs from 'yargs';
import { agreement, type Agreement } from '../src/core/agreement.js';
import { Rng } from '../src/core/rng.js';
import { createSpace } from '../src/spaces/registry.js';
import { resolveDevice } from '../devices/registry.js';
import { estimate, measureInRounds, timeRound, type RoundRecord } from '../devices/rounds.js';
import { DEFAULT_PROTOCOL, ESTIMATORS, type DeviceOptions, type TimingProtocol } from '../devices/types.js';
import { networkModel, opModel } from '../export/model.js';
import type { ModelUnderTest } from '../devices/types.js';

const args = await yargs(process.argv.slice(2))
  .option('device', { type: 'string', default: 'cpu' })
  .option('threads', { type: 'number' })
  .option('resolution', { type: 'number', default: 64 })
  .option('count', { type: 'number', default: 30 })
  .option('ops', { type: 'boolean', default: false })
  .option('seed', { type: 'number', default: 0 })
  .option('rounds', { type: 'number', default: 5 })
  .strict()
  .parse();

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim();
console.log(`load at start: ${loadavg()} (${os.availableParallelism()} cores)`);
const space = createSpace('mbv2', { resolution: args.resolution });
const rng = new Rng(args.seed);
const models: { id: string; build: () => ModelUnderTest }[] = Array.from({ length: args.count }, (_, i) => {
  const arch = space.build(space.sample(rng));
  return { id: `net${i}`, build: () => networkModel(arch) };
});
if (args.ops) for (const inst of space.allInstances()) models.push({ id: `op:${models.length}`, build: () => opModel(inst) });

const options: DeviceOptions = args.threads !== undefined ? { threads: args.threads } : {};
const device = await resolveDevice(args.device, options);
await device.init();
const legacy: TimingProtocol = { ...DEFAULT_PROTOCOL, rounds: undefined, estimator: undefined, maxSpread: undefined, extraRounds: undefined };
for (const k of Object.keys(legacy) as (keyof TimingProtocol)[]) if (legacy[k] === undefined) delete legacy[k];
const rounded: TimingProtocol = { ...legacy, rounds: args.rounds };

async function legacyPass(): Promise<{ values: number[]; seconds: number }> {
  const t0 = performance.now();
  const values: number[] = [];
  for (const m of models) values.push((await device.time(m.build(), legacy)).stats.median);
  return { values, seconds: (performance.now() - t0) / 1000 };
}
async function roundPass(seed: number): Promise<{ rounds: RoundRecord[][]; seconds: number }> {
  const t0 = performance.now();
  const kept = new Map<string, RoundRecord[]>();
  await measureInRounds(models, (m) => m.id, rounded, { seed, time: (m) => timeRound(device, m.build(), rounded), onRound: (m, r) => kept.set(m.id, [...r]) });
  return { rounds: models.map((m) => kept.get(m.id)!), seconds: (performance.now() - t0) / 1000 };
}

const legacyA = await legacyPass();
const roundA = await roundPass(1);
const legacyB = await legacyPass();
const roundB = await roundPass(2);
await device.dispose();
console.log(`load at end: ${loadavg()}`);
// Every round kept, so other estimators can be compared on the same measurements without measuring again.
mkdirSync('out/bench', { recursive: true });
writeFileSync(
  `out/bench/estimators-${args.device}-${args.resolution}.json`,
  JSON.stringify({ args, models: models.map((m) => m.id), legacyA: legacyA.values, legacyB: legacyB.values, roundA: roundA.rounds.map((rs) => rs.map((r) => r.stats)), roundB: roundB.rounds.map((rs) => rs.map((r) => r.stats)) }),
);

const row = (label: string, seconds: string, a: Agreement, diffs: number[]) =>
  `| ${label} | ${seconds} | ${a.within5.toFixed(1)}% | ${a.within10.toFixed(1)}% | ${(diffs.reduce((s, x) => s + x, 0) / diffs.length).toFixed(2)}% | ${a.maxAbsErrorPct.toFixed(1)}% | ${a.kendallTau.toFixed(3)} |`;
const absDiffs = (a: number[], b: number[]) => a.map((x, i) => (100 * Math.abs(b[i] - x)) / x);
const sets: [string, (i: number) => boolean][] = [
  ['networks', (i) => i < args.count],
  ...(args.ops ? ([['ops', (i: number) => i >= args.count]] as [string, (i: number) => boolean][]) : []),
];
console.log(`\n${args.device} ${JSON.stringify(options)}, mbv2@${args.resolution}: ${args.count} networks${args.ops ? ` + ${models.length - args.count} ops` : ''}; pass B against pass A\n`);
for (const [name, keep] of sets) {
  const idx = models.map((_, i) => i).filter(keep);
  const pick = (xs: number[]) => idx.map((i) => xs[i]);
  console.log(`### ${name} (${idx.length})\n`);
  console.log('| protocol | s per pass (A, B) | within ±5% | within ±10% | mean abs diff | max abs diff | Kendall τ |');
  console.log('|---|---|---|---|---|---|---|');
  const la = pick(legacyA.values);
  const lb = pick(legacyB.values);
  console.log(row('one round (before)', `${legacyA.seconds.toFixed(1)}, ${legacyB.seconds.toFixed(1)}`, agreement(lb, la), absDiffs(la, lb)));
  for (const r of [...new Set([3, args.rounds])].filter((r) => r <= args.rounds)) {
    for (const e of ESTIMATORS) {
      const va = pick(roundA.rounds.map((rs) => estimate(rs.slice(0, r).map((x) => x.stats), e)));
      const vb = pick(roundB.rounds.map((rs) => estimate(rs.slice(0, r).map((x) => x.stats), e)));
      const secs = r === args.rounds ? `${roundA.seconds.toFixed(1)}, ${roundB.seconds.toFixed(1)}` : '(first rounds of the same)';
      console.log(row(`${r} rounds, ${e}`, secs, agreement(vb, va), absDiffs(va, vb)));
    }
  }
  console.log('');
}
