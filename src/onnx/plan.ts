/**
 * From an ONNX file to the list of LUT keys whose latencies sum to its latency on a device: read it,
 * partition it the way that device's runtime runs it, and key every unit.
 *
 * Which partition a device gets (documented per device, docs/onnx.md):
 *   ort-cpu          onnxruntime-node's own optimized graph at the LUT's graphOptimizationLevel (default all)
 *   everything else  onnxruntime-node's optimized graph at level extended: the platform-independent fusions
 *                    (Conv+BN folding, Conv/Gemm+activation, MatMul+Add, LayerNorm, Gelu…) that every
 *                    onnxruntime build applies, without the x86 NCHWc layout (wasm/WebGPU builds lack those
 *                    kernels). For tfjs devices this is an approximation: tfjs fuses Conv+bias+activation only.
 */
import type { DeviceInfo } from '../../devices/types.js';
import type { OnnxGraph } from './graph.js';
import { partitionWithOrt, type OptLevel, type Partition, type Unit } from './partition.js';
import { unitIo, unitKey } from './extract.js';
import { readOnnxGraph, type ReadOptions } from './read.js';

export interface PlannedUnit {
  unit: Unit;
  key: string;
  ops: string[];
  inputs: number[][];
  outputs: number[][];
  /** Input + output activation bytes (float32), what a calibration's per-byte cost multiplies. */
  bytes: number;
  /** Why the harness cannot time it alone, when it cannot (e.g. a non-float runtime input). */
  unsupported?: string;
}

export interface OnnxPlan {
  graph: OnnxGraph;
  partition: Partition;
  units: PlannedUnit[];
  level: OptLevel;
}

const LEVELS: readonly OptLevel[] = ['disabled', 'basic', 'extended', 'all'];

/** The optimisation level whose optimized graph a device runs (see the file comment). */
export function partitionLevelFor(device: Pick<DeviceInfo, 'device' | 'options'> | string): OptLevel {
  const name = typeof device === 'string' ? device : device.device;
  if (name === 'ort-cpu' || name === 'cpu') {
    const level = typeof device === 'string' ? undefined : device.options.graphOptimizationLevel;
    return LEVELS.includes(level as OptLevel) ? (level as OptLevel) : 'all';
  }
  return 'extended';
}

export function planUnits(graph: OnnxGraph, partition: Partition): PlannedUnit[] {
  return partition.units.map((unit) => {
    const io = unitIo(graph, unit);
    const count = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const nonFloat = io.inputs.find((t) => t.dtype !== 'float32');
    return {
      unit,
      key: unitKey(graph, unit, io),
      ops: unit.nodes.map((n) => (n.domain ? `${n.domain}.${n.opType}` : n.opType)),
      inputs: io.inputs.map((t) => t.shape),
      outputs: io.outputs.map((t) => t.shape),
      bytes: 4 * [...io.inputs, ...io.outputs].reduce((t, x) => t + count(x.shape), 0),
      unsupported: nonFloat ? `its run-time input '${nonFloat.name}' is ${nonFloat.dtype}; the timing harness feeds float32 only` : undefined,
    };
  });
}

export async function planOnnx(file: string, opts: ReadOptions & { level: OptLevel }): Promise<OnnxPlan> {
  const graph = await readOnnxGraph(file, opts);
  const partition = await partitionWithOrt(graph, opts.level);
  return { graph, partition, units: planUnits(graph, partition), level: opts.level };
}
