import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainArch, convSpec, type Architecture } from '../../src/core/arch.js';
import { Rng } from '../../src/core/rng.js';
import type { Samples } from '../../src/data/types.js';
import { useTrainingBackend } from '../../src/train/backend.js';
import { checkTrainedExport, EXPORT_TOLERANCE, exportTrained, ROUNDING_FACTOR, trainedModel } from '../../src/train/export-trained.js';
import { foldedWeights } from '../../src/train/fold.js';
import { Network } from '../../src/train/nn/network.js';
import { recalibrate, train } from '../../src/train/trainer.js';

/**
 * Every kind the exporter can take trained weights for, on non-square 3-channel images (so an NHWC /
 * NCHW or height / width slip shows), with stride 2 and pooling on even sizes (padding semantics).
 */
const KINDS_A = chainArch('kinds-a', [1, 3, 12, 10], {
  stem: [convSpec(8, 3, 1, 'relu')],
  blocks: [
    { kind: 'mbconv', cout: 12, k: 3, stride: 2, expand: 3, se: 0.25, act: 'hswish', skip: false },
    { kind: 'mbconv', cout: 12, k: 5, stride: 1, expand: 1, se: 0, act: 'swish', skip: true },
    { kind: 'dwsep', cout: 12, k: 3, stride: 1, se: 0.5, act: 'relu6', skip: true },
    { kind: 'pool', mode: 'avg', k: 3, stride: 2 },
    { kind: 'dwconv', k: 3, stride: 1, dilation: 1, act: 'relu6' },
    convSpec(12, 3, 1, 'none', { groups: 12 }),
    { kind: 'se', ratio: 0.5, act: 'relu' },
    { kind: 'pool', mode: 'max', k: 3, stride: 1 },
  ],
  head: [convSpec(16, 1, 1, 'relu6'), { kind: 'gpool', mode: 'avg' }, { kind: 'linear', cout: 8, act: 'relu' }, { kind: 'linear', cout: 4, act: 'none' }],
});

const KINDS_B = chainArch('kinds-b', [1, 3, 12, 10], {
  stem: [convSpec(8, 3, 2, 'relu6')],
  blocks: [
    { kind: 'dwconv', k: 5, stride: 2, dilation: 1, act: 'relu' },
    { kind: 'mbconv', cout: 8, k: 3, stride: 1, expand: 6, se: 0.5, act: 'relu', skip: true },
    { kind: 'dwsep', cout: 16, k: 5, stride: 1, se: 0, act: 'swish', skip: false },
    { kind: 'identity' },
    { kind: 'mbconv', cout: 16, k: 3, stride: 1, expand: 2, se: 0, act: 'hswish', skip: true },
  ],
  head: [{ kind: 'gpool', mode: 'max' }, { kind: 'linear', cout: 4, act: 'none' }],
});

/** 12x10x3 images of 4 classes: class k brightens channel k % 3 and, for k = 3, the upper half. */
function samples(count: number, seed: number): Samples {
  const [h, w, c] = [12, 10, 3];
  const rng = new Rng(seed);
  const x = new Float32Array(count * h * w * c);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const k = (i * 7 + seed) % 4;
    labels[i] = k;
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++)
        for (let ch = 0; ch < c; ch++) x[((i * h + y) * w + xx) * c + ch] = rng.normal() * 0.7 + (ch === k % 3 ? 1 : 0) + (k === 3 && y < h / 2 ? 1 : 0);
  }
  return { count, height: h, width: w, channels: c, classes: 4, x, labels };
}

const trainSet = samples(256, 1);
const validation = samples(128, 2);
let dir: string;

async function trained(arch: Architecture): Promise<Network> {
  const net = new Network(arch, { seed: 3 });
  await train(net, trainSet, { steps: 64, batchSize: 32, seed: 1, optimizer: { kind: 'adam', lr: 3e-3 } });
  recalibrate(net, trainSet, 256, 32);
  return net;
}

describe('export of trained networks', () => {
  beforeAll(async () => {
    await useTrainingBackend('wasm');
    dir = mkdtempSync(path.join(tmpdir(), 'hwnas-export-trained-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const arch of [KINDS_A, KINDS_B]) {
    it(`${arch.name}: ONNX logits within 1e-4 of tfjs and the same accuracy`, async () => {
      const net = await trained(arch);
      const file = path.join(dir, `${arch.name}.onnx`);
      const out = exportTrained(net, file);
      expect(out.input).toEqual([1, 3, 12, 10]);
      const check = await checkTrainedExport(net, readFileSync(file), validation);
      expect(check.images).toBe(128);
      expect(check.maxAbsDiff).toBeLessThanOrEqual(EXPORT_TOLERANCE);
      // A well-conditioned net: float32 rounding moves its logits far less than the bar, which stays 1e-4.
      expect(check.roundingMaxAbsDiff).toBeGreaterThan(0);
      expect(ROUNDING_FACTOR * check.roundingMaxAbsDiff).toBeLessThan(EXPORT_TOLERANCE);
      expect(check.tolerance).toBe(EXPORT_TOLERANCE);
      expect(check.onnxAccuracy).toBe(check.tfjsAccuracy);
      expect(check.disagreements).toBe(0);
      expect(check.passed).toBe(true);
      // Trained, not a trivial net: well above the 25% of chance.
      expect(check.tfjsAccuracy).toBeGreaterThan(50);
      net.dispose();
    });
  }

  it('writes the trained, folded weights into the file (no generated ones)', async () => {
    const net = await trained(KINDS_A);
    const folded = foldedWeights(net);
    const model = onnxProto.onnx.ModelProto.decode(trainedModel(net).onnx);
    const inits = new Map(model.graph!.initializer!.map((t) => [t.name!, t]));
    for (const [name, t] of folded) {
      const init = inits.get(name);
      expect(init, name).toBeDefined();
      expect(init!.dims!.map(Number)).toEqual(t.shape);
      const raw = init!.rawData!;
      const data = raw.length ? new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)) : Float32Array.from(init!.floatData!);
      expect(Array.from(data)).toEqual(Array.from(t.data));
    }
    const weightInits = [...inits.keys()].filter((n) => /\.(weight|bias)$/.test(n));
    expect(weightInits.sort()).toEqual([...folded.keys()].sort());
    net.dispose();
  });

  it('fails the check when the file does not compute what the network computes', async () => {
    const net = await trained(KINDS_B);
    const onnx = trainedModel(net).onnx;
    // Shift the last layer's bias in the network only: the logits now differ by 0.5 on class 0.
    const bias = net.params().find((p) => p.name === 'layer7.fc.bias')!;
    tf.tidy(() => bias.variable.assign(tf.add(bias.value, tf.tensor1d([0.5, 0, 0, 0]))));
    const check = await checkTrainedExport(net, onnx, validation);
    expect(check.maxAbsDiff).toBeGreaterThan(0.49);
    expect(check.maxAbsDiff).toBeLessThan(0.51);
    expect(check.passed).toBe(false);
    net.dispose();
  });

  it('widens the bar to float32 rounding in an ill-conditioned net (BatchNorm over near-constant channels), and only that far', async () => {
    const net = await trained(KINDS_B);
    // Running variances near 0, as a recalibration over a few images leaves them in a barely trained net: γ/√(var+ε) ≈ 316.
    for (const p of net.params().filter((q) => q.name.endsWith('.var'))) tf.tidy(() => p.variable.assign(tf.mul(p.value, 1e-7)));
    const check = await checkTrainedExport(net, trainedModel(net).onnx, validation);
    expect(check.roundingMaxAbsDiff).toBeGreaterThan(EXPORT_TOLERANCE / ROUNDING_FACTOR);
    expect(check.tolerance).toBe(ROUNDING_FACTOR * check.roundingMaxAbsDiff);
    expect(check.maxAbsDiff).toBeLessThanOrEqual(check.tolerance);
    // A real slip (0.5 on one logit) stays far above what rounding explains.
    const bias = net.params().find((p) => p.name === 'layer7.fc.bias')!;
    const exported = trainedModel(net).onnx;
    tf.tidy(() => bias.variable.assign(tf.add(bias.value, tf.tensor1d([0.5 * check.maxAbsLogit, 0, 0, 0]))));
    expect((await checkTrainedExport(net, exported, validation)).passed).toBe(false);
    net.dispose();
  });
});
