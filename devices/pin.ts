/**
 * Pinning the measuring process to a CPU (`protocol.cpu`, `--cpu auto|LIST`). On the development VM one
 * vCPU ran 30–40% slower than the other for minutes at a time while the other stayed fast, with steal at
 * 0 (docs/benchmarks.md, "Where the cross-process variance comes from"): a process measures at the speed
 * of whichever vCPU the scheduler gives it, so two processes minutes apart disagree. Pinned, every round
 * of a run runs on one CPU.
 *
 * `auto` probes every CPU this process may use with the fixed kernel of devices/speed-probe.ts, a few
 * times each in alternation, and pins to the fastest; the choice is made once per process. A LUT records
 * the request (`auto` or the list) in its protocol, where the processes were pinned (protocol.placement),
 * and every entry the CPU its rounds ran on (noise.cpu) and that CPU's speed (noise.probeMs).
 *
 * Under freshProcess the round workers are started on the chosen CPUs and the parent moves to the others
 * (placeApart): a worker inheriting the parent's pin shared its CPU with the parent.
 */
import { UserError } from '../src/core/errors.js';
import { affinitySupport, parseCpuList, setAffinity, setThreadAffinity, threadIds, usableCpus } from './affinity.js';
import { speedProbe } from './speed-probe.js';
import type { CpuPlacement } from './types.js';

export type { CpuPlacement };

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
 * Every CPU's speed now: `passes` passes over `cpus` (default: those this process was allowed at first), pinned to
 * each in turn, alternating so that a change over the probe's ~10 ms × passes hits every CPU alike. The
 * process's affinity is restored afterwards.
 */
export function probeCpus(cpus: readonly number[] = initialCpus(), passes = 3): CpuSpeed[] {
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

/** The CPUs this process was allowed before anything here pinned it: what `auto` and a list choose among. */
let initial: number[] | undefined;
export function initialCpus(): number[] {
  return (initial ??= usableCpus());
}

const chosen = new Map<string, number[]>();

/**
 * The CPUs `spec` measures on, among those this process was allowed at first: `auto` the fastest by
 * the probe (probed once per process), a list as given. Throws a UserError where pinning is not
 * possible here (not Linux, no taskset) or a listed CPU is not one this process may use.
 */
export function chooseCpus(spec: string): number[] {
  const known = chosen.get(spec);
  if (known) return known;
  checkCpuSpec(spec);
  const why = affinitySupport();
  if (why !== true) throw new UserError(`--cpu ${spec}: ${why}`, { exitCode: 3, hint: 'leave out --cpu (the measurement then runs on whichever CPU the scheduler picks)' });
  const usable = initialCpus();
  let cpus: number[];
  if (spec === 'auto') cpus = usable.length === 1 ? usable : [fastestCpu(probeCpus(usable))];
  else {
    cpus = parseCpuList(spec);
    const bad = cpus.filter((c) => !usable.includes(c));
    if (bad.length) throw new UserError(`--cpu ${spec}: CPU ${bad.join(', ')} is not one this process may run on (${usable.join(',')})`);
  }
  chosen.set(spec, cpus);
  return cpus;
}

/** The affinity this module last gave this process (so that a repeated call costs no taskset run). */
let current: string | undefined;
function pinSelf(cpus: readonly number[]): void {
  const key = cpus.join(',');
  if (current === key) return;
  setAffinity(cpus);
  current = key;
  inProcess = undefined;
}

/** Where ensurePinned put this process's threads (the first call decides; later calls with the same spec keep it). */
let inProcess: { spec: string; placement: CpuPlacement } | undefined;

/**
 * Pins the measuring thread of this process (its main thread: with threads=1 the runtime computes on the
 * thread that calls run) to the CPUs `spec` chooses, for rounds timed in this process, and moves the
 * process's other threads that exist by then (V8's garbage-collector and compiler helpers, libuv's pool) to
 * the CPUs it was allowed that `spec` does not choose. Pinning the whole process put those helpers on the
 * measuring CPU, where they take time from the rounds (quiet run of 06 Dec, 20:17: self-agreement 43.6%
 * pinned against 97.4% unpinned, docs/benchmarks.md). Threads started later by the main thread (a
 * runtime's intra-op pool, created with a session) inherit the measuring CPUs. Where every allowed CPU
 * measures (one CPU, or a list naming them all) the helpers stay with them and `shared` says so.
 * Returns the measuring CPUs, or undefined without a spec.
 */
export function ensurePinned(spec: string | undefined): number[] | undefined {
  return pinMeasuringThread(spec)?.measuring;
}

/** ensurePinned's placement: the measuring thread's CPUs and where the helpers went (`helpers`), or why they share (`shared`). */
export function pinMeasuringThread(spec: string | undefined): CpuPlacement | undefined {
  if (spec === undefined) return undefined;
  if (inProcess?.spec === spec) return inProcess.placement;
  const measuring = chooseCpus(spec);
  const only = initialCpus();
  const rest = only.filter((c) => !measuring.includes(c));
  let placement: CpuPlacement;
  if (rest.length) {
    // From here this module pins threads one by one: a later whole-process pin (placeApart) must run again.
    current = undefined;
    setThreadAffinity(measuring, process.pid);
    for (const tid of threadIds()) if (tid !== process.pid) setThreadAffinity(rest, tid);
    placement = { measuring, helpers: rest };
  } else {
    // Every CPU this process may use measures (a round worker started on its CPU, one CPU, a list naming all).
    pinSelf(measuring);
    placement = {
      measuring,
      shared:
        only.length === 1
          ? `this process may run on one CPU only (${only[0]}): its helper threads (V8's garbage collector among them) share it with the measuring thread`
          : `--cpu ${spec} names every CPU this process may run on (${only.join(',')}): its helper threads share them with the measuring thread; leave one out so they can run apart`,
    };
  }
  inProcess = { spec, placement };
  return placement;
}


/**
 * For a parent that starts round workers under `spec`: moves this process onto the CPUs it was allowed
 * that `spec` does not choose, and returns where the workers go (`measuring`, for the caller to start
 * them there) and where the parent went. A parent on the workers' CPU takes time from the round being
 * timed (docs/benchmarks.md, "Quiet re-runs at the end of the sixth session": fresh-pinned 25–170% off).
 * Where every allowed CPU measures (one CPU allowed, or a list naming them all) the parent stays on them,
 * and `shared` says so, for the caller to warn.
 */
export function placeApart(spec: string): CpuPlacement {
  const measuring = chooseCpus(spec);
  const rest = initialCpus().filter((c) => !measuring.includes(c));
  if (rest.length) {
    pinSelf(rest);
    return { measuring, parent: rest };
  }
  pinSelf(measuring);
  const only = initialCpus();
  return {
    measuring,
    parent: measuring,
    shared:
      only.length === 1
        ? `this process may run on one CPU only (${only[0]}): the parent shares it with the round workers it starts, and its work between rounds can slow them`
        : `--cpu ${spec} names every CPU this process may run on (${only.join(',')}): the parent shares them with the round workers; leave one out so it can run apart`,
  };
}
