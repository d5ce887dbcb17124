/**
 * From an ONNX file to the list of LUT keys whose latencies sum to its latency on a device: read it,
 * partition it the way that device's runtime runs it, and key every unit.
 *
 * Which partition a device gets (documented per device, docs/onnx.md):
 *   ort-cpu          onnxruntime-node's own optimized graph at the LUT's graphOptimizationLevel (default all)
 *   wasm,            onnxruntime-node's optimized graph at the device's level (default all) with the
 *   browser-wasm     NchwcTransformer off: the kernels onnxruntime-web's WebAssembly build runs (its MLAS has no
 *                    NCHWc kernels; checked against its own profile, test/onnx/partition.test.ts)
 *   everything else  onnxruntime-node's optimized graph at level extended: the platform-independent fusions
 *                    (Conv+BN folding, Conv/Gemm+activation, MatMul+Add, LayerNorm, Gelu…) that every
 *                    onnxruntime build applies, without the x86 NCHWc layout. An assumption for WebGPU/CUDA
 *                    (not checked against their profiles); for tfjs devices an approximation (tfjs fuses
 *                    Conv+bias+activation only).
 */
import type { DeviceName } from '../../devices/registry.js';
import type { DeviceInfo } from '../../devices/types.js';
import type { OnnxGraph } from './graph.js';
import { partitionWithOrt, type OptLevel, type Partition, type Unit } from './partition.js';
import { chainable, chainedKey, unitIo, unitKey } from './extract.js';
import { layoutUnits, type LayoutUnit } from './layout.js';
import { readOnnxGraph, type ReadOptions } from './read.js';
import { DTYPE_NAMES } from './tensor.js';

const DTYPE_BYTES = new Map(Object.values(DTYPE_NAMES).map((d) => [d.name, d.bytes]));

export interface PlannedUnit {
  unit: Unit;
  key: string;
  ops: string[];
  inputs: number[][];
  outputs: number[][];
  /** Input + output activation bytes (float32), what a calibration's per-byte cost multiplies. */
  bytes: number;
  /**
   * Bytes of the weight tensors it reads: float constants of rank ≥ 2 (conv kernels, matrices; not biases,
   * BatchNorm vectors or scalars), what the in-file correction multiplies (src/onnx/in-file.ts).
   */
  weightBytes: number;
  /** Why the harness cannot time it alone, when it cannot (e.g. a non-float runtime input). */
  unsupported?: string;
  /** The LUT key of its in-chain model (src/onnx/extract.ts, chainedModel), when it is chainable: weight-free, its output shaped as its first input. */
  chainKey?: string;
}

export interface OnnxPlan {
  graph: OnnxGraph;
  partition: Partition;
  units: PlannedUnit[];
  level: OptLevel;
  /** Whether the partition has onnxruntime's x86 NCHWc layout (ort-cpu) or not (every other device). */
  nchwc: boolean;
  /** The file's NCHWc reorders as layout units (src/onnx/layout.ts): counted once each, where the optimized graph has them. */
  layout: LayoutUnit[];
  /** Reorders whose plain-layout tensor has no inferred shape (not counted; named in the prediction). */
  layoutUnknown: string[];
}

/** The optimized graph a device runs: onnxruntime's level, and whether its NCHWc layout pass is on. */
export interface PartitionRule {
  level: OptLevel;
  nchwc: boolean;
}

const LEVELS: readonly OptLevel[] = ['disabled', 'basic', 'extended', 'all'];

/**
 * Every registered device states the graph its runtime runs (typed against the registry: a new device must
 * add its line). `lut-level`: the LUT's graphOptimizationLevel (default all); `extended`: onnxruntime's
 * platform-independent fusions only. `remote` follows the execution provider its browser reports.
 */
export const PARTITION_RULES = {
  'ort-cpu': { level: 'lut-level', nchwc: true, why: "onnxruntime-node's CPU provider: its own optimized graph, NCHWc on x86 (checked against its profile)" },
  wasm: { level: 'lut-level', nchwc: false, why: "onnxruntime-web's WebAssembly build: the CPU provider's fusions, no NCHWc kernels in its MLAS (checked against its profile)" },
  'browser-wasm': { level: 'lut-level', nchwc: false, why: 'the same WebAssembly build in Chromium' },
  remote: { level: 'lut-level', nchwc: false, why: "a remote browser's onnxruntime-web: as wasm for its wasm provider, as webgpu for its webgpu provider" },
  webgpu: { level: 'extended', nchwc: false, why: "onnxruntime-web's WebGPU provider: the platform-independent fusions (its own kernel fusions not read)" },
  'webgpu-native': { level: 'extended', nchwc: false, why: "onnxruntime-node's WebGPU provider: as webgpu" },
  cuda: { level: 'extended', nchwc: false, why: "onnxruntime's CUDA provider: the platform-independent fusions (its own not read)" },
  'tfjs-cpu': { level: 'extended', nchwc: false, why: 'an approximation: tfjs fuses conv + bias + activation only' },
  'tfjs-wasm': { level: 'extended', nchwc: false, why: 'as tfjs-cpu' },
  'tfjs-node': { level: 'extended', nchwc: false, why: 'as tfjs-cpu' },
  'tfjs-webgl': { level: 'extended', nchwc: false, why: 'as tfjs-cpu' },
  'tfjs-webgpu': { level: 'extended', nchwc: false, why: 'as tfjs-cpu' },
  mock: { level: 'extended', nchwc: false, why: 'the test device: no runtime of its own' },
} as const satisfies Record<DeviceName, { level: 'lut-level' | OptLevel; nchwc: boolean; why: string }>;

/** The optimized graph a device runs (PARTITION_RULES; docs/onnx.md has the same table). */
export function partitionRuleFor(device: Pick<DeviceInfo, 'device' | 'options'> & { ep?: string } | string): PartitionRule {
  const given = typeof device === 'string' ? undefined : device.options.graphOptimizationLevel;
  const level = LEVELS.includes(given as OptLevel) ? (given as OptLevel) : 'all';
  let name = typeof device === 'string' ? device : device.device;
  if (name === 'cpu') name = 'ort-cpu';
  if (name === 'remote' && typeof device !== 'string' && device.ep === 'webgpu') name = 'webgpu';
  const rule = Object.hasOwn(PARTITION_RULES, name) ? PARTITION_RULES[name as DeviceName] : PARTITION_RULES.webgpu;
  return { level: rule.level === 'lut-level' ? level : rule.level, nchwc: rule.nchwc };
}

/**
 * The units as the harness can time them: a unit that reads a non-float tensor another unit writes (M-LSD's
 * Equal → Cast of a bool map) cannot be fed alone (the harness feeds float32), so it is timed together with the
 * unit that writes that tensor, as one model whose run-time inputs are float: the two kernels run in a row, as in
 * the file (the consumer becomes one of the merged unit's further kernels). Repeated until no such unit is left; a
 * non-float tensor the file's caller feeds (token ids, say) still leaves its unit untimeable, and it says why.
 */
export function timeableUnits(graph: OnnxGraph, units: readonly Unit[]): Unit[] {
  const out = [...units];
  for (;;) {
    const producer = new Map<string, number>();
    out.forEach((u, i) => u.nodes.forEach((n) => n.outputs.forEach((o) => o && producer.set(o, i))));
    const j = out.findIndex((u, i) => {
      const io = unitIo(graph, u);
      const nonFloat = io.inputs.filter((t) => t.dtype !== 'float32');
      return nonFloat.length > 0 && nonFloat.every((t) => producer.has(t.name) && producer.get(t.name) !== i);
    });
    if (j < 0) return out;
    const io = unitIo(graph, out[j]);
    const from = producer.get(io.inputs.find((t) => t.dtype !== 'float32')!.name)!;
    const [p, c] = [out[from], out[j]];
    const merged: Unit = {
      nodes: [...p.nodes, ...c.nodes].sort((a, b) => a.index - b.index),
      kernel: p.kernel,
      also: [...(p.also ?? []), c.kernel, ...(c.also ?? [])],
    };
    out[from] = merged;
    out.splice(j, 1);
  }
}

export function planUnits(graph: OnnxGraph, partition: Partition): PlannedUnit[] {
  return timeableUnits(graph, partition.units).map((unit) => {
    const io = unitIo(graph, unit);
    const count = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const nonFloat = io.inputs.find((t) => t.dtype !== 'float32');
    const key = unitKey(graph, unit, io);
    const weightBytes = io.constants.filter((x) => x.dtype.startsWith('float') && x.shape.length >= 2).reduce((t, x) => t + count(x.shape) * (DTYPE_BYTES.get(x.dtype) ?? 4), 0);
    return {
      unit,
      key,
      ops: unit.nodes.map((n) => (n.domain ? `${n.domain}.${n.opType}` : n.opType)),
      inputs: io.inputs.map((t) => t.shape),
      outputs: io.outputs.map((t) => t.shape),
      bytes: 4 * [...io.inputs, ...io.outputs].reduce((t, x) => t + count(x.shape), 0),
      weightBytes,
      unsupported: nonFloat ? `its run-time input '${nonFloat.name}' is ${nonFloat.dtype}; the timing harness feeds float32 only` : undefined,
      ...(!nonFloat && chainable(io, weightBytes) ? { chainKey: chainedKey(key) } : {}),
    };
  });
}

export async function planOnnx(file: string, opts: ReadOptions & { level: OptLevel; nchwc?: boolean }): Promise<OnnxPlan> {
  const graph = await readOnnxGraph(file, opts);
  const nchwc = opts.nchwc !== false;
  return planFromPartition(graph, await partitionWithOrt(graph, opts.level, { nchwc }), opts.level, nchwc);
}

/** Keys for a partition's units and layout kernels. */
export function planFromPartition(graph: OnnxGraph, partition: Partition, level: OptLevel, nchwc: boolean): OnnxPlan {
  const { units: layout, unknown } = layoutUnits(partition.layoutKernels, (t) => graph.tensors.get(t)?.shape);
  return { graph, partition, units: planUnits(graph, partition), level, nchwc, layout, layoutUnknown: unknown.map((k) => k.name) };
}
