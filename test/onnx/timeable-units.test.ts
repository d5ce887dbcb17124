import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { unitModel } from '../../src/onnx/extract.js';
import { planOnnx } from '../../src/onnx/plan.js';
import { modelBytes, valueInfo } from './model-bytes.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-timeable-'));
process.env.HW_NAS_CACHE = path.join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// M-LSD's tail (jp.keijiro.mlsd): the peaks of a score map as Equal(map, MaxPool(map)) → Cast to float → Mul.
function peaksModel(): Uint8Array {
  const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
  return modelBytes({
    name: 'peaks',
    node: [
      { name: 'conv', opType: 'Conv', input: ['x', 'w'], output: ['s'], attribute: [ints('kernel_shape', [1, 1])] },
      { name: 'pool', opType: 'MaxPool', input: ['s'], output: ['m'], attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])] },
      { name: 'eq', opType: 'Equal', input: ['s', 'm'], output: ['b'] },
      { name: 'cast', opType: 'Cast', input: ['b'], output: ['c'], attribute: [{ name: 'to', type: 2, i: 1 }] },
      { name: 'mul', opType: 'Mul', input: ['s', 'c'], output: ['y'] },
    ],
    initializer: [{ name: 'w', dims: [4, 4, 1, 1], dataType: 1, floatData: Array.from({ length: 16 }, (_, k) => (k % 5) / 5) }],
    input: [valueInfo('x', [1, 4, 16, 16])],
    output: [valueInfo('y', [1, 4, 16, 16])],
  });
}

describe('units the harness can feed', () => {
  it('times a unit that reads a bool tensor together with the unit that writes it, as one model with float inputs', async () => {
    const file = path.join(dir, 'peaks.onnx');
    writeFileSync(file, peaksModel());
    for (const nchwc of [true, false]) {
      const plan = await planOnnx(file, { level: 'all', nchwc });
      // No unit is left that the harness cannot feed (before: the Cast unit, "its run-time input 'b' is bool").
      expect(plan.units.filter((u) => u.unsupported)).toEqual([]);
      const merged = plan.units.find((u) => u.ops.includes('Cast'))!;
      expect(merged.ops).toContain('Equal');
      // Every node is in exactly one unit; the Cast's kernel is one of the merged unit's kernels.
      expect(plan.units.flatMap((u) => u.unit.nodes.map((n) => n.name)).sort()).toEqual(plan.graph.nodes.filter((n) => !n.folded).map((n) => n.name).sort());
      expect(merged.unit.also?.length).toBeGreaterThan(0);
      // Its model runs in onnxruntime on float feeds and hands on the float map.
      const m = unitModel(plan.graph, merged.unit);
      expect(m.inputs.every((i) => i.dtype === 'float32')).toBe(true);
      const session = await ort.InferenceSession.create(m.onnx, { intraOpNumThreads: 1 });
      const feeds = Object.fromEntries(m.inputs.map((i) => [i.name, new ort.Tensor('float32', new Float32Array(i.shape.reduce((a, b) => a * b, 1)).fill(0.5), i.shape)]));
      const out = await session.run(feeds);
      expect(Object.values(out).every((t) => t.type === 'float32')).toBe(true);
      await session.release();
    }
  });
});
