import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainArch, classifierHead, convSpec, type Architecture } from '../../src/core/arch.js';
import { UserError } from '../../src/core/errors.js';
import { FASHION_MNIST_DIR, loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { prepare } from '../../src/data/prepare.js';
import { useTrainingBackend } from '../../src/train/backend.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { Network } from '../../src/train/nn/network.js';
import { trainEvaluator } from '../../src/train/train-evaluator.js';
import { evaluate, train } from '../../src/train/trainer.js';
import { syntheticSet } from './fixtures.js';

/** A small net for 14x14x1 images. */
function tinyNet(classes = 10, channels = 1, side = 14): Architecture {
  return chainArch('tiny', [1, channels, side, side], {
    stem: [convSpec(8, 3, 2, 'relu6')],
    blocks: [
      { kind: 'mbconv', cout: 16, k: 3, stride: 2, expand: 2, se: 0, act: 'relu6', skip: false },
      { kind: 'mbconv', cout: 16, k: 3, stride: 1, expand: 2, se: 0.25, act: 'hswish', skip: true },
    ],
    head: classifierHead(classes),
  });
}


function weights(net: Network): Float32Array[] {
  return net.params().map((p) => (p.value.dataSync() as Float32Array).slice());
}

const dir = mkdtempSync(path.join(tmpdir(), 'train-test-'));
const data = prepare(syntheticSet(400), { validation: 80, seed: 2, downscale: 2 });

describe('training', () => {
  beforeAll(async () => {
    await useTrainingBackend('wasm');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is deterministic under a seed and learns the synthetic classes', async () => {
    const run = async () => {
      const net = new Network(tinyNet(), { seed: 4 });
      const r = await train(net, data.train, { epochs: 5, batchSize: 32, seed: 9 });
      const out = { r, w: weights(net), acc: evaluate(net, data.validation).accuracy };
      net.dispose();
      return out;
    };
    const a = await run();
    const b = await run();
    expect(b.r.loss).toBe(a.r.loss);
    a.w.forEach((w, i) => expect(b.w[i]).toEqual(w));
    expect(a.acc).toBeGreaterThan(80);
    expect(tf.memory().numTensors).toBeLessThan(20);
  });

  it.each(['sgd', 'adam'] as const)('resumes a killed training (%s) from its checkpoint to the same weights', async (kind) => {
    const opts = { steps: 12, batchSize: 32, seed: 3, checkpointEvery: 4, optimizer: { kind } };
    const straight = new Network(tinyNet(), { seed: 1 });
    await train(straight, data.train, { ...opts, checkpoint: path.join(dir, `straight-${kind}.ckpt`) });

    const file = path.join(dir, `killed-${kind}.ckpt`);
    const killed = new Network(tinyNet(), { seed: 1 });
    const kill = new Error('killed');
    await expect(
      train(killed, data.train, {
        ...opts,
        checkpoint: file,
        onProgress: (p) => {
          if (p.step === 6) throw kill;
        },
      }),
    ).rejects.toBe(kill);
    killed.dispose();
    expect(readCheckpoint(file).meta.step).toBe(4);

    const resumed = new Network(tinyNet(), { seed: 77 }); // its own initial weights are overwritten
    const r = await train(resumed, data.train, { ...opts, checkpoint: file });
    expect(r.resumedFrom).toBe(4);
    expect(r.steps).toBe(12);
    const want = weights(straight);
    weights(resumed).forEach((w, i) => expect(w).toEqual(want[i]));
    expect(readCheckpoint(file).meta.step).toBe(12);
    straight.dispose();
    resumed.dispose();

    // A checkpoint of another training is refused rather than silently mixed in.
    const other = new Network(tinyNet(), { seed: 1 });
    await expect(train(other, data.train, { ...opts, batchSize: 16, checkpoint: file })).rejects.toThrow(/belongs to another training/);
    expect([...readCheckpoint(file).tensors.keys()].some((k) => k.startsWith(kind === 'sgd' ? 'optimizer.momentum.' : 'optimizer.adam_v.'))).toBe(true);
    other.dispose();
  });

  it('stops on a non-finite loss with a clear error and keeps the last good checkpoint', async () => {
    const file = path.join(dir, 'nan.ckpt');
    const net = new Network(tinyNet(), { seed: 2 });
    const err = await train(net, data.train, { steps: 40, batchSize: 32, seed: 1, optimizer: { kind: 'sgd', lr: 1e4 }, checkpoint: file, checkpointEvery: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/training diverged/);
    expect((err as UserError).hint).toMatch(/lower the learning rate/);
    const ck = readCheckpoint(file);
    expect(Number(ck.meta.step)).toBeGreaterThanOrEqual(1);
    for (const [, t] of ck.tensors) expect(t.data.every(Number.isFinite)).toBe(true);
    net.dispose();
  });

  it('rejects data that does not fit the network or the batch', async () => {
    const net = new Network(tinyNet(10, 1, 28), { seed: 1 });
    await expect(train(net, data.train, { steps: 1 })).rejects.toThrow(/images are 14x14x1, the network takes 28x28x1/);
    net.dispose();
    const small = new Network(tinyNet(), { seed: 1 });
    await expect(train(small, data.train, { steps: 1, batchSize: 1000 })).rejects.toThrow(/do not fill one batch of 1000/);
    small.dispose();
  });
});

describe('train evaluator', () => {
  beforeAll(async () => {
    await useTrainingBackend('wasm');
  });

  it('retargets a candidate to the data, trains it and returns the same accuracy for the same seed', async () => {
    // IDX copy of the synthetic set, read through the real loader (--data DIR).
    const set = syntheticSet(300, 5);
    const idx = (magic: number, dims: number[], body: Uint8Array) => {
      const head = Buffer.alloc(4 + 4 * dims.length);
      head.writeUInt32BE(magic, 0);
      dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
      return gzipSync(Buffer.concat([head, body]));
    };
    const dataDir = mkdtempSync(path.join(tmpdir(), 'eval-data-'));
    writeFileSync(path.join(dataDir, 'train-images-idx3-ubyte.gz'), idx(0x803, [300, 28, 28], set.pixels));
    writeFileSync(path.join(dataDir, 'train-labels-idx1-ubyte.gz'), idx(0x801, [300], set.labels));
    // Built for 3x32x32 inputs and 1000 classes, as a search space would.
    const candidate = tinyNet(1000, 3, 32);
    const opts = { dataDir, limit: 300, validation: 60, downscale: 2, epochs: 2, batchSize: 32, seed: 5, backend: 'wasm' as const };
    const ev = trainEvaluator(opts);
    const a = await ev.evaluate(candidate);
    expect(a).toBeGreaterThan(30);
    expect(a).toBeLessThanOrEqual(100);
    expect(await trainEvaluator(opts).evaluate(candidate)).toBe(a);
    expect(ev.provenance).toMatchObject({ kind: 'train', images: { train: 240, validation: 60, shape: [14, 14, 1] } });
    rmSync(dataDir, { recursive: true, force: true });
  });
});

describe.runIf(existsSync(FASHION_MNIST_DIR))('on Fashion-MNIST', () => {
  it('a short training on a 512-image slice is clearly above chance', async () => {
    await useTrainingBackend('wasm');
    const p = prepare(loadFashionMnist(FASHION_MNIST_DIR, 'train'), { limit: 640, validation: 128, seed: 1, downscale: 2 });
    expect(p.train.count).toBe(512);
    const net = new Network(tinyNet(), { seed: 1 });
    await train(net, p.train, { epochs: 4, batchSize: 32, seed: 1 });
    // Chance is 10%.
    expect(evaluate(net, p.validation).accuracy).toBeGreaterThan(45);
    net.dispose();
  });
});
