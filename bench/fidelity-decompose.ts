/**
 * Splits a bench/fidelity.ts --kernels run's prediction error (plain LUT sum against the wall clock) into a
 * kernel part and a per-run part, per profiled net:
 *
 *     plain / measured = (Σ unit kernels / Σ network kernels) × (plain / Σ unit kernels) / (measured / Σ network kernels)
 *
 * The first factor is what the units' kernels alone cost more than the network's (own reorders, ops the network
 * fuses or drops); the other two are the wall clock over the kernels for the units (their LUT sum) and for the
 * network: what a session run costs beyond its kernels, which the units pay once each. Reads the runs' JSON,
 * measures nothing; runs without kernel tables are skipped.
 *
 *   node --import tsx bench/fidelity-decompose.ts /work/quiet/fid11/out/fidelity-cpu-128-t1-*-rounds.json
 */
import { readFileSync } from 'node:fs';

interface Run {
  args: { otherSpace: string; otherResolution?: number; resolution: number; device: string };
  load: string[];
  points: { name: string; set: string; plain: number; measured: number }[];
  kernels?: { networkMs: number; unitsMs: number }[];
}

console.log('| run | net | plain / measured | Σ unit kernels / Σ network kernels | units: plain / Σ kernels | network: measured / Σ kernels |');
console.log('|---|---|---|---|---|---|');
for (const path of process.argv.slice(2)) {
  const d = JSON.parse(readFileSync(path, 'utf8')) as Run;
  if (!d.kernels?.length) continue;
  const a = d.args;
  const label = `${a.otherSpace}@${a.otherResolution || a.resolution} ${a.device}, load ${d.load[0].trim().split(/\s+/)[0]}`;
  // The kernel tables follow the other space's random nets, in order.
  const points = d.points.filter((p) => p.set.startsWith(`random ${a.otherSpace}`));
  points.slice(0, d.kernels.length).forEach((p, i) => {
    const k = d.kernels![i];
    console.log(
      `| ${label} | ${[...p.name].slice(0, 28).join('')}… | ${(p.plain / p.measured).toFixed(3)} | ${(k.unitsMs / k.networkMs).toFixed(3)} | ${(p.plain / k.unitsMs).toFixed(3)} | ${(p.measured / k.networkMs).toFixed(3)} |`,
    );
  });
}
