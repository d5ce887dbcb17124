/**
 * Rounds in fresh worker processes, as pyperf does: process-level effects (memory layout, address-space
 * randomisation, the allocator's state, JIT warm-up) differ from one process to the next, and a figure
 * taken in one process carries that process's luck. With `protocol.freshProcess`, every pass of rounds runs
 * in a new child process, so a model's rounds come from as many processes as it has rounds.
 *
 * The parent sends each model (ONNX bytes and all) over IPC; the child times it with timeRound on its own
 * instance of the device and sends the round back. Children run one at a time, never beside each other.
 *
 * Pinned (`cpu`, protocol.cpu), a child is started on the chosen CPUs through `taskset` (all its threads
 * from its first instruction) and the parent moves to the other CPUs (devices/pin.ts, placeApart), so
 * nothing the parent does lands on the CPU a round is being timed on. The child reports the CPUs the
 * kernel lets it run on, and a child elsewhere than asked is an error.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UserError } from '../src/core/errors.js';
import { allowedCpus } from './affinity.js';
import { placeApart, type CpuPlacement } from './pin.js';
import type { RoundRecord } from './rounds.js';
import type { DeviceOptions, ModelUnderTest, TimingProtocol } from './types.js';

type Request = { type: 'init'; device: string; options: DeviceOptions } | { type: 'time'; id: number; model: ModelUnderTest; protocol: TimingProtocol };
type Reply = { type: 'ready'; cpus?: number[] } | { type: 'round'; id: number; round: RoundRecord } | { type: 'error'; id?: number; message: string; user: boolean; exitCode?: number };

/** Which device the children create: the registry name and options the parent's device was made from. */
export interface WorkerDevice {
  name: string;
  options: DeviceOptions;
}

export interface FreshProcessOptions {
  /** Pin the children to these CPUs, the parent apart ('auto' or a CPU list, as protocol.cpu). */
  cpu?: string;
  /** Where the parent cannot be kept apart (one CPU allowed): told once per message; default process.emitWarning. */
  onWarning?(message: string): void;
}

const warned = new Set<string>();
function warnOnce(message: string, to?: (m: string) => void): void {
  if (warned.has(message)) return;
  warned.add(message);
  if (to) to(message);
  else process.emitWarning(message);
}

/** One child at a time; restart() replaces it with a fresh one. */
export class FreshProcessTimer {
  private child?: ChildProcess;
  private next = 0;
  private readonly pending = new Map<number, { resolve: (r: RoundRecord) => void; reject: (e: Error) => void }>();
  private where?: CpuPlacement;
  private killed = false;

  constructor(
    private readonly device: WorkerDevice,
    private readonly opts: FreshProcessOptions = {},
  ) {}

  /** Where the last child and this process were pinned (undefined unpinned or before restart()); measuring as the child reported it. */
  get placement(): CpuPlacement | undefined {
    return this.where;
  }

  /** The current child's process id (undefined before restart() and after stop()). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Stops the current child (if any) and starts a fresh one with the device initialised. */
  async restart(): Promise<void> {
    await this.stop();
    if (this.killed) throw new Error('FreshProcessTimer.restart() after kill()');
    const file = fileURLToPath(import.meta.url);
    // The parent's exec arguments (e.g. tsx's loader when running from source) carry over to the child;
    // a parent that runs the sources without tsx in its arguments (vitest) gives the child tsx itself.
    const execArgv = file.endsWith('.ts') && !process.execArgv.some((a) => a.includes('tsx')) ? [...process.execArgv, '--import', tsxLoader()] : process.execArgv;
    const place = this.opts.cpu !== undefined ? placeApart(this.opts.cpu) : undefined;
    if (place?.shared) warnOnce(place.shared, this.opts.onWarning);
    // Pinned: `taskset -c CPUS node …` (fork runs execPath with execArgv before the module; the IPC
    // channel's descriptor survives taskset's exec), so the child never runs anywhere else.
    const launch = place ? { execPath: 'taskset', execArgv: ['-c', place.measuring.join(','), process.execPath, ...execArgv] } : { execArgv };
    const child = fork(file, ['--round-worker'], { ...launch, serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child = child;
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (m: Reply) => {
        if (m.type === 'ready') {
          if (place && m.cpus && m.cpus.join(',') !== place.measuring.join(','))
            return reject(new Error(`round worker ${child.pid} runs on CPU ${m.cpus.join(',')}, not on ${place.measuring.join(',')} as asked`));
          this.where = place && { ...place, measuring: m.cpus ?? place.measuring };
          return resolve();
        }
        if (m.type === 'error' && m.id === undefined) return reject(toError(m));
        const p = m.type === 'round' || m.type === 'error' ? this.pending.get(m.id!) : undefined;
        if (!p) return;
        this.pending.delete(m.id!);
        if (m.type === 'round') p.resolve(m.round);
        else p.reject(toError(m));
      });
      child.on('exit', (code, signal) => {
        const e = new Error(`round worker exited (${signal ?? `code ${code}`})`);
        reject(e);
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
        if (this.child === child) this.child = undefined;
      });
    });
    child.send({ type: 'init', device: this.device.name, options: this.device.options } satisfies Request);
    await ready;
  }

  /** One round of `model` in the current child. */
  time(model: ModelUnderTest, protocol: TimingProtocol): Promise<RoundRecord> {
    const child = this.child;
    if (!child) return Promise.reject(new Error('FreshProcessTimer.time() before restart()'));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      child.send({ type: 'time', id, model, protocol } satisfies Request);
    });
  }

  /**
   * Ends the current child at once (SIGKILL), a round in flight with it, and starts no other: for a caller out
   * of time (nas doctor), where stop() would wait for the round to finish. What the child owed rejects.
   */
  kill(): void {
    this.killed = true;
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.disconnect();
    });
  }
}

/** tsx's loader, for a child that runs this file from source. */
const tsxLoader = () => pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function toError(m: { message: string; user: boolean; exitCode?: number }): Error {
  return m.user ? new UserError(m.message, { exitCode: m.exitCode }) : new Error(m.message);
}

/** The child's side: create the device, time what it is sent, exit when the parent disconnects. */
async function serve(): Promise<void> {
  const { resolveDevice } = await import('./registry.js');
  const { timeRound } = await import('./rounds.js');
  let device: Awaited<ReturnType<typeof resolveDevice>> | undefined;
  const reply = (r: Reply) => process.send!(r);
  const fail = (e: unknown, id?: number) =>
    reply({ type: 'error', id, message: (e as Error).message, user: e instanceof UserError, exitCode: e instanceof UserError ? e.exitCode : undefined });
  process.on('message', async (m: Request) => {
    if (m.type === 'init') {
      try {
        device = await resolveDevice(m.device, m.options);
        await device.init();
        reply({ type: 'ready', cpus: allowedCpus() });
      } catch (e) {
        fail(e);
      }
      return;
    }
    try {
      reply({ type: 'round', id: m.id, round: await timeRound(device!, m.model, m.protocol) });
    } catch (e) {
      fail(e, m.id);
    }
  });
  process.on('disconnect', async () => {
    await device?.dispose();
    process.exit(0);
  });
}

if (process.argv.includes('--round-worker') && process.send && process.argv[1] === fileURLToPath(import.meta.url)) await serve();
