/**
 * Where a trained export's logits drift from tfjs: the network cut after each layer, its output in
 * tfjs (the training engine, inference mode) against the same prefix exported with the folded weights
 * and run in onnxruntime-node, on the first validation images. A layer whose export computed something
 * else would show as a jump; float32 rounding grows slowly with depth, relative to the activations.
 *
 *   node --import tsx bench/export-drift.ts --published MobileNetV2-1.0 --images 12000 --validation 2000 --epochs 3 --seed 1 --checkpoint mbv2.onnx.ckpt
 *
 * The data and training flags must be those of the `nas train` run whose checkpoint it reads (the
 * checkpoint is then resumed at its end, nothing is trained); without a checkpoint it trains first.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { networkModel } from '../export/model.js';
import { loadImageSet } from '../src/data/datasets.js';
import { prepare } from '../src/data/prepare.js';
import { publishedArchitecture } from '../src/spaces/catalog.js';
import { useTrainingBackend } from '../src/train/backend.js';
import { foldedWeights } from '../src/train/fold.js';
import { Network } from '../src/train/nn/network.js';
import { adaptArchitecture } from '../src/train/train-evaluator.js';
import { recalibrate, train } from '../src/train/trainer.js';

const { values } = parseArgs({
  options: {
    published: { type: 'string', default: 'MobileNetV2-1.0' },
    images: { type: 'string', default: '2560' },
    validation: { type: 'string', default: '512' },
    epochs: { type: 'string', default: '2' },
    batch: { type: 'string', default: '64' },
    seed: { type: 'string', default: '0' },
    checkpoint: { type: 'string' },
    samples: { type: 'string', default: '16' },
  },
});
const seed = Number(values.seed);
const batchSize = Number(values.batch);
await useTrainingBackend('wasm');
const data = prepare(loadImageSet({ dataset: 'fashion-mnist', part: 'train' }), { limit: Number(values.images), validation: Number(values.validation), seed });
const arch = adaptArchitecture(publishedArchitecture(values.published!, {}), data.train, data.train.classes);
const net = new Network(arch, { seed });
await train(net, data.train, { epochs: Number(values.epochs), batchSize, seed, checkpoint: values.checkpoint });
recalibrate(net, data.train, data.train.count, batchSize);
const weights = foldedWeights(net);

const n = Number(values.samples);
const [h, w, c] = net.imageShape;
const x = data.validation.x.subarray(0, n * h * w * c);
const nchw = new Float32Array(x.length);
for (let i = 0; i < n; i++)
  for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let ch = 0; ch < c; ch++) nchw[((i * c + ch) * h + y) * w + xx] = x[((i * h + y) * w + xx) * c + ch];

console.log(`${arch.name} on ${n} validation images, tfjs (wasm) vs onnxruntime-node (cpu, 1 thread), each prefix of the network:\n`);
console.log('| after layer | kind | max abs diff | max abs value | relative |');
console.log('|---|---|---|---|---|');
let t: tf.Tensor4D = tf.tensor4d(x, [n, h, w, c]);
for (let k = 0; k < net.layers.length; k++) {
  const next = tf.tidy(() => net.layers[k].module.forward(t));
  t.dispose();
  t = next;
  const ref = t.dataSync() as Float32Array;
  const prefix = { ...arch, name: `prefix-${k}`, input: [n, c, h, w] as [number, number, number, number], layers: arch.layers.slice(0, k + 1) };
  const model = networkModel(prefix, { weights: (name) => weights.get(name)?.data });
  const session = await ort.InferenceSession.create(model.onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const out = (await session.run({ input: new ort.Tensor('float32', nchw, [n, c, h, w]) })).output;
  await session.release();
  const [N, C, H, W] = out.dims as number[];
  const got = out.data as Float32Array;
  let diff = 0;
  let mag = 0;
  for (let i = 0; i < N; i++)
    for (let ch = 0; ch < C; ch++)
      for (let y = 0; y < H; y++)
        for (let xx = 0; xx < W; xx++) {
          const r = ref[((i * H + y) * W + xx) * C + ch];
          diff = Math.max(diff, Math.abs(r - got[((i * C + ch) * H + y) * W + xx]));
          mag = Math.max(mag, Math.abs(r));
        }
  console.log(`| ${k} | ${arch.layers[k].spec.kind} | ${diff.toExponential(2)} | ${mag.toFixed(2)} | ${(diff / mag).toExponential(2)} |`);
}
t.dispose();
net.dispose();
