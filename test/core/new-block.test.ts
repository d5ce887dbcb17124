/**
 * Adding a block kind is one lowering file plus one table line. This test does exactly that with a
 * throwaway ShuffleNetV2 unit (stride 1: split the channels in halves, 1×1 conv-BN-ReLU → 3×3 depthwise
 * conv-BN → 1×1 conv-BN-ReLU on one half, concat, channel shuffle), adding its table line at run time,
 * and gets its LUT key, shapes, MACs, ONNX export, the tfjs devices, architecture files and LUT prediction
 * (through the CLI) and training with a trained ONNX export, without touching anything else.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chainArch, classifierHead, convSpec, type Architecture } from '../../src/core/arch.js';
import { writeArchFile } from '../../src/core/arch-file.js';
import { readArchFile } from '../../src/spaces/arch-file.js';
import { lutInstances } from '../../src/core/decompose.js';
import { f } from '../../src/core/key-fields.js';
import { opKey, parseOpKey } from '../../src/core/keys.js';
import type { GraphBuilder } from '../../src/core/graph/index.js';
import { LOWERINGS } from '../../src/core/lower/index.js';
import { convBn, convBnAct } from '../../src/core/lower/common.js';
import { macs, outputShape, type OpInstance, type OpSpec } from '../../src/core/ops.js';
import { networkModel, opModel } from '../../export/model.js';
import { nasInProcess } from '../cli/helpers.js';
import { onnxCheck, PYTHON_ONNX_MISSING, run } from '../export/helpers.js';
import { tfjsVersusOnnx } from './tf-parity.js';
import { Rng } from '../../src/core/rng.js';
import type { Samples } from '../../src/data/types.js';
import { useTrainingBackend } from '../../src/train/backend.js';
import { checkTrainedExport, EXPORT_TOLERANCE, trainedModel } from '../../src/train/export-trained.js';
import { Network } from '../../src/train/nn/network.js';
import { recalibrate, train } from '../../src/train/trainer.js';

// ---- the lowering file (it would be src/core/lower/throwawayShuffle.ts) ----
interface ShuffleV2Spec {
  kind: 'throwawayShuffle';
  k: number;
}
// (In the source tree the file also says `declare module '../specs.js' { interface LoweringSpecs { throwawayShuffle: ShuffleV2Spec } }`,
// which puts the kind in OpSpec and makes the table's type ask for its line; a test cannot, as the table is typed without it.)
const throwawayShuffle = {
  fields: [f('k', 'k', 'int')],
  lower(b: GraphBuilder, s: ShuffleV2Spec, [x]: readonly string[], id: string): string {
    const c = b.shape(x)[1];
    const [left, right] = b.split(x, [c / 2, c / 2], `${id}.split`);
    let y = convBnAct(b, right, `${id}.pw1`, c / 2, { k: 1 }, 'relu');
    y = convBn(b, y, `${id}.dw`, c / 2, { k: s.k, groups: c / 2 });
    y = convBnAct(b, y, `${id}.pw2`, c / 2, { k: 1 }, 'relu');
    return b.node(`${id}.shuffle`, { op: 'shuffle', groups: 2 }, [b.concat([left, y], `${id}.concat`)]);
  },
};
// ---- the table line (src/core/lower/table.ts) ----
(LOWERINGS as unknown as Record<string, unknown>).throwawayShuffle = throwawayShuffle;
afterAll(() => delete (LOWERINGS as unknown as Record<string, unknown>).throwawayShuffle);

const spec = { kind: 'throwawayShuffle', k: 3 } as unknown as OpSpec;
const inst: OpInstance = { spec, input: [1, 16, 8, 8], dtype: 'f32' };
const arch = chainArch('with-throwaway-shuffle', [1, 3, 16, 16], { stem: [convSpec(16, 3, 2)], blocks: [spec, spec], head: classifierHead(10) });

describe('a block added as one lowering file and one table line', () => {
  it('has a canonical key, an output shape and MACs', () => {
    expect(opKey(inst)).toBe('throwawayShuffle:1x16x8x8:k3:f32');
    expect(parseOpKey(opKey(inst))).toEqual(inst);
    expect(outputShape(spec, inst.input)).toEqual([1, 16, 8, 8]);
    expect(macs(inst)).toBe(8 * 8 * (8 * 8 + 8 * 9 + 8 * 8));
  });

  it.skipIf(PYTHON_ONNX_MISSING !== undefined)(`exports (one op and a network) to ONNX that passes the checker and runs (${PYTHON_ONNX_MISSING ?? 'python3-onnx'})`, async () => {
    const one = opModel(inst);
    const net = networkModel(arch);
    expect(onnxCheck([{ name: 'op', onnx: one.onnx }, { name: 'net', onnx: net.onnx }])).toEqual({});
    expect((await run(one)).dims).toEqual([1, 16, 8, 8]);
    const out = await run(net);
    expect(out.dims).toEqual([1, 10, 1, 1]);
    expect(out.data.every(Number.isFinite)).toBe(true);
  });

  it('runs on the tfjs devices as in onnxruntime (max |Δ| ≤ 1e-4)', async () => {
    for (const model of [opModel(inst), networkModel(arch)]) {
      const { worst, spread } = await tfjsVersusOnnx(model);
      expect(worst, model.key).toBeLessThanOrEqual(1e-4);
      expect(spread).toBeGreaterThan(1e-3);
    }
  });

  it('trains a few steps, and its trained ONNX export computes what the network computes (≤ 1e-4)', async () => {
    await useTrainingBackend('cpu');
    const small: Architecture = { ...arch, name: 'shufflev2-train', input: [1, 3, 12, 10], layers: [...arch.layers.slice(0, 2), arch.layers[3], { role: 'head', spec: { kind: 'linear', cout: 4, act: 'none' } }] };
    const rng = new Rng(5);
    const samples: Samples = { count: 64, height: 12, width: 10, channels: 3, classes: 4, x: Float32Array.from({ length: 64 * 12 * 10 * 3 }, () => rng.normal()), labels: Uint8Array.from({ length: 64 }, (_, i) => i % 4) };
    const net = new Network(small, { seed: 3 });
    expect(net.params().map((p) => p.name)).toContain('layer1.pw1.weight');
    await train(net, samples, { steps: 4, batchSize: 16, seed: 1, optimizer: { kind: 'adam', lr: 3e-3 } });
    recalibrate(net, samples, 64, 16);
    const check = await checkTrainedExport(net, trainedModel(net).onnx, samples);
    expect(check.maxAbsDiff).toBeLessThanOrEqual(EXPORT_TOLERANCE);
    net.dispose();
  });

  it('is read from architecture files and predicted from a LUT the CLI fills', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hwnas-newblock-'));
    try {
      const file = path.join(dir, 'arch.json');
      writeArchFile(file, arch);
      expect(await readArchFile(file)).toEqual(arch);
      expect(lutInstances(arch).map(({ inst: i }) => opKey(i))).toContain('throwawayShuffle:1x16x8x8:k3:f32');
      const lut = path.join(dir, 'mock.lut.json');
      const p = await nasInProcess('profile', '--device', 'mock', '--arch', file, '--out', lut);
      expect(p.code, p.stderr).toBe(0);
      const r = await nasInProcess('predict', '--lut', lut, '--arch', file, '--json');
      expect(r.code, r.stderr).toBe(0);
      const blocks = JSON.parse(r.stdout).predictions[0].blocks as { key?: string; ms: number }[];
      expect(blocks.length).toBe(arch.layers.length);
      expect(JSON.stringify(blocks)).toContain('throwawayShuffle:1x16x8x8:k3:f32');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
