/**
 * Does a whole net's measurement repeat, and what makes it repeat better? Measures the same random nets twice
 * under several variants of a LUT's protocol (as `nas verify` measures a front with it: devices/measurables.ts
 * timeModelsInRounds, the round timer of devices/round-timer.ts), alternating the variants — rep 1 of every
 * variant in a shuffled order, then rep 2 in another — so drift over the run hits them alike. Per variant: the
 * second measurement against the first (within ±10%, ±5%, the SD of their log ratio), Kendall τ between them
 * (the floor under any prediction's τ), and the wall time of one measurement of all the nets.
 *
 *   node --import tsx bench/net-agreement.ts --lut out/bench/fidelity-cpu-128-t1-…lut.json --count 40 \
 *     --variants default,rounds6,samples4,fresh6
 *
 * Variants (each the LUT's protocol, R and β with one change):
 *   default      the LUT's protocol as nas verify takes it (protocol.netRounds: the LUT's, else the default)
 *   roundsN      N rounds per net in this process (protocol.netRounds N; rounds3 = as the entries, the protocol before netRounds)
 *   samplesK     K times the timed runs per round (minRepeats × K), same rounds
 *   fresh        every pass of rounds in a fresh worker process (protocol.freshProcess, as pyperf spreads its
 *                values over worker processes): a net's rounds come from as many processes as it has rounds
 *   freshN       the same with N rounds
 * Every round of every measurement is written to --out (JSON), for replaying estimators on them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { agreement } from '../src/core/agreement.js';
import { Rng } from '../src/core/rng.js';
import { createSpace } from '../src/spaces/registry.js';
import { resolveDevice } from '../devices/registry.js';
import { timeModelsInRounds, type LazyModel } from '../devices/measurables.js';
import { roundTimer } from '../devices/round-timer.js';
import type { RoundedResult } from '../devices/rounds.js';
import type { DeviceOptions, TimingProtocol } from '../devices/types.js';
import { networkModel } from '../export/model.js';
import { readLut } from '../lut/store.js';
import { verifyProtocol } from '../src/verify/protocol.js';

const args = await yargs(process.argv.slice(2))
  .option('lut', { type: 'string', demandOption: true, describe: "the LUT whose protocol (R, β, reference, gate) the nets are measured in, as nas verify does" })
  .option('device', { type: 'string', default: 'cpu' })
  .option('threads', { type: 'number', default: 1 })
  .option('space', { type: 'string', default: 'mbv2' })
  .option('resolution', { type: 'number', default: 128 })
  .option('count', { type: 'number', default: 40 })
  .option('seed', { type: 'number', default: 7 })
  .option('variants', { type: 'string', default: 'default,rounds6,samples4,fresh' })
  .option('reps', { type: 'number', default: 2, describe: 'measurements of every net per variant (agreement is rep 2 against rep 1)' })
  .option('out', { type: 'string', default: 'out/bench/net-agreement.json' })
  .strict()
  .parse();

function variant(name: string, base: TimingProtocol): TimingProtocol {
  const m = /^(default|rounds(\d+)|samples(\d+)|fresh(\d*))$/.exec(name);
  if (!m) throw new Error(`unknown variant '${name}' (default, roundsN, samplesK, fresh, freshN)`);
  // Whole nets take netRounds rounds (devices/rounds.ts netProtocol): the variant sets those.
  if (m[2]) return { ...base, netRounds: Number(m[2]) };
  if (m[3]) return { ...base, minRepeats: base.minRepeats * Number(m[3]) };
  if (m[4] !== undefined) return { ...base, freshProcess: true, ...(m[4] ? { netRounds: Number(m[4]) } : {}) };
  return base;
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const options: DeviceOptions = { threads: args.threads };
const device = await resolveDevice(args.device, options);
const lut = readLut(args.lut);
const info = await device.init();
const base = verifyProtocol(lut, {}, info);
const space = createSpace(args.space, { resolution: args.resolution });
const rng = new Rng(args.seed);
const archs = Array.from({ length: args.count }, () => space.build(space.sample(rng)));
const models: LazyModel[] = archs.map((a, i) => ({ id: `${i}:${a.name}`, build: () => networkModel(a) }));
const names = args.variants.split(',');
const protocols = new Map(names.map((n) => [n, variant(n, base)]));
const results = new Map<string, { rep: number; seconds: number; load: [string, string]; results: RoundedResult[] }[]>(names.map((n) => [n, []]));
const order = new Rng(args.seed + 1);
process.stderr.write(`load ${loadavg()} at the start; ${args.count} ${space.id}@${space.resolution} nets; variants ${names.join(', ')}\n`);
for (let rep = 0; rep < args.reps; rep++) {
  const shuffled = [...names];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = order.int(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  for (const name of shuffled) {
    const protocol = protocols.get(name)!;
    const timer = roundTimer(device, protocol, { name: args.device, options });
    const l0 = loadavg();
    const t0 = Date.now();
    const r = await timeModelsInRounds(device, models, protocol, { seed: 11 + rep, timer });
    await timer.stop();
    const seconds = (Date.now() - t0) / 1000;
    results.get(name)!.push({ rep, seconds, load: [l0, loadavg()], results: r });
    process.stderr.write(`rep ${rep + 1} ${name}: ${seconds.toFixed(1)} s, load ${l0} → ${loadavg()}\n`);
  }
}
await device.dispose();

const lines = [
  `${args.count} ${space.id}@${space.resolution} nets (seed ${args.seed}), ${lut.device.device} ${JSON.stringify(options)}, the protocol of ${args.lut}: ${JSON.stringify(base)}`,
  '',
  '| variant | second vs first within ±10% | within ±5% | SD of log(second/first) | median \\|Δ\\| | Kendall τ second vs first | rounds per net | s per measurement |',
  '|---|---|---|---|---|---|---|---|',
];
for (const name of names) {
  const reps = results.get(name)!;
  if (reps.length < 2) continue;
  const a = reps[0].results.map((r) => r.stats.median);
  const b = reps[1].results.map((r) => r.stats.median);
  const ag = agreement(b, a);
  const logs = a.map((x, i) => Math.log(b[i] / x));
  const mean = logs.reduce((s, x) => s + x, 0) / logs.length;
  const sd = Math.sqrt(logs.reduce((s, x) => s + (x - mean) ** 2, 0) / logs.length);
  const absd = logs.map((x) => Math.abs(Math.expm1(x))).sort((x, y) => x - y);
  const rounds = reps.flatMap((r) => r.results.map((x) => x.details.length));
  lines.push(
    `| ${name} | ${ag.within10.toFixed(1)}% | ${ag.within5.toFixed(1)}% | ${(100 * sd).toFixed(2)}% | ${(100 * absd[absd.length >> 1]).toFixed(2)}% | ${ag.kendallTau.toFixed(3)} | ${(rounds.reduce((s, x) => s + x, 0) / rounds.length).toFixed(2)} | ${(reps.reduce((s, r) => s + r.seconds, 0) / reps.length).toFixed(1)} |`,
  );
}
console.log(lines.join('\n'));
mkdirSync(path.dirname(args.out), { recursive: true });
writeFileSync(
  args.out,
  JSON.stringify({ args, protocol: base, nets: models.map((m) => m.id), variants: Object.fromEntries([...results].map(([n, reps]) => [n, { protocol: protocols.get(n), reps: reps.map((r) => ({ rep: r.rep, seconds: r.seconds, load: r.load, figures: r.results.map((x) => x.stats.median), rounds: r.results.map((x) => x.details) })) }])) }, null, 1),
);
