import { describe, expect, it } from 'vitest';
import { chainArch, classifierHead, convSpec, placeLayers, type Architecture } from '../../src/core/arch.js';
import { ACTS, type OpSpec } from '../../src/core/ops.js';
import { networkModel } from '../../export/model.js';
import { onnxCheck, PYTHON_ONNX_MISSING, run } from './helpers.js';

const mobile = chainArch('hand-built-mobile', [1, 3, 32, 32], {
  stem: [convSpec(16, 3, 2, 'relu6')],
  blocks: [
    { kind: 'mbconv', cout: 16, k: 3, stride: 1, expand: 1, se: 0, act: 'relu6', skip: true },
    { kind: 'mbconv', cout: 24, k: 5, stride: 2, expand: 6, se: 0.25, act: 'hswish', skip: false },
    { kind: 'mbconv', cout: 24, k: 3, stride: 1, expand: 3, se: 0.25, act: 'hswish', skip: true },
    { kind: 'dwsep', cout: 32, k: 3, stride: 2, se: 0, act: 'swish', skip: false },
    { kind: 'mbconv', cout: 32, k: 7, stride: 1, expand: 6, se: 0, act: 'relu', skip: true },
  ],
  head: [convSpec(64, 1, 1, 'hswish'), ...classifierHead(10)],
});

const nb201 = chainArch('hand-built-nb201', [1, 3, 16, 16], {
  stem: [convSpec(8, 3, 1, 'none')],
  blocks: [
    { kind: 'nb201cell', cell: '|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|' },
    { kind: 'resblock', cout: 16, stride: 2 },
    { kind: 'nb201cell', cell: '|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|' },
  ],
  head: classifierHead(5),
});

/** 24 stride-1 blocks cycling through every activation, SE on and off, skip on and off. */
const deep = chainArch('deep-chain', [1, 16, 8, 8], {
  blocks: Array.from({ length: 24 }, (_, i): OpSpec =>
    i % 4 === 3
      ? convSpec(16, 3, 1, ACTS[i % ACTS.length])
      : { kind: 'mbconv', cout: 16, k: 3 + 2 * (i % 3), stride: 1, expand: 1 + (i % 6), se: i % 2 ? 0.25 : 0, act: ACTS[i % ACTS.length], skip: i % 3 !== 0 },
  ),
});

describe('networkModel', () => {
  it('exports whole architectures that run, with the final layer output shape', async () => {
    for (const [arch, out] of [[mobile, [1, 10, 1, 1]], [nb201, [1, 5, 1, 1]]] as const) {
      const m = networkModel(arch);
      expect(m.key).toBe(arch.name);
      expect(m.inputs).toEqual([{ name: 'input', shape: [...arch.input] }]);
      expect(m.ops).toEqual(placeLayers(arch).map((p) => p.inst));
      const r = await run(m);
      expect(r.dims).toEqual(out);
      expect(r.data.every(Number.isFinite)).toBe(true);
    }
  });

  it.skipIf(PYTHON_ONNX_MISSING !== undefined)(`passes onnx.checker full_check (${PYTHON_ONNX_MISSING ?? 'python3-onnx'})`, () => {
    const models = [mobile, nb201, deep].map((a) => ({ name: a.name, onnx: networkModel(a).onnx }));
    expect(onnxCheck(models)).toEqual({});
  });

  it('is deterministic: the same seed gives the same bytes, another seed other bytes', () => {
    const a = networkModel(mobile, { seed: 5 }).onnx;
    expect(Buffer.from(networkModel(mobile, { seed: 5 }).onnx).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(networkModel(mobile, { seed: 6 }).onnx).equals(Buffer.from(a))).toBe(false);
    expect(a.length).toBe(networkModel(mobile, { seed: 6 }).onnx.length);
  });

  it('takes trained weights by layer name from a WeightSource', async () => {
    const asked: string[] = [];
    const m = networkModel(mobile, {
      weights: (name, shape) => {
        asked.push(name);
        return name.startsWith('layer8.fc.') ? new Float32Array(shape.reduce((a, b) => a * b, 1)) : undefined;
      },
    });
    expect(asked).toContain('layer2.se.reduce.weight');
    expect(asked).toContain('layer0.conv.bias');
    expect((await run(m)).data.every((v) => v === 0)).toBe(true);
  });

  it('keeps activations O(1) through 24 blocks: finite, no denormals, RMS near 1', async () => {
    const { data } = await run(networkModel(deep, { seed: 1 }));
    const rms = Math.sqrt(data.reduce((a, v) => a + v * v, 0) / data.length);
    expect(data.every((v) => Number.isFinite(v) && (v === 0 || Math.abs(v) > 1.2e-38))).toBe(true);
    expect(rms).toBeGreaterThan(0.2);
    expect(rms).toBeLessThan(5);
  });

  it('refuses an architecture whose layers do not fit, naming the layer', () => {
    const bad: Architecture = { ...mobile, layers: [mobile.layers[0], { role: 'head', spec: { kind: 'linear', cout: 3, act: 'none' } }] };
    expect(() => networkModel(bad)).toThrow(/layer 1 \(head linear\)/);
    expect(() => networkModel({ ...mobile, layers: [] })).toThrow(/no layers/);
  });
});
