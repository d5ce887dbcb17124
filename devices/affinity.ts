/**
 * Which CPUs a process may run on. On a VM the virtual CPUs are not alike over time: one can run 30–40%
 * slower than the other for minutes while the hypervisor's host runs something beside it (steal reads 0
 * all the while), so a process the scheduler happens to put on the slow one measures its models slow
 * (docs/benchmarks.md, "Where the cross-process variance comes from"). Pinning the profiler and its round
 * workers to one CPU makes every measurement see the same CPU.
 *
 * Linux only, through util-linux's `taskset` (Node has no affinity call): where either is missing,
 * `affinitySupport()` says why and nothing is pinned. A child process inherits its parent's affinity.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

let support: true | string | undefined;

/** true where affinity can be read and set here, else why not. Cached. */
export function affinitySupport(): true | string {
  if (support !== undefined) return support;
  if (process.platform !== 'linux') return (support = `CPU pinning needs Linux (this is ${process.platform})`);
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
    return (support = true);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return (support = code === 'ENOENT' ? 'CPU pinning needs `taskset` (util-linux), which is not installed' : `taskset failed: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Parses a CPU list as taskset -c and /sys print it: "0-3,6,8-9". */
export function parseCpuList(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`not a CPU list: ${JSON.stringify(text)}`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let c = Math.min(a, b); c <= Math.max(a, b); c++) out.add(c);
  }
  return [...out].sort((x, y) => x - y);
}

/** The CPUs a process (default this one) may run on; undefined where that cannot be read. */
export function getAffinity(pid = process.pid): number[] | undefined {
  if (affinitySupport() !== true) return undefined;
  try {
    const out = execFileSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const m = /:\s*([\d,\- ]+)\s*$/.exec(out.trim());
    return m ? parseCpuList(m[1].replace(/\s+/g, '')) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Restricts every thread of a process (default this one) to `cpus`. Threads started later inherit it,
 * so do this before a runtime starts its thread pool where possible. Throws when it cannot.
 */
export function setAffinity(cpus: readonly number[], pid = process.pid): void {
  const why = affinitySupport();
  if (why !== true) throw new Error(why);
  if (!cpus.length) throw new Error('setAffinity: no CPU given');
  execFileSync('taskset', ['-a', '-c', '-p', cpus.join(','), String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** The ids of a process's threads (Linux /proc/<pid>/task), ascending; [] where unreadable. */
export function threadIds(pid: number = process.pid): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`)
      .map(Number)
      .filter((t) => Number.isInteger(t))
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/**
 * Restricts one thread (its id, as /proc/<pid>/task lists it) to `cpus`: without -a, taskset acts on the
 * one thread it is given. Threads that thread starts later inherit it. Throws when it cannot.
 */
export function setThreadAffinity(cpus: readonly number[], tid: number): void {
  const why = affinitySupport();
  if (why !== true) throw new Error(why);
  if (!cpus.length) throw new Error('setThreadAffinity: no CPU given');
  execFileSync('taskset', ['-c', '-p', cpus.join(','), String(tid)], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * The CPUs a process (or one of its threads, `pid/task/tid`) may run on, as the kernel has them:
 * `Cpus_allowed_list` of /proc/<pid>/status (sched_getaffinity). No taskset needed; undefined where
 * unreadable (not Linux, the process gone).
 */
export function allowedCpus(pid: number | string = 'self'): number[] | undefined {
  try {
    const m = /^Cpus_allowed_list:\s*(\S+)\s*$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? parseCpuList(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The CPUs this process may use now (affinity where readable, else all of the machine's). */
export function usableCpus(): number[] {
  return getAffinity() ?? Array.from({ length: os.cpus().length }, (_, i) => i);
}

/** The CPU this process last ran on (field 39 of /proc/self/stat); undefined where unreadable. */
export function currentCpu(statText?: string): number | undefined {
  try {
    const text = statText ?? readFileSync('/proc/self/stat', 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const v = Number(rest[39 - 3]);
    return Number.isInteger(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
