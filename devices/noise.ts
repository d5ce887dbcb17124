/**
 * How busy the machine is while something is timed: load average, CPU steal time (the share of time a
 * VM's virtual CPUs were ready but the hypervisor ran someone else) and the CPU clock where Linux exposes
 * it. A measurement taken while the machine was busy is recorded as such, and a profiling run can warn
 * or wait for a quieter moment (`--wait-quiet`).
 *
 * Everything here is best effort: where /proc or /sys cannot be read (macOS, Windows, containers that
 * hide them) the field is absent, never guessed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { currentCpu } from './affinity.js';
import { speedProbe } from './speed-probe.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** The machine's state over one interval. */
export interface NoiseReading {
  /** 1-minute load average at the end of the interval. */
  load1: number;
  /** Steal time over the interval, % of all CPU time (Linux /proc/stat); absent where unreadable. */
  stealPct?: number;
  /** Mean current clock of the CPUs, MHz (cpufreq or /proc/cpuinfo); absent where unreadable. */
  mhz?: number;
  /**
   * The speed of the CPU the round ran on: the fastest of a few runs of a fixed arithmetic kernel
   * (speedProbe), ms, taken right after the round; absent in readings taken before it existed. On a VM
   * whose vCPUs slow down and recover over minutes this moves with the round's own time, which load and
   * steal do not show (docs/benchmarks.md, "Where the cross-process variance comes from").
   */
  probeMs?: number;
  /** The CPU the process was on at the end of the round (Linux), to tell which one a slow round ran on. */
  cpu?: number;
  /**
   * Share of the interval the measuring thread was ready to run but not running, % (Linux
   * /proc/thread-self/schedstat): other tasks' time slices on its CPU inside this machine, which the load
   * average only hints at. Absent where unreadable.
   */
  waitPct?: number;
  /** Times the measuring thread moved to another CPU during the interval (Linux, where the kernel counts them). */
  migrations?: number;
  /**
   * CPU time the machine's other processes used during the interval, % of one CPU (Linux /proc/stat less
   * this process's own CPU time; /proc/stat counts in 10 ms ticks, so short intervals read coarsely).
   * On a 2-CPU machine 100 means the other CPU was busy all along: another process beside the measured
   * runs shares the caches and the memory bus with them even when it never takes their CPU.
   */
  othersPct?: number;
  /** The fastest run of the fixed conv unit of devices/anchor.ts right after the round, ms (protocol.anchor only). */
  anchorMs?: number;
  /**
   * With protocol.reference: the reference's median over the batches interleaved with the round
   * (devices/reference.ts), ms; its figures were scaled by protocol.referenceMs over this. The slowest over an entry's rounds.
   */
  referenceMs?: number;
  /**
   * With protocol.referenceDrift: the machine's slow drift the round was scaled by, the median of the process's last
   * reference readings up to this round's (devices/reference.ts), ms.
   */
  referenceDriftMs?: number;
}

/** The calling thread's scheduler counters (Linux /proc/thread-self); undefined where unreadable. */
export interface ThreadSched {
  /** Time runnable but waiting for a CPU, ns. */
  waitNs: number;
  /** CPU migrations so far (absent where the kernel does not show them). */
  migrations?: number;
}

/** Parses /proc/thread-self/schedstat ("run_ns wait_ns timeslices") and, where given, the se.nr_migrations line of /proc/thread-self/sched. */
export function parseThreadSched(schedstat: string, sched?: string): ThreadSched | undefined {
  const v = schedstat.trim().split(/\s+/).map(Number);
  if (v.length < 2 || !Number.isFinite(v[1])) return undefined;
  const m = sched === undefined ? undefined : /^se\.nr_migrations\s*:\s*(\d+)/m.exec(sched);
  return m ? { waitNs: v[1], migrations: Number(m[1]) } : { waitNs: v[1] };
}

export function threadSched(): ThreadSched | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/thread-self/schedstat', 'utf8');
  } catch {
    return undefined;
  }
  let sched: string | undefined;
  try {
    sched = readFileSync('/proc/thread-self/sched', 'utf8');
  } catch {
    // no CONFIG_SCHED_DEBUG: no migration count
  }
  return parseThreadSched(stat, sched);
}

interface CpuTimes {
  steal: number;
  total: number;
  /** All but idle and iowait. */
  busy: number;
}

/** The aggregate `cpu` line of /proc/stat: user nice system idle iowait irq softirq steal … (jiffies). */
export function parseProcStat(text: string): CpuTimes | undefined {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) return undefined;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  if (v.length < 8 || v.some((x) => !Number.isFinite(x))) return undefined;
  // guest and guest_nice (fields 9–10) are already counted in user and nice.
  const total = v.slice(0, 8).reduce((s, x) => s + x, 0);
  return { steal: v[7], total, busy: total - v[3] - v[4] };
}

function cpuTimes(): CpuTimes | undefined {
  try {
    return parseProcStat(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

/** Mean CPU clock in MHz: cpufreq's scaling_cur_freq (kHz) where present, else /proc/cpuinfo's "cpu MHz". */
export function cpuMhz(): number | undefined {
  const values: number[] = [];
  try {
    const base = '/sys/devices/system/cpu';
    for (const name of readdirSync(base)) {
      if (!/^cpu\d+$/.test(name)) continue;
      try {
        const khz = Number(readFileSync(`${base}/${name}/cpufreq/scaling_cur_freq`, 'utf8'));
        if (khz > 0) values.push(khz / 1000);
      } catch {
        // no cpufreq for this CPU (common in VMs)
      }
    }
  } catch {
    // no /sys
  }
  if (!values.length) {
    try {
      for (const m of readFileSync('/proc/cpuinfo', 'utf8').matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)) values.push(Number(m[1]));
    } catch {
      // no /proc/cpuinfo
    }
  }
  const ok = values.filter((x) => Number.isFinite(x) && x > 0);
  return ok.length ? ok.reduce((s, x) => s + x, 0) / ok.length : undefined;
}

/** Starts an interval at construction; `read()` describes the machine since then (and may be called again). */
export class NoiseProbe {
  private readonly start = cpuTimes();
  private readonly thread = threadSched();
  private readonly own = process.cpuUsage();
  private readonly startMs = performance.now();

  /** With `speed`, the CPU's speed too (speedProbe, a few ms), and which CPU it was. */
  read(speed = false): NoiseReading {
    const end = cpuTimes();
    const reading: NoiseReading = { load1: round(os.loadavg()[0], 2) };
    if (this.start && end && end.total > this.start.total) reading.stealPct = round((100 * (end.steal - this.start.steal)) / (end.total - this.start.total), 2);
    const mhz = cpuMhz();
    if (mhz !== undefined) reading.mhz = Math.round(mhz);
    const thread = this.thread && threadSched();
    const wallMs = performance.now() - this.startMs;
    if (this.start && end && wallMs > 0) {
      const own = process.cpuUsage(this.own);
      const busyMs = ((end.busy - this.start.busy) * 1000) / TICKS_PER_S;
      reading.othersPct = round(Math.max(0, (100 * (busyMs - (own.user + own.system) / 1000)) / wallMs), 1);
    }
    if (this.thread && thread && wallMs > 0) {
      reading.waitPct = round(Math.min(100, (100 * (thread.waitNs - this.thread.waitNs)) / 1e6 / wallMs), 2);
      if (this.thread.migrations !== undefined && thread.migrations !== undefined) reading.migrations = thread.migrations - this.thread.migrations;
    }
    if (speed) {
      // 6 kernel runs (~1 ms of CPU): the fastest of 5 after one untimed.
      reading.probeMs = round(speedProbe(5, 1).minMs, 4);
      const cpu = currentCpu();
      if (cpu !== undefined) reading.cpu = cpu;
    }
    return reading;
  }
}

/** /proc/stat's unit (USER_HZ): 100 on every Linux architecture Node runs on. */
const TICKS_PER_S = 100;

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Steal above this share of CPU time means the hypervisor takes the CPU away often enough to show in timings. */
export const BUSY_STEAL_PCT = 5;

/**
 * Why the machine is too busy to time on, or undefined when it is not. Busy: a 1-minute load average of
 * at least the core count (counting the measuring process itself: while it runs one thread, at least
 * cores − 1 other runnable tasks compete for the cores), or steal above BUSY_STEAL_PCT.
 */
export function busyReason(r: NoiseReading, cores = os.availableParallelism()): string | undefined {
  const why: string[] = [];
  if (r.load1 >= cores) why.push(`load average ${r.load1.toFixed(2)} on ${cores} core${cores === 1 ? '' : 's'}`);
  if (r.stealPct !== undefined && r.stealPct > BUSY_STEAL_PCT) why.push(`CPU steal ${r.stealPct.toFixed(1)}%`);
  return why.length ? why.join(', ') : undefined;
}

/** Several readings as one: the worst load, steal, CPU speed and wait, the mean clock, the CPU if always the same, the migrations summed. */
export function worstOf(readings: readonly NoiseReading[]): NoiseReading | undefined {
  if (!readings.length) return undefined;
  const out: NoiseReading = { load1: Math.max(...readings.map((r) => r.load1)) };
  const steal = readings.flatMap((r) => (r.stealPct === undefined ? [] : [r.stealPct]));
  if (steal.length) out.stealPct = Math.max(...steal);
  const mhz = readings.flatMap((r) => (r.mhz === undefined ? [] : [r.mhz]));
  if (mhz.length) out.mhz = Math.round(mhz.reduce((s, x) => s + x, 0) / mhz.length);
  // The slowest CPU speed seen, and the CPU when every reading names the same one.
  const probe = readings.flatMap((r) => (r.probeMs === undefined ? [] : [r.probeMs]));
  if (probe.length) out.probeMs = Math.max(...probe);
  const cpus = new Set(readings.map((r) => r.cpu));
  if (cpus.size === 1 && readings[0].cpu !== undefined) out.cpu = readings[0].cpu;
  // The most time-sharing a round saw, and every move between CPUs.
  const wait = readings.flatMap((r) => (r.waitPct === undefined ? [] : [r.waitPct]));
  if (wait.length) out.waitPct = Math.max(...wait);
  const moves = readings.flatMap((r) => (r.migrations === undefined ? [] : [r.migrations]));
  if (moves.length) out.migrations = moves.reduce((s, x) => s + x, 0);
  const others = readings.flatMap((r) => (r.othersPct === undefined ? [] : [r.othersPct]));
  if (others.length) out.othersPct = Math.max(...others);
  const anchor = readings.flatMap((r) => (r.anchorMs === undefined ? [] : [r.anchorMs]));
  if (anchor.length) out.anchorMs = Math.max(...anchor);
  const reference = readings.flatMap((r) => (r.referenceMs === undefined ? [] : [r.referenceMs]));
  if (reference.length) out.referenceMs = Math.max(...reference);
  const drift = readings.flatMap((r) => (r.referenceDriftMs === undefined ? [] : [r.referenceDriftMs]));
  if (drift.length) out.referenceDriftMs = Math.max(...drift);
  return out;
}

export interface WaitQuietOptions {
  /** Give up waiting after this long and go on (ms). */
  maxWaitMs: number;
  /** How often to look again (ms). */
  pollMs?: number;
  /** Told once when waiting starts and once when it ends. */
  log?: (message: string) => void;
  signal?: AbortSignal;
  /** Injected for tests. */
  read?: () => NoiseReading;
}

/**
 * Waits until the machine is not busy (busyReason), at most maxWaitMs. Returns how long it waited and,
 * when it gave up, why the machine was still busy. Steal is measured over each poll interval.
 */
export async function waitQuiet(o: WaitQuietOptions): Promise<{ waitedMs: number; stillBusy?: string }> {
  const pollMs = o.pollMs ?? 2000;
  const started = Date.now();
  let probe = new NoiseProbe();
  const read = o.read ?? (() => probe.read());
  let why = busyReason(read());
  if (!why) return { waitedMs: 0 };
  o.log?.(`machine busy (${why}): waiting for it to quieten, at most ${Math.round(o.maxWaitMs / 1000)} s`);
  while (why && Date.now() - started < o.maxWaitMs && !o.signal?.aborted) {
    probe = new NoiseProbe();
    await sleep(Math.min(pollMs, Math.max(1, o.maxWaitMs - (Date.now() - started))));
    why = busyReason(read());
  }
  const waitedMs = Date.now() - started;
  o.log?.(why ? `still busy after ${Math.round(waitedMs / 1000)} s (${why}); measuring anyway` : `quiet after ${Math.round(waitedMs / 1000)} s`);
  return why ? { waitedMs, stillBusy: why } : { waitedMs };
}

/**
 * How long this thread waits for a CPU when it wants one: spins for `spinMs` and returns the share of that time it
 * was runnable but not running, % (/proc/thread-self/schedstat, as noise.waitPct reads a round); undefined where
 * unreadable. What a round taken now would read, as the round gate (protocol.roundGate.waitPct) judges it.
 */
export function cpuWaitNow(spinMs = 200): number | undefined {
  const before = threadSched();
  if (!before) return undefined;
  const t0 = performance.now();
  let x = 0;
  while (performance.now() - t0 < spinMs) x += Math.sqrt(x + 1);
  const after = threadSched();
  const wallMs = performance.now() - t0;
  if (!after || !(wallMs > 0) || !Number.isFinite(x)) return undefined;
  return round(Math.min(100, (100 * (after.waitNs - before.waitNs)) / 1e6 / wallMs), 1);
}

export interface WaitForCpuOptions {
  /** A moment is quiet when a thread that wants a CPU waits at most this share for one, % (the round gate's threshold). */
  waitPct: number;
  /** Give up after this long (ms). */
  maxWaitMs: number;
  /** How long to sleep between looks (ms); default 2000. */
  pollMs?: number;
  /** Progress: when waiting starts, every ~10 s while it lasts, and when it ends. */
  log?: (message: string) => void;
  signal?: AbortSignal;
  /** What the thread waits for a CPU now, % (default cpuWaitNow; load ≥ cores reads as 100 where it is unreadable). Injected for tests. */
  probe?: () => number | undefined;
  /** Injected for tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** What is waiting, for the messages, e.g. "12 extra rounds". */
  what?: string;
}

/**
 * Waits, at most maxWaitMs, for a moment a round would not be set aside for its wait (cpuWaitNow ≤ waitPct). Returns
 * how long it waited and, when it gave up, what the thread still waited. The first look is immediate: a quiet
 * machine costs one probe (≈ 0.2 s).
 */
export async function waitForCpu(o: WaitForCpuOptions): Promise<{ waitedMs: number; stillWaitPct?: number }> {
  const now = o.now ?? Date.now;
  const nap = o.sleep ?? ((ms: number) => sleep(ms));
  const probe = o.probe ?? (() => cpuWaitNow() ?? (busyReason({ load1: os.loadavg()[0] }) ? 100 : 0));
  const started = now();
  let wait = probe() ?? 0;
  if (wait <= o.waitPct) return { waitedMs: 0 };
  const what = o.what ?? 'the extra rounds';
  o.log?.(`${what} wait for a quieter moment: a thread here waits ${wait.toFixed(0)}% of its time for a CPU (a round over ${o.waitPct}% is set aside); at most ${Math.round(o.maxWaitMs / 1000)} s`);
  let lastLog = started;
  while (wait > o.waitPct && now() - started < o.maxWaitMs && !o.signal?.aborted) {
    await nap(Math.min(o.pollMs ?? 2000, Math.max(1, o.maxWaitMs - (now() - started))));
    wait = probe() ?? 0;
    if (wait > o.waitPct && now() - lastLog >= 10_000) {
      lastLog = now();
      o.log?.(`  still busy after ${Math.round((now() - started) / 1000)} s (a thread waits ${wait.toFixed(0)}% for a CPU)`);
    }
  }
  const waitedMs = now() - started;
  if (wait <= o.waitPct) {
    o.log?.(`  quieter after ${Math.round(waitedMs / 1000)} s (a thread waits ${wait.toFixed(0)}% for a CPU): taking ${what}`);
    return { waitedMs };
  }
  return { waitedMs, stillWaitPct: wait };
}
