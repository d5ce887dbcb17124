/**
 * Partitioning a graph into the kernels a runtime actually runs ("units").
 *
 * onnxruntime tells us: a session created with `optimizedModelFilePath` writes the graph it will run after
 * its own optimisations (constant folding, Conv+BN folding, Conv/Gemm+activation fusion, MatMul+Add → Gemm,
 * and at level `all` the NCHWc layout: Conv+Add(+activation) fused, Reorder kernels at layout changes).
 * We hand it the file with every node renamed `hwnas_n<i>` and the input shapes fixed, read the optimized
 * graph back, and map each of its nodes to the original nodes it runs:
 *   - a node named `hwnas_n<i>…` (kept, or fused and named after its first node: FusedConv, MatMulAddFusion)
 *     is anchored at original node i;
 *   - an NCHWc node is named `<output tensor>_nchwc`: anchored at the original node producing that tensor;
 *   - ReorderInput/ReorderOutput are layout kernels with no original node (kept with their attributes: they
 *     become layout units, src/onnx/layout.ts);
 *   - original nodes that disappeared were fused into a neighbour: first into the anchor they feed
 *     (Conv→BN→Relu named after the Relu), then into the unit of the producer whose only consumer they are
 *     (Conv→Add in NCHWc, MatMul→Add, Conv→Relu in FusedConv); what is left was eliminated (Identity, Dropout).
 * The result is checked against onnxruntime's own profile (test/onnx/partition.test.ts): one unit per kernel
 * the profile reports, same names.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { UserError } from '../core/errors.js';
import type { OnnxGraph, OnnxNode } from './graph.js';
import { num } from './tensor.js';

const { onnx } = onnxProto;
type InferenceSessionOptions = import('onnxruntime-node').InferenceSession.SessionOptions;
export const NODE_PREFIX = 'hwnas_n';

export interface Unit {
  /** Original nodes the kernel runs, in graph order. */
  nodes: OnnxNode[];
  /** The runtime's kernel: its node name and op (domain:op) in the optimized graph. */
  kernel: { name: string; op: string };
  /** Further kernels of the same unit: the unnamed nodes an inlined function op (HardSwish → HardSigmoid + Mul) runs before its last one. */
  also?: { name: string; op: string }[];
}

export interface Partition {
  units: Unit[];
  /** Kernels the runtime added that no original node maps to (NCHWc reorders, inserted casts), as the optimized graph has them. */
  layoutKernels: OptimizedNode[];
  /** Compute nodes the runtime removed entirely. */
  eliminated: OnnxNode[];
  /** How the partition was obtained, e.g. "onnxruntime-node 1.30 optimized graph, level all". */
  source: string;
}

/** Ops onnxruntime fuses into the kernel of the node that produces their input. */
const FUSES_INTO_PRODUCER = new Set([
  'BatchNormalization', 'Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Add', 'Sum', 'Mul', 'Div', 'Sub',
  'Identity', 'Dropout', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Cast',
]);

export type OptLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** The file's model with nodes renamed hwnas_n<i> and the inferred input shapes written in (bytes for a session). */
export function renamedModelBytes(g: OnnxGraph): Uint8Array {
  const copy = onnx.ModelProto.decode(onnx.ModelProto.encode(g.model).finish());
  copy.graph!.node!.forEach((n, i) => (n.name = `${NODE_PREFIX}${i}`));
  for (const vi of copy.graph!.input ?? []) {
    const given = g.inputs.find((i) => i.name === vi.name);
    if (given && vi.type?.tensorType) vi.type.tensorType.shape = { dim: given.shape.map((d) => ({ dimValue: d })) };
  }
  // The outputs' declared dims go: once the inputs are fixed they may contradict what the graph computes (ddddocr's
  // recognizer declares [1, seqlen] for a [32, 1, 8210] output), which onnxruntime-web refuses and onnxruntime-node ignores.
  for (const vo of copy.graph!.output ?? []) if (vo.type?.tensorType) vo.type.tensorType.shape = null;
  return onnx.ModelProto.encode(copy).finish();
}

/** The runtime's optimized graph for `g`: its nodes' names and ops. */
export interface OptimizedNode {
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  /** Integer attributes of the NCHWc reorder kernels (channels, channels_last): what a layout unit's key and model need. */
  attrs?: Record<string, number>;
}

const REORDER = /^com\.microsoft\.nchwc:Reorder(Input|Output)$/;
export const isReorder = (op: string) => REORDER.test(op);

/**
 * `nchwc: false` turns onnxruntime's NchwcTransformer off (session config
 * optimization.disable_specified_optimizers): the graph the WebAssembly build runs at the same level, whose
 * MLAS has no NCHWc kernels (checked against onnxruntime-web's own profile, test/onnx/partition.test.ts).
 */
export async function ortOptimizedNodes(g: OnnxGraph, level: OptLevel, opts: { nchwc?: boolean } = {}): Promise<{ nodes: OptimizedNode[]; version: string }> {
  return ortOptimizedModelNodes(renamedModelBytes(g), level, { ...opts, label: g.file });
}

/** The same for any model's bytes (a unit's one-unit model: which reorders it pays alone, src/onnx/layout.ts). */
export async function ortOptimizedModelNodes(bytes: Uint8Array, level: OptLevel, opts: { nchwc?: boolean; label?: string } = {}): Promise<{ nodes: OptimizedNode[]; version: string }> {
  const ort = await import('onnxruntime-node');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hwnas-opt-'));
  const out = path.join(dir, 'optimized.onnx');
  try {
    let session;
    try {
      session = await ort.InferenceSession.create(bytes, {
        executionProviders: ['cpu'],
        intraOpNumThreads: 1,
        graphOptimizationLevel: level,
        optimizedModelFilePath: out,
        logSeverityLevel: 3,
        ...(opts.nchwc === false ? { extra: { optimization: { disable_specified_optimizers: 'NchwcTransformer' } } } : {}),
      } as InferenceSessionOptions);
    } catch (e) {
      throw new UserError(`onnxruntime cannot load '${opts.label ?? 'model'}': ${(e as Error).message}`, { cause: e, hint: 'the file must load in onnxruntime to be partitioned into its kernels' });
    }
    await session.release();
    const opt = onnx.ModelProto.decode(readFileSync(out));
    return {
      nodes: (opt.graph?.node ?? []).map((n) => {
        const op = `${n.domain ? n.domain + ':' : ''}${n.opType}`;
        const node: OptimizedNode = { name: n.name ?? '', op, inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])] };
        if (isReorder(op)) node.attrs = Object.fromEntries((n.attribute ?? []).filter((a) => a.name).map((a) => [a.name!, num(a.i ?? 0)]));
        return node;
      }),
      version: ort.env.versions?.node ?? '',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Maps the optimized graph's nodes back onto `g` (pure; see the file comment for the rules). */
export function mapOptimized(g: OnnxGraph, optimized: OptimizedNode[], source: string): Partition {
  const byIndex = new Map(g.nodes.map((n) => [n.index, n]));
  const producer = new Map<string, OnnxNode>();
  const consumers = new Map<string, OnnxNode[]>();
  for (const n of g.nodes) {
    for (const o of n.outputs) if (o) producer.set(o, n);
    for (const i of n.inputs) if (i) (consumers.get(i) ?? consumers.set(i, []).get(i)!).push(n);
  }
  const groupOf = new Map<number, number>(); // node index → unit index
  const units: Unit[] = [];
  const layoutKernels: Partition['layoutKernels'] = [];
  const inlined: OptimizedNode[] = [];
  const unitOf = new Map<OptimizedNode, number>();
  const prefix = new RegExp(`^${NODE_PREFIX}(\\d+)`);
  for (const k of optimized) {
    let anchor: OnnxNode | undefined;
    const m = prefix.exec(k.name);
    if (m) anchor = byIndex.get(Number(m[1]));
    else if (k.name.endsWith('_nchwc')) anchor = producer.get(k.name.slice(0, -'_nchwc'.length));
    // A node the optimizer created without a name (e.g. a HardSwish fusion) keeps its last original output tensor.
    else if (!k.name) anchor = k.outputs.map((o) => producer.get(o)).find((p) => p && !groupOf.has(p.index));
    if (!anchor || anchor.folded || groupOf.has(anchor.index)) {
      if (!k.name) inlined.push(k);
      else layoutKernels.push(k);
      continue;
    }
    groupOf.set(anchor.index, units.length);
    unitOf.set(k, units.length);
    units.push({ nodes: [anchor], kernel: { name: k.name, op: k.op } });
  }
  // An unnamed node whose outputs are no original tensor is an inner step of an inlined function op: it belongs
  // to the unit of the kernel that consumes its output (HardSigmoid → Mul, the Mul keeping HardSwish's output).
  for (const k of inlined.reverse()) {
    const consumer = optimized.find((c) => c !== k && c.inputs.some((i) => k.outputs.includes(i)));
    const u = consumer && unitOf.get(consumer);
    if (u === undefined) layoutKernels.push(k);
    else {
      (units[u].also ??= []).unshift({ name: k.name, op: k.op });
      unitOf.set(k, u);
    }
  }
  const vanished = g.nodes.filter((n) => !n.folded && !groupOf.has(n.index));
  const isVanished = (n: OnnxNode) => !n.folded && !groupOf.has(n.index);
  // Backward: a vanished node whose outputs all feed one unit belongs to it (Conv → BN → Relu named after the Relu).
  const join = (n: OnnxNode, u: number) => {
    groupOf.set(n.index, u);
    units[u].nodes.push(n);
  };
  let changed = true;
  while (changed) {
    changed = false;
    // Forward: an activation / normalisation / element-wise node joins the unit of the producer whose only
    // consumer it is (Conv → BN, Conv → Relu in FusedConv, Conv → Add in NCHWc, MatMul → Add in Gemm).
    for (const n of vanished) {
      if (!isVanished(n) || !FUSES_INTO_PRODUCER.has(n.opType)) continue;
      const p = n.inputs
        .map((i) => producer.get(i))
        .find((q) => !!q && groupOf.has(q.index) && q.outputs.every((o) => (consumers.get(o)?.length ?? 0) === 1 && !g.outputs.includes(o)));
      if (p) {
        join(n, groupOf.get(p.index)!);
        changed = true;
      }
    }
    if (changed) continue;
    // Backward: a node whose outputs all feed one unit belongs to it (Conv → BN → Relu named after the Relu).
    for (const n of vanished) {
      if (!isVanished(n)) continue;
      const targets = new Set<number>();
      let open = false;
      for (const o of n.outputs) {
        for (const c of consumers.get(o) ?? []) {
          const u = groupOf.get(c.index);
          if (u === undefined) open = true;
          else targets.add(u);
        }
        if (g.outputs.includes(o)) open = true;
      }
      if (!open && targets.size === 1) {
        join(n, [...targets][0]);
        changed = true;
      }
    }
  }
  for (const u of units) u.nodes.sort((a, b) => a.index - b.index);
  return { units, layoutKernels, eliminated: vanished.filter(isVanished), source };
}

/**
 * Where optimized graphs are cached: creating an onnxruntime session to optimise a model takes 0.5–3 s, and
 * the same file at the same input shapes and level always optimises the same way on one runtime version.
 * $HW_NAS_CACHE, else $XDG_CACHE_HOME/hw-nas, else ~/.cache/hw-nas.
 */
export function cacheDir(): string {
  if (process.env.HW_NAS_CACHE) return process.env.HW_NAS_CACHE;
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'hw-nas');
}

function cacheFile(g: OnnxGraph, level: OptLevel, nchwc: boolean, version: string): string {
  const h = createHash('sha256');
  h.update(readFileSync(g.file));
  h.update(JSON.stringify({ inputs: g.inputs, level, version, ...(nchwc ? {} : { nchwc }) }));
  return path.join(cacheDir(), 'partitions-v4', `${h.digest('hex').slice(0, 32)}.json`);
}

export async function ortVersion(): Promise<string> {
  const { findOrtNode } = await import('../../devices/ort-cpu/package.js');
  const found = findOrtNode();
  return typeof found === 'string' ? 'unknown' : found.version;
}

export async function partitionWithOrt(g: OnnxGraph, level: OptLevel = 'all', opts: { cache?: boolean; nchwc?: boolean } = {}): Promise<Partition> {
  const version = await ortVersion();
  const nchwc = opts.nchwc !== false;
  const file = cacheFile(g, level, nchwc, version);
  const source = `onnxruntime-node ${version} optimized graph, level ${level}${nchwc || level !== 'all' ? '' : ' without NCHWc'}`;
  if (opts.cache !== false) {
    try {
      const cached = JSON.parse(readFileSync(file, 'utf8')) as { nodes: OptimizedNode[] };
      return mapOptimized(g, cached.nodes, source);
    } catch {
      // not cached yet (or unreadable): optimise below
    }
  }
  const { nodes } = await ortOptimizedNodes(g, level, { nchwc });
  if (opts.cache !== false) {
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.tmp-${process.pid}`;
      writeFileSync(tmp, JSON.stringify({ level, version, nodes }));
      renameSync(tmp, file);
    } catch {
      // a read-only cache only costs time
    }
  }
  return mapOptimized(g, nodes, source);
}
