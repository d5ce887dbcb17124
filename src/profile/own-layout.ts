/**
 * The NCHWc layout reorders a LUT unit's one-unit model runs on onnxruntime-node (ReorderInput /
 * ReorderOutput, src/onnx/layout.ts), timed by onnxruntime's own profiler.
 *
 * At graph optimisation level `all` the CPU provider runs convolutions in a blocked layout and converts at the
 * edges of its NCHWc regions. A unit timed alone converts its own input and output (and around any op inside
 * it that has no NCHWc kernel); a network of such units converts only where its layout changes. How much of a
 * unit's figure is its own conversion is therefore a property of the unit worth keeping beside its time: a
 * prediction can count the unit without it (`predict(..., { ownLayout: 'edges' | 'all' })`), and the attribution
 * bench (bench/unit-attribution.ts) sets it against the networks. The figure is each reorder kernel's fastest
 * of RUNS profiled runs at 1 thread: what the kernel costs when nothing else takes the core.
 */
import type { DeviceInfo, ModelUnderTest } from '../../devices/types.js';
import type { LutOwnLayout } from '../../lut/format.js';
import { ortProfileModel, type ProfiledKernel } from '../onnx/ort-profile.js';
import { isReorder, ortOptimizedModelNodes, type OptimizedNode } from '../onnx/partition.js';

const RUNS = 20;

/**
 * Whether a LUT measured on `info` gets its units' own reorders recorded: onnxruntime-node's CPU provider at
 * level `all` (the level that lays convolutions out in NCHWc) with one intra-op thread (the profiler's).
 */
export function recordsOwnLayout(info: DeviceInfo): boolean {
  const o = info.options as Record<string, unknown>;
  return info.runtime === 'onnxruntime-node' && info.ep === 'cpu' && o.graphOptimizationLevel === 'all' && o.threads === 1;
}

/**
 * The names of the reorders at the model's edges: a ReorderInput that reads a graph input, a ReorderOutput that
 * writes a graph output. Those are the conversions a unit pays only because it runs alone; a reorder inside
 * the unit (around an op without an NCHWc kernel: a channel split, a shuffle) is one its network runs too.
 */
export function edgeReorders(nodes: readonly OptimizedNode[]): Set<string> {
  const produced = new Set(nodes.flatMap((n) => n.outputs));
  const consumed = new Set(nodes.flatMap((n) => n.inputs));
  return new Set(
    nodes.filter((n) => isReorder(n.op) && (n.op.endsWith('ReorderInput') ? !produced.has(n.inputs[0]) : !consumed.has(n.outputs[0]))).map((n) => n.name),
  );
}

/** The reorders among a profile's kernels, summed (fastest run each); `edges`: the names of those at the model's edges. */
export function ownLayoutOf(kernels: readonly ProfiledKernel[], edges: ReadonlySet<string>): LutOwnLayout {
  // onnxruntime's profiler names the op without its domain (ReorderInput); the optimised graph with it.
  const reorders = kernels.filter((k) => isReorder(k.op) || isReorder(`com.microsoft.nchwc:${k.op}`));
  const atEdges = reorders.filter((k) => edges.has(k.name));
  const ms = (ks: ProfiledKernel[]) => ks.reduce((t, k) => t + k.minUs, 0) / 1000;
  return { reorders: reorders.length, kernelMs: ms(reorders), edgeReorders: atEdges.length, edgeMs: ms(atEdges), runs: RUNS };
}

/** Profiles the unit's model (RUNS runs) and returns its own reorders, those at its edges told apart by its optimised graph. */
export async function measureOwnLayout(model: ModelUnderTest): Promise<LutOwnLayout> {
  const { nodes } = await ortOptimizedModelNodes(model.onnx, 'all', { label: model.key });
  return ownLayoutOf(await ortProfileModel(model.onnx, model.inputs, 'all', RUNS), edgeReorders(nodes));
}
