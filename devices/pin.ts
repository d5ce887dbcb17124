/**
 * Pinning the measuring process to a CPU (`protocol.cpu`, `--cpu auto|LIST`). On the development VM one
 * vCPU ran 30–40% slower than the other for minutes at a time while the other stayed fast, with steal at
 * 0 (docs/benchmarks.md, "Where the cross-process variance comes from"): a process measures at the speed
 * of whichever vCPU the scheduler gives it, so two processes minutes apart disagree. Pinned, every round
 * of a run (and its round workers, which inherit the affinity) runs on one CPU.
 *
 * `auto` probes every CPU this process may use with the fixed kernel of devices/speed-probe.ts, a few
 * times each in alternation, and pins to the fastest; the choice is made once per process. A LUT records
 * the request (`auto` or the list) in its protocol and every entry the CPU its rounds ran on
 * (noise.cpu) and that CPU's speed (noise.probeMs).
 */
import { UserError } from '../src/core/errors.js';
import { affinitySupport, parseCpuList, setAffinity, usableCpus } from './affinity.js';
import { speedProbe } from './speed-probe.js';

/** One CPU's probe figures: the median over the passes of each pass's fastest kernel run, ms. */
export interface CpuSpeed {
  cpu: number;
  probeMs: number;
}

/** Checks a --cpu value: "auto" or a CPU list ("1", "0,2", "0-3"). */
export function checkCpuSpec(spec: string): void {
  if (spec === 'auto') return;
  try {
    if (parseCpuList(spec).length) return;
  } catch {
    // falls through to the message below
  }
  throw new UserError(`--cpu takes 'auto' or a CPU list such as 1 or 0,2, got '${spec}'`);
}

/** The fastest CPU by probe (the lowest probeMs; the lower number on a tie). */
export function fastestCpu(speeds: readonly CpuSpeed[]): number {
  if (!speeds.length) throw new Error('fastestCpu: no CPU');
  return [...speeds].sort((a, b) => a.probeMs - b.probeMs || a.cpu - b.cpu)[0].cpu;
}

/**
 * Every CPU's speed now: `passes` passes over `cpus` (default: those this process may use), pinned to
 * each in turn, alternating so that a change over the probe's ~10 ms × passes hits every CPU alike. The
 * process's affinity is restored afterwards.
 */
export function probeCpus(cpus: readonly number[] = usableCpus(), passes = 3): CpuSpeed[] {
  const why = affinitySupport();
  if (why !== true) throw new UserError(`cannot probe the CPUs one by one: ${why}`);
  const before = usableCpus();
  const figures = new Map<number, number[]>(cpus.map((c) => [c, []]));
  try {
    for (let p = 0; p < passes; p++)
      for (const cpu of p % 2 ? [...cpus].reverse() : cpus) {
        setAffinity([cpu]);
        figures.get(cpu)!.push(speedProbe().minMs);
      }
  } finally {
    setAffinity(before);
  }
  return cpus.map((cpu) => {
    const xs = figures.get(cpu)!.sort((a, b) => a - b);
    return { cpu, probeMs: xs[xs.length >> 1] };
  });
}

let applied: { spec: string; cpus: number[] } | undefined;

/**
 * Pins this process (all its threads, and children started later) as `spec` asks, once per process
 * and spec; returns the CPUs it is pinned to, or undefined without a spec. Throws a UserError where
 * pinning is not possible here (not Linux, no taskset) or a listed CPU is not one this process may use.
 */
export function ensurePinned(spec: string | undefined): number[] | undefined {
  if (spec === undefined) return undefined;
  if (applied?.spec === spec) return applied.cpus;
  checkCpuSpec(spec);
  const why = affinitySupport();
  if (why !== true) throw new UserError(`--cpu ${spec}: ${why}`, { exitCode: 3, hint: 'leave out --cpu (the measurement then runs on whichever CPU the scheduler picks)' });
  const usable = usableCpus();
  let cpus: number[];
  if (spec === 'auto') cpus = usable.length === 1 ? usable : [fastestCpu(probeCpus(usable))];
  else {
    cpus = parseCpuList(spec);
    const bad = cpus.filter((c) => !usable.includes(c));
    if (bad.length) throw new UserError(`--cpu ${spec}: CPU ${bad.join(', ')} is not one this process may run on (${usable.join(',')})`);
  }
  setAffinity(cpus);
  applied = { spec, cpus };
  return cpus;
}
