/**
 * The seed networks' block kinds (issue 11) as one-op ONNX models: each passes onnx.checker full_check, runs in
 * onnxruntime-node with the output shape ops.ts gives, and its key round-trips. Covers both strides, both
 * ShuffleNetV2 branch forms, rectangular kernels, dilation, the optional pad / ceil / gate / pwGroups fields, and
 * NASNet blocks that concatenate.
 */
import { describe, expect, it } from 'vitest';
import { LEGACY_KINDS, OP_KINDS, opKey, parseOpKey } from '../../src/core/keys.js';
import { instance, outputShape, SEED_KINDS, type OpInstance } from '../../src/core/ops.js';
import { opModel } from '../../export/model.js';
import { onnxCheck, PYTHON_ONNX_MISSING, run } from './helpers.js';
import { NASNET_CONCAT_NORMAL, NASNET_CONCAT_REDUCE } from '../fixtures/catalog.js';

const x = [1, 16, 14, 14] as const;
const CASES: OpInstance[] = [
  instance({ kind: 'basic', cout: 16, stride: 1 }, x),
  instance({ kind: 'basic', cout: 32, stride: 2 }, x),
  instance({ kind: 'bottleneck', cout: 64, stride: 1, mid: 16, groups: 1, se: 0 }, x),
  instance({ kind: 'bottleneck', cout: 32, stride: 2, mid: 32, groups: 4, se: 0.25 }, x),
  instance({ kind: 'shufflev2', cout: 16, k: 3, stride: 1, mid: 8, side: 8, xception: false }, x),
  instance({ kind: 'shufflev2', cout: 32, k: 5, stride: 2, mid: 16, side: 16, xception: false }, x),
  instance({ kind: 'shufflev2', cout: 48, k: 7, stride: 2, mid: 12, side: 16, xception: false }, x),
  instance({ kind: 'shufflev2', cout: 16, k: 3, stride: 1, mid: 10, side: 8, xception: true }, x),
  instance({ kind: 'shufflev2', cout: 32, k: 3, stride: 2, mid: 12, side: 16, xception: true }, x),
  instance({ kind: 'fire', squeeze: 4, e1: 8, e3: 8 }, x),
  instance({ kind: 'inception', c1: 8, c3r: 8, c3: 12, c5r: 4, c5: 6, k5: 5, pp: 4 }, x),
  instance({ kind: 'inception', c1: 8, c3r: 8, c3: 12, c5r: 4, c5: 6, k5: 3, pp: 4 }, x),
  instance({ kind: 'factconv', cout: 16, k: 7, stride: 1 }, x),
  instance({ kind: 'factconv', cout: 16, k: 3, stride: 2 }, x),
  instance({ kind: 'dilconv', cout: 16, k: 3, stride: 1, dilation: 2 }, x),
  instance({ kind: 'dilconv', cout: 32, k: 5, stride: 2, dilation: 2 }, x),
  instance({ kind: 'sepconv', cout: 16, k: 3, stride: 1 }, x),
  instance({ kind: 'sepconv', cout: 32, k: 7, stride: 2 }, x),
  instance({ kind: 'norm', mode: 'layer' }, x),
  instance({ kind: 'norm', mode: 'instance' }, x),
  instance({ kind: 'pool', mode: 'max', k: 5, stride: 1 }, x),
  instance({ kind: 'pool', mode: 'max', k: 7, stride: 2 }, x),
  instance({ kind: 'pool', mode: 'max', k: 3, stride: 2, pad: 0, ceil: true }, [1, 16, 15, 15]),
  instance({ kind: 'conv', cout: 16, k: 3, stride: 2, groups: 1, dilation: 1, act: 'relu', pad: 0 }, [1, 3, 15, 15]),
  instance({ kind: 'se', ratio: 0.25, act: 'relu', gate: 'hsigmoid' }, x),
  instance({ kind: 'mbconv', cout: 16, k: 3, stride: 1, expand: 4, se: 0.25, act: 'hswish', skip: true, gate: 'hsigmoid' }, x),
  instance({ kind: 'mbconv', cout: 24, k: 5, stride: 1, expand: 3, se: 0, act: 'relu', skip: false, pwGroups: 2 }, x),
  // DARTS (the shift of FactorizedReduce is the slice primitive); FactorizedReduce is CASES[FACTREDUCE].
  instance({ kind: 'factreduce', cout: 24 }, x),
  instance({ kind: 'dartscell', cell: '|sep_conv_3x3~0|sep_conv_5x5~1|+|skip_connect~0|dil_conv_3x3~2|+|none~0|none~1|+|avg_pool_3x3~1|max_pool_3x3~4|', reduce: false }, x),
  instance({ kind: 'dartscell', cell: '|skip_connect~0|dil_conv_5x5~1|+|sep_conv_3x3~1|skip_connect~2|+|max_pool_3x3~0|none~3|+|none~0|none~4|', reduce: true }, x),
  // NASNet: a block adding one state to itself, slim's hand-listed concat (h_i included), and a reduction cell whose unused input goes through FactorizedReduce.
  instance({ kind: 'nasnetcell', cell: '|sep_conv_5x5~0|sep_conv_3x3~1|+|identity~1|identity~1|+|avg_pool_3x3~0|conv_1x7_7x1~2|+|max_pool_7x7~3|conv_1x1~1|+|sep_conv_7x7~0|dil_conv_3x3~4|>1,2,3,4,5,6', reduce: false }, x),
  instance({ kind: 'nasnetcell', cell: '|identity~0|conv_1x3_3x1~0|+|max_pool_5x5~2|conv_3x3~0|+|sep_conv_3x3~3|identity~2|+|avg_pool_3x3~4|max_pool_3x3~0|+|sep_conv_5x5~5|dil_conv_3x3~3|', reduce: true }, x),
  // Blocks that concatenate their ops (2F): read by later ops, and the last one widening every concatenated state
  // (a 1×1 conv-BN for a block, FactorizedReduce for the unused input of a reduction cell).
  instance({ kind: 'nasnetcell', cell: NASNET_CONCAT_NORMAL, reduce: false }, x),
  instance({ kind: 'nasnetcell', cell: NASNET_CONCAT_REDUCE, reduce: true }, x),
];
const FACTREDUCE = CASES.findIndex((c) => c.spec.kind === 'factreduce');
const models = CASES.map((inst) => opModel(inst, { seed: 5 }));

describe('seed block kinds export', () => {
  it('cover every seed kind, and the legacy kinds are the rest', () => {
    expect(new Set(CASES.map((c) => c.spec.kind))).toEqual(new Set([...SEED_KINDS, 'pool', 'conv', 'se', 'mbconv']));
    expect(new Set([...LEGACY_KINDS, ...SEED_KINDS])).toEqual(new Set(OP_KINDS));
  });

  it('round-trip their keys', () => {
    for (const inst of CASES) expect(parseOpKey(opKey(inst))).toEqual(inst);
  });

  if (PYTHON_ONNX_MISSING) console.warn(`onnx.checker test ${PYTHON_ONNX_MISSING}`);
  it.skipIf(PYTHON_ONNX_MISSING !== undefined)(`pass onnx.checker full_check (${PYTHON_ONNX_MISSING ?? 'python3-onnx'})`, () => {
    expect(onnxCheck(models.map((m) => ({ name: m.key, onnx: m.onnx })))).toEqual({});
  });

  it('run in onnxruntime-node with the output shape of ops.ts and finite values', async () => {
    for (const [i, m] of models.entries()) {
      const out = await run(m);
      expect(out.dims, m.key).toEqual([...outputShape(CASES[i].spec, CASES[i].input)]);
      expect(out.data.every(Number.isFinite), m.key).toBe(true);
    }
  });

  it('a ShuffleNetV2 unit at stride 1 passes half of its input through unchanged (channel 2i of the output is input channel i)', async () => {
    const inst = CASES[4];
    const input = Float32Array.from({ length: 16 * 14 * 14 }, (_, i) => Math.sin(i));
    const out = await run(models[4], [input]);
    const plane = 14 * 14;
    for (let c = 0; c < 8; c++) expect(Array.from(out.data.subarray(2 * c * plane, (2 * c + 1) * plane))).toEqual(Array.from(input.subarray(c * plane, (c + 1) * plane)));
    expect(inst.spec.kind).toBe('shufflev2');
  });

  it('FactorizedReduce: its first half reads pixels (2i, 2j), its second half the pixels shifted by one, (2i+1, 2j+1)', async () => {
    const plane = 14 * 14;
    // Positive values only at (odd, odd) pixels, then only at (even, even) ones; zeros elsewhere.
    const at = (parity: number) => Float32Array.from({ length: 16 * plane }, (_, i) => ((i % 14) % 2 === parity && (Math.floor(i / 14) % 14) % 2 === parity ? 1 + Math.sin(i) ** 2 : 0));
    const constantHalf = async (input: Float32Array) => {
      const out = (await run(models[FACTREDUCE], [input])).data;
      // Per output channel: is it the same value everywhere (the conv read only zeros, so only the folded BN's shift)?
      const flat = (c: number) => out.subarray(c * 49, (c + 1) * 49).every((v) => v === out[c * 49]);
      return [Array.from({ length: 12 }, (_, c) => flat(c)).every(Boolean), Array.from({ length: 12 }, (_, c) => flat(12 + c)).every(Boolean)];
    };
    expect(await constantHalf(at(1))).toEqual([true, false]);
    expect(await constantHalf(at(0))).toEqual([false, true]);
  });

  it('an unpadded ceil-mode pool and an unpadded conv give PyTorch sizes (SqueezeNet: 224 → 111 → 55)', () => {
    expect(outputShape({ kind: 'conv', cout: 64, k: 3, stride: 2, groups: 1, dilation: 1, act: 'relu', pad: 0 }, [1, 3, 224, 224])).toEqual([1, 64, 111, 111]);
    expect(outputShape({ kind: 'pool', mode: 'max', k: 3, stride: 2, pad: 0, ceil: true }, [1, 64, 111, 111])).toEqual([1, 64, 55, 55]);
  });
});
