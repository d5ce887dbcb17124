/**
 * Where a space's prediction error sits, by onnxruntime's own profiler (bench/fidelity.ts --kernels N): each
 * network and each of its LUT units (the one-op models `nas profile` times) run 20 times with profiling on,
 * each kernel counted at its fastest run. The fastest run of a kernel is what it costs when nothing else takes
 * the core, so on a loaded machine this comparison holds where the wall-clock one does not. Per ONNX op type it
 * sets Σ kernels inside the networks against Σ kernels of their units alone (each unit once per occurrence);
 * what neither sum holds (the session's per-node dispatch, allocation, the scheduler) is the wall clock less
 * the network's kernels.
 */
import type { Architecture } from '../src/core/arch.js';
import { lutInstances } from '../src/core/decompose.js';
import { opKey } from '../src/core/keys.js';
import { ortProfileModel, wasmProfileModel, type ProfiledKernel } from '../src/onnx/ort-profile.js';
import { ortOptimizedModelNodes } from '../src/onnx/partition.js';
import { edgeReorders } from '../src/profile/own-layout.js';
import { networkModel, opModel } from '../export/model.js';

const RUNS = 20;

/** Σ fastest-run ms per ONNX op type. */
function byOp(ks: ProfiledKernel[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of ks) m.set(k.op, (m.get(k.op) ?? 0) + k.minUs / 1000);
  return m;
}

export interface KernelPoint {
  name: string;
  /** Σ kernels of the network (fastest run each), ms. */
  networkMs: number;
  /** Σ kernels of its units alone, ms. */
  unitsMs: number;
  nodes: number;
  unitKernels: number;
  /** Σ of the NCHWc reorder kernels (ort-cpu) in the network, and in its units alone, ms. */
  networkReordersMs: number;
  unitReordersMs: number;
  /** Those of the units' reorders at their models' edges (ort-cpu; 0 on wasm), ms. */
  unitEdgeReordersMs: number;
}

/** Markdown lines (a per-op table over all `archs`, then one line per network) and the points. */
/** `threads`: onnxruntime-node's intra-op threads (0: its own choice, as ort-cpu's default); wasm profiles 1 thread. */
export async function kernelBreakdown(archs: Architecture[], wasm: boolean, label: string, threads = 1): Promise<{ lines: string[]; points: KernelPoint[] }> {
  const profile = (bytes: Uint8Array, inputs: { name: string; shape: number[] }[], level: 'all', runs: number) =>
    wasm ? wasmProfileModel(bytes, inputs, level, runs) : ortProfileModel(bytes, inputs, level, runs, 'half', threads);
  const unitCache = new Map<string, ProfiledKernel[]>();
  const edgeCache = new Map<string, Set<string>>();
  const netOps = new Map<string, number>();
  const unitOps = new Map<string, number>();
  const add = (into: Map<string, number>, from: Map<string, number>) => from.forEach((v, k) => into.set(k, (into.get(k) ?? 0) + v));
  const points: KernelPoint[] = [];
  for (const arch of archs) {
    const model = networkModel(arch);
    const net = await profile(model.onnx, model.inputs, 'all', RUNS);
    const units: ProfiledKernel[] = [];
    let unitEdgeUs = 0;
    for (const { inst } of lutInstances(arch)) {
      const key = opKey(inst);
      if (!unitCache.has(key)) {
        const m = opModel(inst);
        unitCache.set(key, await profile(m.onnx, m.inputs, 'all', RUNS));
        edgeCache.set(key, wasm ? new Set() : edgeReorders((await ortOptimizedModelNodes(m.onnx, 'all', { label: key })).nodes));
      }
      units.push(...unitCache.get(key)!);
      unitEdgeUs += unitCache.get(key)!.filter((k) => edgeCache.get(key)!.has(k.name)).reduce((t, k) => t + k.minUs, 0);
    }
    add(netOps, byOp(net));
    add(unitOps, byOp(units));
    const sum = (ks: ProfiledKernel[]) => ks.reduce((t, k) => t + k.minUs, 0) / 1000;
    const reorders = (ks: ProfiledKernel[]) => sum(ks.filter((k) => /^Reorder(Input|Output)$/.test(k.op)));
    points.push({ name: arch.name, networkMs: sum(net), unitsMs: sum(units), nodes: net.length, unitKernels: units.length, networkReordersMs: reorders(net), unitReordersMs: reorders(units), unitEdgeReordersMs: unitEdgeUs / 1000 });
    process.stderr.write(`kernels ${points.length}/${archs.length}: network ${sum(net).toFixed(3)} ms, units ${sum(units).toFixed(3)} ms\n`);
  }
  const ops = [...new Set([...netOps.keys(), ...unitOps.keys()])].sort((a, b) => (netOps.get(b) ?? 0) + (unitOps.get(b) ?? 0) - (netOps.get(a) ?? 0) - (unitOps.get(a) ?? 0));
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const [tn, tu] = [total(netOps), total(unitOps)];
  const lines = [
    `kernels (${wasm ? 'onnxruntime-web wasm' : 'onnxruntime-node cpu'} profiler, ${wasm || threads === 1 ? '1 thread' : threads === 0 ? 'onnxruntime\'s default threads' : `${threads} threads`}, level all, each kernel's fastest of ${RUNS} runs), ${label}, ${archs.length} networks:`,
    '',
    '| ONNX op | Σ in the networks ms | Σ units alone ms | units − networks ms | share of the difference |',
    '|---|---|---|---|---|',
    ...ops.map((op) => {
      const [n, u] = [netOps.get(op) ?? 0, unitOps.get(op) ?? 0];
      return `| ${op} | ${n.toFixed(3)} | ${u.toFixed(3)} | ${(u - n).toFixed(3)} | ${tu === tn ? '–' : `${((100 * (u - n)) / (tu - tn)).toFixed(0)}%`} |`;
    }),
    `| all | ${tn.toFixed(3)} | ${tu.toFixed(3)} | ${(tu - tn).toFixed(3)} | 100% |`,
    '',
  ];
  return { lines, points };
}
