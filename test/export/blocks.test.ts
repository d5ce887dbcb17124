import { describe, expect, it } from 'vitest';
import { LEGACY_KINDS } from '../../src/core/keys.js';
import { outputShape } from '../../src/core/ops.js';
import { opModel } from '../../export/model.js';
import { exportCases } from './cases.js';
import { onnxCheck, PYTHON_ONNX_MISSING, run } from './helpers.js';

const cases = exportCases();
const models = cases.map((inst) => opModel(inst, { seed: 3 }));

describe('every block kind exports a valid, runnable model', () => {
  it('covers every kind in the catalog', () => {
    expect(new Set(cases.map((c) => c.spec.kind))).toEqual(new Set(LEGACY_KINDS));
  });

  if (PYTHON_ONNX_MISSING) console.warn(`onnx.checker test ${PYTHON_ONNX_MISSING}`);
  it.skipIf(PYTHON_ONNX_MISSING !== undefined)(`passes onnx.checker full_check (${PYTHON_ONNX_MISSING ?? 'python3-onnx'})`, () => {
    expect(onnxCheck(models.map((m) => ({ name: m.key, onnx: m.onnx })))).toEqual({});
  });

  it('runs in onnxruntime-node with the output shape of ops.ts and finite values', async () => {
    for (const [i, m] of models.entries()) {
      const out = await run(m);
      expect(out.dims, m.key).toEqual([...outputShape(cases[i].spec, cases[i].input)]);
      expect(out.data.every(Number.isFinite), m.key).toBe(true);
    }
  });

  it('names inputs "input" (sum: input0..) with the instance shape, and keys models by opKey', () => {
    const sum = models.find((m) => m.key.startsWith('sum:') && m.key.includes(':n3:'))!;
    expect(sum.inputs.map((i) => i.name)).toEqual(['input0', 'input1', 'input2']);
    const conv = models[0];
    expect(conv.inputs).toEqual([{ name: 'input', shape: [...cases[0].input] }]);
    expect(conv.key).toBe('conv:1x8x9x9:c8:k3:s1:g1:d1:relu:f32');
    expect(conv.ops).toEqual([cases[0]]);
  });
});
