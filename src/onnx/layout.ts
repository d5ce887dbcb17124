/**
 * NCHWc layout kernels (onnxruntime's ReorderInput / ReorderOutput on x86) as units of their own.
 *
 * At level `all` onnxruntime-node runs convolutions in a blocked channel layout (NCHWc) and reorders a tensor
 * only where the layout changes: a whole file pays a handful of reorders, at the edges of its NCHWc regions.
 * A unit timed alone is a one-unit model whose inputs and outputs are plain NCHW, so it pays its own reorders
 * on every input and output (measured: ~40% of the sum of a 64-px mbv2 net's units, docs/benchmarks.md).
 * The prediction therefore counts each unit without the reorders its one-unit model ran, and adds the
 * reorders the file's optimized graph has, each timed as a one-node model and keyed by op, attributes and the
 * plain-layout shape:
 *
 *   onnx:com.microsoft.nchwc.ReorderInput:1x32x16x16:<16 hex of sha256 over op, attributes, shape>:f32
 *
 * Which reorders a unit's model runs is asked of onnxruntime (its optimized graph, like the file's
 * partition), recorded in the unit's LUT entry (`unit.layout`) and cached per model.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import type { Lut, LutEntry, LutUnit } from '../../lut/format.js';
import { cacheDir, isReorder, ortOptimizedModelNodes, type OptimizedNode, type OptLevel } from './partition.js';

const { onnx } = onnxProto;
export const NCHWC_DOMAIN = 'com.microsoft.nchwc';

export interface LayoutUnit {
  key: string;
  /** The op as unit keys write it: com.microsoft.nchwc.ReorderInput / …ReorderOutput. */
  op: string;
  /** The plain-layout side's shape: ReorderInput's input, ReorderOutput's output (NCHW, or NHWC with channels_last). */
  shape: number[];
  /** channels_last (both), channels (ReorderOutput). */
  attrs: Record<string, number>;
  /** The kernel's name in the optimized graph. */
  kernel: string;
  /** Plain-layout bytes read + written (float32), what a calibration's per-byte cost multiplies. */
  bytes: number;
}

/**
 * The reorder kernels among `kernels` as layout units; `shapeOf` gives an original tensor's shape. A reorder
 * whose plain-layout tensor has no known shape is returned in `unknown`.
 */
export function layoutUnits(kernels: readonly OptimizedNode[], shapeOf: (tensor: string) => number[] | undefined): { units: LayoutUnit[]; unknown: OptimizedNode[] } {
  const units: LayoutUnit[] = [];
  const unknown: OptimizedNode[] = [];
  for (const k of kernels) {
    if (!isReorder(k.op)) continue;
    const input = k.op.endsWith('ReorderInput');
    const shape = shapeOf(input ? k.inputs[0] : k.outputs[0]);
    if (!shape || shape.length !== 4) {
      unknown.push(k);
      continue;
    }
    const attrs: Record<string, number> = { channels_last: k.attrs?.channels_last ?? 0 };
    if (!input) attrs.channels = k.attrs?.channels ?? (attrs.channels_last ? shape[3] : shape[1]);
    units.push(layoutUnit(input ? 'ReorderInput' : 'ReorderOutput', shape, attrs, k.name));
  }
  return { units, unknown };
}

export function layoutUnit(opType: 'ReorderInput' | 'ReorderOutput', shape: number[], attrs: Record<string, number>, kernel = ''): LayoutUnit {
  const op = `${NCHWC_DOMAIN}.${opType}`;
  const sorted = Object.keys(attrs)
    .sort()
    .map((k) => [k, attrs[k]]);
  const hash = createHash('sha256').update(JSON.stringify({ op, attrs: sorted, shape })).digest('hex').slice(0, 16);
  return { key: `onnx:${op}:${shape.join('x')}:${hash}:f32`, op, shape, attrs, kernel, bytes: 2 * 4 * shape.reduce((a, b) => a * b, 1) };
}

let blockSize: Promise<number> | undefined;

/** MLAS's NCHWc channel block on this machine (8 with AVX2, 16 with AVX-512): a reordered [1,4,1,1] tensor's channel count (ReorderInput takes multiples of 4). */
export function nchwcBlockSize(): Promise<number> {
  return (blockSize ??= (async () => {
    const ort = await import('onnxruntime-node');
    const bytes = layoutModelBytes('ReorderInput', [1, 4, 1, 1], { channels_last: 0 }, undefined);
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, logSeverityLevel: 3 });
    try {
      const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]) });
      return Number(Object.values(out)[0].dims[1]);
    } finally {
      await session.release();
    }
  })());
}

function layoutModelBytes(opType: 'ReorderInput' | 'ReorderOutput', inShape: number[], attrs: Record<string, number>, outShape: number[] | undefined): Uint8Array {
  const info = (name: string, shape?: number[]): onnxProto.onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: 1, ...(shape ? { shape: { dim: shape.map((d) => ({ dimValue: d })) } } : {}) } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'hw-nas layout unit',
    opsetImport: [{ domain: '', version: 13 }, { domain: NCHWC_DOMAIN, version: 1 }],
    graph: {
      name: opType,
      node: [{ opType, domain: NCHWC_DOMAIN, input: ['x'], output: ['y'], attribute: Object.entries(attrs).map(([name, i]) => ({ name, i, type: onnx.AttributeProto.AttributeType.INT })) }],
      input: [info('x', inShape)],
      output: [info('y', outShape)],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** A layout unit's blocked (NCHWc) side on a machine whose channel block is `block`: [N, C padded to the block, H, W]. */
export function blockedShape(u: Pick<LayoutUnit, 'shape' | 'attrs'>, block: number): number[] {
  const [n, c, h, w] = u.attrs.channels_last ? [u.shape[0], u.shape[3], u.shape[1], u.shape[2]] : u.shape;
  return [n, Math.ceil((u.attrs.channels ?? c) / block) * block, h, w];
}

/** What a layout unit's LUT entry records: its op, its plain-layout shape and the shape of its model's output. */
export function layoutRecord(u: LayoutUnit, block: number): LutUnit {
  return { ops: [u.op], inputs: [u.shape], outputs: [u.op.endsWith('ReorderInput') ? blockedShape(u, block) : u.shape] };
}

/**
 * Whether a LUT's layout entry holds a copy no unit pays: a ReorderInput timed before its model declared its
 * output's shape had that output copied out to JavaScript on every run even where the device keeps outputs in
 * the session (outputs=sliced), up to 3× the reorder itself (docs/benchmarks.md, "Issue 17, fifth pass").
 * Such an entry records no output shape; nas profile --onnx measures it again, and a prediction does not
 * subtract it.
 */
export function staleLayoutEntry(lut: Pick<Lut, 'device'>, key: string, entry: LutEntry): boolean {
  return key.includes(`${NCHWC_DOMAIN}.ReorderInput:`) && lut.device?.options?.outputs === 'sliced' && !entry.unit?.outputs.length;
}

/** A layout unit as a one-node model (the blocked side padded to this machine's channel block). */
export async function layoutModel(u: LayoutUnit): Promise<{ onnx: Uint8Array; inputs: { name: string; shape: number[] }[] }> {
  const blocked = blockedShape(u, await nchwcBlockSize());
  // Both directions declare their output's shape, so that a device timing with outputs=sliced
  // (devices/ort-outputs.ts) keeps the output inside the session as it keeps a unit's: a ReorderInput whose
  // blocked output had no declared shape was copied out to JavaScript on every run, which a unit's own
  // ReorderInput never is (measured: docs/benchmarks.md, "Issue 17, fifth pass").
  if (u.op.endsWith('ReorderInput')) return { onnx: layoutModelBytes('ReorderInput', u.shape, u.attrs, blocked), inputs: [{ name: 'x', shape: u.shape }] };
  return { onnx: layoutModelBytes('ReorderOutput', blocked, u.attrs, u.shape), inputs: [{ name: 'x', shape: blocked }] };
}

/**
 * The reorders a unit's one-unit model runs on onnxruntime-node at `level` with NCHWc (cached by the model's
 * bytes, level and onnxruntime version: the same model always optimises the same way).
 */
export async function ownLayout(bytes: Uint8Array, level: OptLevel, shapeOf: (tensor: string) => number[] | undefined, version: string): Promise<LayoutUnit[]> {
  const h = createHash('sha256').update(bytes).update(JSON.stringify({ level, version })).digest('hex').slice(0, 32);
  const file = path.join(cacheDir(), 'partitions-v4', `unit-${h}.json`);
  let nodes: OptimizedNode[] | undefined;
  try {
    nodes = (JSON.parse(readFileSync(file, 'utf8')) as { nodes: OptimizedNode[] }).nodes;
  } catch {
    nodes = (await ortOptimizedModelNodes(bytes, level, { label: 'a unit model' })).nodes.filter((k) => isReorder(k.op));
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(`${file}.tmp-${process.pid}`, JSON.stringify({ nodes }));
      renameSync(`${file}.tmp-${process.pid}`, file);
    } catch {
      // a read-only cache only costs time
    }
  }
  const { units, unknown } = layoutUnits(nodes, shapeOf);
  if (unknown.length) throw new Error(`a unit model's reorder ${unknown[0].name} has no known shape`);
  return units;
}
