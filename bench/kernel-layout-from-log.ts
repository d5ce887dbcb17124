/**
 * The layout correction at kernel level, from the per-op tables bench/fidelity.ts --kernels prints.
 *
 * For each fidelity run in the log(s) (a line starting '== ' that names --device and --other-space, then the
 * bench's output), sets the networks' Σ kernels against Σ of their units' kernels: as measured, less the units'
 * own NCHWc reorders, and less those plus the reorders the networks run (the correction `nas predict --onnx`
 * applies, src/onnx/layout.ts). Kernel times are each kernel's fastest of 20 profiled runs. Reads logs only.
 *
 *   node --import tsx bench/kernel-layout-from-log.ts /work/quiet/fid11/log.txt /work/quiet/fid11/log2.txt
 */
import { readFileSync } from 'node:fs';

/** Per op type: [Σ network kernels ms, Σ unit kernels ms] (the row 'all' holds the totals). */
type Ops = Map<string, [number, number]>;

const signed = (x: number, digits: number) => {
  const s = x.toFixed(digits);
  return s.startsWith('-') ? s : `+${s}`;
};

function report(header: string | undefined, ops: Ops): void {
  const all = ops.get('all');
  if (!header || !all) return;
  const [net, units] = all;
  let rn = 0;
  let ru = 0;
  for (const [k, v] of ops)
    if (k.startsWith('Reorder')) {
      rn += v[0];
      ru += v[1];
    }
  const pct = (x: number) => `${signed(100 * (x / net - 1), 1)}%`;
  console.log(`| ${header} | ${net.toFixed(3)} | ${pct(units)} | ${pct(units - ru)} | ${pct(units - ru + rn)} | ${rn.toFixed(3)} / ${ru.toFixed(3)} |`);
}

console.log("| run | Σ network kernels ms | Σ unit kernels | less units' reorders | plus the networks' reorders | reorders ms: networks / units |");
console.log('|---|---|---|---|---|---|');
for (const path of process.argv.slice(2)) {
  let header: string | undefined;
  let ops: Ops = new Map();
  for (const line of readFileSync(path, 'utf8').split(/\r\n|\r|\n/)) {
    if (line.startsWith('== ') && line.includes('--device') && line.includes('--other-space')) {
      report(header, ops);
      ops = new Map();
      const dev = /--device (\S+)/.exec(line)?.[1];
      const space = /--other-space (\S+)/.exec(line)?.[1];
      const res = /--other-resolution (\d+)/.exec(line)?.[1] ?? '?';
      const load = /load ([\d.]+)/.exec(line)?.[1] ?? '?';
      header = `${space}@${res} ${dev}, load ${load}`;
      continue;
    }
    const m = /^\| (\w+) \| ([\d.]+) \| ([\d.]+) \| -?[\d.]+ \| /.exec(line);
    if (m && header) ops.set(m[1], [Number(m[2]), Number(m[3])]);
  }
  report(header, ops);
}
