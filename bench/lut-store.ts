/**
 * What writing a LUT costs while it is filled: drives LutStore and the rounds file beside it
 * (lut/partial-rounds.ts) with the profiler's write pattern for N synthetic entries measured in
 * R rounds (pass k records every entry's k-th round in a shuffled order; the last pass stores the entry
 * and drops its rounds), without timing anything. Prints the wall time, the bytes and fsyncs that went
 * through the writers, the time per entry in the first and last tenth of the run (a cost that grows with
 * the file shows as a growing ratio), and checks that the LUT read back holds every entry.
 *
 *   node --import tsx bench/lut-store.ts --entries 2000 --rounds 3
 *
 * Files go to a fresh folder under --dir (default the OS temporary folder) and are removed after.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import yargs from 'yargs';
import type { RoundRecord } from '../devices/rounds.js';
import { summarize } from '../devices/stats.js';
import type { DeviceInfo, TimingProtocol } from '../devices/types.js';
import type { LutEntry } from '../lut/format.js';
import { LutStore, readLut } from '../lut/store.js';
import { fsCalls } from '../src/core/atomic-file.js';
import { Rng } from '../src/core/rng.js';
import { PartialRounds } from '../lut/partial-rounds.js';

const args = await yargs(process.argv.slice(2))
  .option('entries', { type: 'number', default: 2000 })
  .option('rounds', { type: 'number', default: 3 })
  .option('dir', { type: 'string', default: tmpdir() })
  .strict()
  .parse();

const device: DeviceInfo = {
  device: 'mock',
  runtime: 'mock',
  runtimeVersion: '1',
  ep: 'synthetic',
  options: { threads: 1 },
  host: { cpu: 'bench', cores: 2, os: 'linux', node: process.version },
  timing: 'synthetic',
};
const protocol: TimingProtocol = { warmup: 10, minRepeats: 20, maxRepeats: 2000, maxTimeMs: 3000, targetCI: 0.02, rounds: args.rounds, estimator: 'min', maxSpread: 0.1, extraRounds: 2 };

/** Distinct canonical mbconv keys, as many as asked (3,600 combinations). */
function keys(n: number): string[] {
  const out: string[] = [];
  for (const cin of [8, 16, 24, 32, 40, 48, 64, 96])
    for (const h of [7, 14, 28, 56, 112])
      for (const cout of [16, 24, 32, 64, 96])
        for (const k of [3, 5, 7])
          for (const s of [1, 2])
            for (const e of [1, 3, 6]) if (out.length < n) out.push(`mbconv:1x${cin}x${h}x${h}:c${cout}:k${k}:s${s}:e${e}:se0:relu6:skip0:f32`);
  if (out.length < n) throw new Error(`at most ${out.length} synthetic keys`);
  return out;
}

const rng = new Rng(0);
const round = (ms: number): RoundRecord => ({
  stats: summarize(Array.from({ length: 40 }, () => ms * (1 + 0.05 * rng.next())), protocol.targetCI),
  coldMs: 3 * ms,
  setupMs: 12,
  noise: { load1: 3.2, stealPct: 0, mhz: 2096 },
});

// Count what goes through the writers (LutStore, the rounds file and writeFileAtomic all write through fsCalls).
let bytes = 0;
let fsyncs = 0;
const { writeSync, fsyncSync } = fsCalls;
fsCalls.writeSync = ((fd: number, buf: Uint8Array, off?: number, len?: number) => {
  const n = writeSync(fd, buf, off, len);
  bytes += n;
  return n;
}) as typeof fsCalls.writeSync;
fsCalls.fsyncSync = (fd: number) => {
  fsyncs++;
  fsyncSync(fd);
};

const dir = mkdtempSync(path.join(args.dir, 'lut-store-bench-'));
const file = path.join(dir, 'bench.lut.json');
const all = keys(args.entries);
console.log(`${args.entries} entries, ${args.rounds} rounds, in ${dir}; load average ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
const t0 = performance.now();
const store = LutStore.open(file, device, protocol);
store.setOverhead(round(0.05).stats);
const partial = PartialRounds.open(file, store.id!);
const taken = new Map<string, RoundRecord[]>(all.map((k) => [k, []]));
const perEntryMs: number[] = [];
for (let pass = 0; pass < args.rounds; pass++) {
  const order = [...all];
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (const key of order) {
    const rounds = taken.get(key)!;
    rounds.push(round(0.1 + rng.next()));
    if (pass < args.rounds - 1) {
      partial.set(key, rounds);
      continue;
    }
    const t = performance.now();
    const medians = rounds.map((r) => r.stats.median);
    const best = rounds[medians.indexOf(Math.min(...medians))];
    const entry: LutEntry = { stats: best.stats, net: best.stats.median - 0.05, coldMs: rounds[0].coldMs, setupMs: 12, measuredAt: new Date().toISOString(), rounds: medians, spread: 0.05, noise: best.noise };
    store.put(key, entry);
    partial.delete(key);
    perEntryMs.push(performance.now() - t);
  }
}
store.close();
partial.remove();
const wallS = (performance.now() - t0) / 1000;
const lut = readLut(file);
if (Object.keys(lut.entries).length !== args.entries) throw new Error(`the LUT read back holds ${Object.keys(lut.entries).length} entries, expected ${args.entries}`);
const tenth = Math.max(1, Math.floor(perEntryMs.length / 10));
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const first = mean(perEntryMs.slice(0, tenth));
const last = mean(perEntryMs.slice(-tenth));
console.log(`wall ${wallS.toFixed(2)} s; written ${(bytes / 2 ** 20).toFixed(1)} MiB in ${fsyncs} fsyncs; LUT ${(readFileSync(file).length / 1024).toFixed(0)} KiB`);
console.log(`store.put + rounds delete, ms per entry: first tenth ${first.toFixed(3)}, last tenth ${last.toFixed(3)} (×${(last / first).toFixed(1)})`);
console.log(`load average after: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
rmSync(dir, { recursive: true, force: true });
