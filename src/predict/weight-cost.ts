/**
 * What a network pays per byte of its blocks' weights beyond their one-unit models, measured at kernel level
 * (onnxruntime's own profiler: onnxruntime-node's for ort-cpu, onnxruntime-web's for wasm). A one-unit model timed run after run keeps its weights in the
 * core's caches; inside a network each block's weights were last read one whole run ago, behind every other
 * block's weights and activations, and come from farther away. Per block, the network's kernels are matched to
 * the same kernels of its one-unit model (by name: `<layer id>.<part>` in the network, `op.<part>` alone; what
 * is left, such as the unit's last kernel named after its model's output, by op type in order) and the
 * difference is fitted as `perUnitMs + perWeightByteMs · weight bytes` over all blocks (least squares, neither
 * negative). Kernels without a twin (the unit's own reorders, an Add the network fuses) are left out: they are
 * what the unit pays alone, which its LUT figure and the calibration's other terms already hold.
 *
 * Measured on this VM (docs/benchmarks.md, "Issue 13: what a network pays beyond its units on ort-cpu"): 25–31
 * µs per MiB of weights at 128 and 224 px alike, in line with wasm's in-file reuse fit (src/onnx/reuse.ts). On wasm
 * at 128 px (docs/benchmarks.md, "Issue 13: the weight cost on wasm"): 29–34 µs per MiB on mbv2's calibration nets,
 * 42–60 on RegNet's; every kernel pairs there (no layout reorders).
 */
import type { Architecture } from '../core/arch.js';
import { lutInstances } from '../core/decompose.js';
import { opKey } from '../core/keys.js';
import type { OpInstance } from '../core/ops.js';
import type { ProfiledKernel } from '../onnx/ort-profile.js';
import { instanceWeightBytes } from './net-features.js';

/** One block of a profiled network: its kernels inside the network and alone, paired. */
export interface BlockKernels {
  net: string;
  layer: number;
  key: string;
  weightBytes: number;
  /** Σ fastest-run ms of the paired kernels, in the network and alone. */
  matchedNetMs: number;
  matchedAloneMs: number;
  /** Σ fastest-run ms of the kernels without a twin: the unit's alone (its edge reorders, an unfused Add), the network's in the layer. */
  aloneOnlyMs: number;
  netOnlyMs: number;
}

const ms = (ks: readonly ProfiledKernel[]) => ks.reduce((t, k) => t + k.minUs, 0) / 1000;
const part = (k: ProfiledKernel) => k.name.slice(k.name.indexOf('.') + 1);

/** Pairs a layer's kernels in the network with its one-unit model's: by name, then what is left by op type in order. */
export function pairKernels(inNet: readonly ProfiledKernel[], alone: readonly ProfiledKernel[]): { pairs: [ProfiledKernel, ProfiledKernel][]; netOnly: ProfiledKernel[]; aloneOnly: ProfiledKernel[] } {
  const pairs: [ProfiledKernel, ProfiledKernel][] = [];
  const restNet = [...inNet];
  const restAlone = [...alone];
  const take = (match: (a: ProfiledKernel, n: ProfiledKernel) => boolean) => {
    for (const a of [...restAlone]) {
      const i = restNet.findIndex((n) => match(a, n));
      if (i < 0) continue;
      pairs.push([restNet[i], a]);
      restNet.splice(i, 1);
      restAlone.splice(restAlone.indexOf(a), 1);
    }
  };
  take((a, n) => a.name.startsWith('op.') && part(a) === part(n));
  // A unit's reorders never pair: in the network they are named after no layer.
  take((a, n) => a.op === n.op && !/^Reorder(Input|Output)$/.test(a.op));
  return { pairs, netOnly: restNet, aloneOnly: restAlone };
}

/** The blocks of `arch` from its network's kernels and its units' (by op key), as pairKernels pairs them. */
export function blockKernels(arch: Architecture, network: readonly ProfiledKernel[], units: ReadonlyMap<string, readonly ProfiledKernel[]>): BlockKernels[] {
  // The kernel that writes the network's output is named after it (`output`, `output_nchwc`): the last layer's.
  const last = arch.layers.length - 1;
  const ofOutput = (k: ProfiledKernel) => /^output(_|$)/.test(k.name);
  return lutInstances(arch).map(({ layerIndex, inst }) => {
    const prefix = `${arch.layers[layerIndex].id ?? `layer${layerIndex}`}.`;
    const key = opKey(inst);
    const alone = units.get(key);
    if (!alone) throw new Error(`no kernels for unit ${key}`);
    const { pairs, netOnly, aloneOnly } = pairKernels(
      network.filter((k) => k.name.startsWith(prefix) || (layerIndex === last && ofOutput(k))),
      alone,
    );
    return {
      net: arch.name,
      layer: layerIndex,
      key,
      weightBytes: instanceWeightBytes(inst, key),
      matchedNetMs: ms(pairs.map((p) => p[0])),
      matchedAloneMs: ms(pairs.map((p) => p[1])),
      aloneOnlyMs: ms(aloneOnly),
      netOnlyMs: ms(netOnly),
    };
  });
}

export interface WeightCost {
  /** ms per byte of a block's weights that a network pays beyond the block's one-unit model. */
  perWeightByteMs: number;
  /** ms per block beyond that (small: the cache misses on a block's activations and code). */
  perUnitMs: number;
  blocks: number;
  /** RMS of the fit's residuals over the blocks, ms. */
  residualMs: number;
}

/** Least squares of each block's matched difference on [1, weight bytes], neither coefficient negative. */
export function fitWeightCost(blocks: readonly Pick<BlockKernels, 'weightBytes' | 'matchedNetMs' | 'matchedAloneMs'>[]): WeightCost {
  if (blocks.length < 3) throw new Error(`the weight cost needs at least 3 profiled blocks, got ${blocks.length}`);
  const y = blocks.map((b) => b.matchedNetMs - b.matchedAloneMs);
  const x = blocks.map((b) => b.weightBytes);
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  const sxx = x.reduce((s, v) => s + (v - mx) ** 2, 0);
  let slope = sxx > 0 ? x.reduce((s, v, i) => s + (v - mx) * (y[i] - my), 0) / sxx : 0;
  let intercept = my - slope * mx;
  if (slope < 0) [slope, intercept] = [0, my];
  if (intercept < 0) {
    // Through the origin.
    intercept = 0;
    const sx2 = x.reduce((s, v) => s + v * v, 0);
    slope = sx2 > 0 ? Math.max(0, x.reduce((s, v, i) => s + v * y[i], 0) / sx2) : 0;
  }
  const residualMs = Math.sqrt(y.reduce((s, v, i) => s + (v - intercept - slope * x[i]) ** 2, 0) / n);
  return { perWeightByteMs: slope, perUnitMs: intercept, blocks: n, residualMs };
}

/**
 * Profiles `archs` and their units on onnxruntime-node (CPU provider, `threads` intra-op threads, 0 letting it
 * choose) or on onnxruntime-web's wasm build (1 thread: the process's runtime), level all, `runs` runs each,
 * every kernel at its fastest run, and returns the blocks. `instances` of every arch are profiled once per key.
 */
export async function profileBlocks(archs: readonly Architecture[], runs = 20, threads = 1, runtime: WeightCostRuntime = 'ort-cpu'): Promise<BlockKernels[]> {
  const [{ ortProfileModel, wasmProfileModel }, { networkModel, opModel }] = await Promise.all([import('../onnx/ort-profile.js'), import('../../export/model.js')]);
  const profile = (onnx: Uint8Array, inputs: { name: string; shape: number[] }[]) =>
    runtime === 'wasm' ? wasmProfileModel(onnx, inputs, 'all', runs, 'half') : ortProfileModel(onnx, inputs, 'all', runs, 'half', threads);
  const units = new Map<string, ProfiledKernel[]>();
  const out: BlockKernels[] = [];
  for (const arch of archs) {
    const model = networkModel(arch);
    const network = await profile(model.onnx, model.inputs);
    for (const { inst } of lutInstances(arch)) await unitKernels(inst);
    out.push(...blockKernels(arch, network, units));
  }
  return out;
  async function unitKernels(inst: OpInstance) {
    const key = opKey(inst);
    if (units.has(key)) return;
    const m = opModel(inst);
    units.set(key, await profile(m.onnx, m.inputs));
  }
}

/** The runtimes whose kernels can be profiled in this process: onnxruntime-node's CPU provider, onnxruntime-web's wasm build (1 thread). */
export type WeightCostRuntime = 'ort-cpu' | 'wasm';

/** Where a weight cost is profiled: the LUT's runtime and intra-op threads (wasm: 1). */
export interface WeightCostTarget {
  runtime: WeightCostRuntime;
  threads: number;
}

const ORT_CPU_1: WeightCostTarget = { runtime: 'ort-cpu', threads: 1 };

/** How many calibration networks `measureWeightCost` profiles by default (a few seconds at 224 px on ort-cpu). */
export const WEIGHT_COST_NETS = 4;

/**
 * The weight cost on `target` (onnxruntime-node's CPU provider at 1 thread by default; level all) measured on the
 * first `n` of `archs` (calibration networks): what `nas profile --calibrate` and bench/fidelity.ts give the
 * calibration. The caller checks that the LUT is one of that runtime's (src/profile/calibration-weight-cost.ts
 * weightCostTarget); the profiler's failures are thrown.
 */
export async function measureWeightCost(archs: readonly Architecture[], n = WEIGHT_COST_NETS, target: WeightCostTarget = ORT_CPU_1): Promise<WeightCost> {
  // A first pass over the first network and its units, discarded: the first profiles of a process read 13.5
  // µs/MiB where the next ones read 23.9–24.3 (128 px, same nets, same process; docs/benchmarks.md).
  await profileBlocks(archs.slice(0, 1), 3, target.threads, target.runtime);
  return fitWeightCost(await profileBlocks(archs.slice(0, n), 20, target.threads, target.runtime));
}
