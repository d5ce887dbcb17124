/**
 * onnxruntime's own account of what it ran: one inference with `enableProfiling`, the Chrome-trace JSON read
 * back (in Node `endProfiling()` returns nothing, so the file is found by its prefix), one record per
 * kernel with its node name, op, provider, output shapes and duration. Used to check partitions
 * (test/onnx/partition.test.ts) and by bench/onnx-fidelity.ts.
 */
import fs, { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { OnnxGraph } from './graph.js';
import { renamedModelBytes, type OptLevel } from './partition.js';

export interface ProfiledKernel {
  name: string;
  op: string;
  provider: string;
  outputShapes: number[][];
  /** Microseconds, summed over the profiled runs. */
  durUs: number;
  /** The fastest run's microseconds: what the kernel costs when nothing else takes the core. */
  minUs: number;
  /**
   * The most intra-op pool threads that ran a part of the kernel beside the calling thread in any profiled
   * run (onnxruntime's `thread_scheduling_stats`, written only with more than one intra-op thread): 0 when
   * the kernel ran on the calling thread alone.
   */
  subThreads: number;
  /**
   * The median run's microseconds, the first run left out when there are more than two (it allocates and
   * first-touches): what the kernel costs in a typical run, as a wall-clock median sees it.
   */
  medUs?: number;
}

export async function ortProfileKernels(g: OnnxGraph, level: OptLevel, runs = 1): Promise<ProfiledKernel[]> {
  return ortProfileModel(renamedModelBytes(g), g.inputs, level, runs);
}

/**
 * What the profiled runs are fed: 0.5 everywhere (the default, as the timing harness feeds), or values drawn
 * uniformly from [−1, 1) with a fixed seed (bench/onnx-input-values.ts: whether a file's kernel times
 * depend on the values; measured, they did not beyond the session-to-session spread, docs/benchmarks.md
 * "Issue 17, fourth pass").
 */
export type InputValues = 'half' | 'uniform';

function inputData(n: number, values: InputValues): Float32Array {
  const data = new Float32Array(n);
  if (values === 'half') return data.fill(0.5);
  let state = 0x2545f491;
  for (let i = 0; i < n; i++) {
    // xorshift32: reproducible, no dependency on the project's Rng stream
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    data[i] = ((state >>> 0) / 2 ** 32) * 2 - 1;
  }
  return data;
}

/**
 * The same for any model bytes (a unit's model, say), fed float32 inputs of the given shapes. `threads` is the
 * session's intra-op thread count (1 by default, as the LUT's own-layout records; 0 lets onnxruntime choose,
 * as ort-cpu's default does): a kernel's duration is then its wall time across the pool's threads.
 */
export async function ortProfileModel(
  bytes: Uint8Array,
  inputs: { name: string; shape: number[] }[],
  level: OptLevel,
  runs = 1,
  values: InputValues = 'half',
  threads = 1,
): Promise<ProfiledKernel[]> {
  return kernelsOfTrace((await ortProfileTrace(bytes, inputs, level, runs, values, threads)).trace);
}

/**
 * The raw Chrome trace of `runs` profiled runs on onnxruntime-node, with each run's wall time as JavaScript saw
 * it (session.run): as wasmProfileTrace, for splitting a run into its kernels, what the executor does between
 * them (`model_run` less the kernels) and what JavaScript adds around it (bench/onnx-unit-split.ts).
 */
export async function ortProfileTrace(
  bytes: Uint8Array,
  inputs: { name: string; shape: number[] }[],
  level: OptLevel,
  runs = 1,
  values: InputValues = 'half',
  threads = 1,
): Promise<{ trace: string; wallMs: number[] }> {
  const ort = await import('onnxruntime-node');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hwnas-prof-'));
  try {
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: level,
      enableProfiling: true,
      profileFilePrefix: path.join(dir, 'trace'),
      logSeverityLevel: 3,
    });
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
    for (const i of inputs) feeds[i.name] = new ort.Tensor('float32', inputData(i.shape.reduce((a, b) => a * b, 1), values), i.shape);
    const wallMs: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      await session.run(feeds);
      wallMs.push(performance.now() - t0);
    }
    session.endProfiling();
    await session.release();
    const file = readdirSync(dir).find((f) => f.startsWith('trace'));
    if (!file) throw new Error('onnxruntime wrote no profile');
    return { trace: readFileSync(path.join(dir, file), 'utf8'), wallMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One record per kernel of a Chrome-trace JSON that onnxruntime's profiler wrote. */
export function kernelsOfTrace(text: string): ProfiledKernel[] {
  const events = JSON.parse(text) as {
    cat: string;
    name: string;
    dur: number;
    args?: { op_name?: string; provider?: string; output_type_shape?: Record<string, number[]>[]; thread_scheduling_stats?: { sub_threads?: Record<string, { num_run?: number }> } };
  }[];
  const byName = new Map<string, ProfiledKernel>();
  const times = new Map<string, number[]>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    const k = byName.get(name) ?? {
      name,
      op: e.args?.op_name ?? '',
      provider: e.args?.provider ?? '',
      outputShapes: (e.args?.output_type_shape ?? []).map((o) => Object.values(o)[0] ?? []),
      durUs: 0,
      minUs: Infinity,
      subThreads: 0,
      medUs: 0,
    };
    k.durUs += e.dur;
    k.minUs = Math.min(k.minUs, e.dur);
    const sub = Object.values(e.args?.thread_scheduling_stats?.sub_threads ?? {}).filter((t) => (t.num_run ?? 0) > 0).length;
    k.subThreads = Math.max(k.subThreads, sub);
    byName.set(name, k);
    times.set(name, [...(times.get(name) ?? []), e.dur]);
  }
  for (const [name, ds] of times) {
    // In trace order: the first run is the session's first (allocation, first touches).
    const s = (ds.length > 2 ? ds.slice(1) : ds).sort((a, b) => a - b);
    const m = s.length >> 1;
    byName.get(name)!.medUs = s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  }
  return [...byName.values()];
}

/**
 * The same account from onnxruntime-web's WebAssembly build (1 thread), whose optimizer cannot write an
 * optimized model (the wasm module has no file system: optimizedModelFilePath crashes it) but whose profiler
 * prints the trace to stdout when the session ends profiling; it is captured here.
 */
export async function wasmProfileModel(bytes: Uint8Array, inputs: { name: string; shape: number[] }[], level: OptLevel, runs = 1, values: InputValues = 'half'): Promise<ProfiledKernel[]> {
  return kernelsOfTrace((await wasmProfileTrace(bytes, inputs, level, runs, values)).trace);
}

/**
 * The raw Chrome trace of `runs` profiled runs on onnxruntime-web's wasm build, with each run's wall time
 * as JavaScript saw it (session.run: the input copied into the heap, the run, the output copied out).
 * The trace holds one `model_run` event (cat Session) per run besides the kernels (bench/onnx-file-cost.ts
 * splits a run into its kernels and what the executor does between them).
 */
export async function wasmProfileTrace(
  bytes: Uint8Array,
  inputs: { name: string; shape: number[] }[],
  level: OptLevel,
  runs = 1,
  values: InputValues = 'half',
): Promise<{ trace: string; wallMs: number[] }> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: level, enableProfiling: true, logSeverityLevel: 3 });
  try {
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
    for (const i of inputs) feeds[i.name] = new ort.Tensor('float32', inputData(i.shape.reduce((a, b) => a * b, 1), values), i.shape);
    const wallMs: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      await session.run(feeds);
      wallMs.push(performance.now() - t0);
    }
    // Its Node build prints with fs.writeSync(1, line) on the fs module object: capture those lines.
    const chunks: string[] = [];
    const writeSync = fs.writeSync;
    fs.writeSync = ((fd: number, data: unknown, ...rest: never[]) =>
      fd === 1 && typeof data === 'string' ? (chunks.push(data), data.length) : (writeSync as (...a: unknown[]) => number)(fd, data, ...rest)) as typeof fs.writeSync;
    try {
      session.endProfiling();
    } finally {
      fs.writeSync = writeSync;
    }
    const text = chunks.join('');
    const start = text.indexOf('[');
    if (start < 0) throw new Error('onnxruntime-web printed no profile');
    return { trace: text.slice(start, text.lastIndexOf(']') + 1), wallMs };
  } finally {
    await session.release();
  }
}
