/**
 * A trained Network as ONNX, and the check that the file computes what the network computes.
 *
 * `trainedModel(net)` exports the network's architecture (input [1, c, h, w], NCHW as every exported
 * model) with the trained weights, every BatchNorm folded into its conv (fold.ts). The weight source
 * is strict: every parameter the exporter asks for must come from the network with the exporter's
 * shape, and every folded tensor must be used, so a naming or layout slip is an error rather than a
 * silently generated weight.
 *
 * `checkTrainedExport(net, onnx, samples)` runs the same images through the network in inference mode
 * (tfjs, NHWC) and through onnxruntime-node (the ort-cpu device's session options, 1 thread; NCHW, one
 * image per run: the file's batch is 1) and returns the largest |difference| of the logits and both
 * top-1 accuracies.
 */
import * as tf from '@tensorflow/tfjs';
import { networkModel } from '../../export/model.js';
import { ortCpuSessionOptions } from '../../devices/ort-cpu/index.js';
import type { ModelUnderTest } from '../core/contracts.js';
import { UserError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic-file.js';
import { orderedBatches } from '../data/batches.js';
import type { Samples } from '../data/types.js';
import { foldedWeights } from './fold.js';
import { argmaxRows } from './loss.js';
import { Rng } from '../core/rng.js';
import type { Network } from './nn/network.js';

/** The bar an export must meet: logits within this of the network's (and then equal accuracies). */
export const EXPORT_TOLERANCE = 1e-4;

/**
 * The network as an ONNX model with its trained, BatchNorm-folded weights. `reround` (a seed) moves every
 * weight by up to half a float32 ulp (relative 2^-24) before it is stored: the same real numbers rounded
 * another way, to measure how far float32 rounding alone moves the logits (checkTrainedExport).
 */
export function trainedModel(net: Network, reround?: number): ModelUnderTest {
  const folded = foldedWeights(net);
  if (reround !== undefined) {
    const rng = new Rng(reround);
    for (const t of folded.values()) t.data = t.data.map((v) => Math.fround(v * (1 + (2 * rng.next() - 1) * 2 ** -24)));
  }
  const used = new Set<string>();
  const model = networkModel(net.arch, {
    weights: (name, shape) => {
      const t = folded.get(name);
      if (!t) throw new Error(`export of trained '${net.arch.name}': the exporter asks for ${name}, which the trained network does not have`);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
        throw new Error(`export of trained '${net.arch.name}': ${name} is [${t.shape.join(', ')}] in the network, the exporter expects [${shape.join(', ')}]`);
      used.add(name);
      return t.data;
    },
  });
  const unused = [...folded.keys()].filter((k) => !used.has(k));
  if (unused.length) throw new Error(`export of trained '${net.arch.name}': the exporter did not use ${unused.join(', ')}`);
  return model;
}

export interface ExportedFile {
  file: string;
  bytes: number;
  /** ONNX input shape, NCHW. */
  input: number[];
}

/** Writes trainedModel(net) to `file` (temporary file + rename, so a kill never leaves half a model). */
export function exportTrained(net: Network, file: string): ExportedFile & { model: ModelUnderTest } {
  const model = trainedModel(net);
  writeAtomically(file, model.onnx);
  return { file, bytes: model.onnx.length, input: [...model.inputs[0].shape], model };
}

export function writeAtomically(file: string, bytes: Uint8Array | string): void {
  writeFileAtomic(file, bytes, file, { hint: 'choose a writable output path' });
}

export interface ExportCheck {
  images: number;
  /** max |logit(tfjs) - logit(onnxruntime)| over every image and class. */
  maxAbsDiff: number;
  /** max |logit| (tfjs): float32 rounding differs by ~1e-6 of it per network, which bounds how small maxAbsDiff can get. */
  maxAbsLogit: number;
  /** Top-1 accuracies, percent, and how many images the two disagree on. */
  tfjsAccuracy: number;
  onnxAccuracy: number;
  disagreements: number;
  /**
   * max |logit(file) - logit(file with every weight rounded to float32 another way)|: the logit change float32
   * rounding alone causes in this network. Ill-conditioned nets (a few steps trained, BatchNorm over
   * near-constant channels: γ/√(var+ε) up to 316 per layer) amplify rounding far beyond 1e-4; measured in
   * docs/training.md.
   */
  roundingMaxAbsDiff: number;
  /** Whether maxAbsDiff <= tolerance and the accuracies are equal. */
  passed: boolean;
  /** The bar: max(EXPORT_TOLERANCE, ROUNDING_FACTOR × roundingMaxAbsDiff). */
  tolerance: number;
}

/** How many times the float32 rounding sensitivity two independent float32 computations may differ by (docs/training.md). */
export const ROUNDING_FACTOR = 4;

/** NHWC image `i` of a batch as NCHW. */
function toNchw(x: Float32Array, i: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(c * h * w);
  const base = i * h * w * c;
  for (let y = 0; y < h; y++)
    for (let xx = 0; xx < w; xx++)
      for (let ch = 0; ch < c; ch++) out[(ch * h + y) * w + xx] = x[base + (y * w + xx) * c + ch];
  return out;
}

/** Runs `samples` through the network (tfjs, inference mode) and the ONNX model (onnxruntime-node, 1 thread). */
export async function checkTrainedExport(net: Network, onnx: Uint8Array, samples: Samples, opts: { tolerance?: number; batchSize?: number } = {}): Promise<ExportCheck> {
  const [h, w, c] = net.imageShape;
  if (samples.height !== h || samples.width !== w || samples.channels !== c)
    throw new UserError(`check images are ${samples.height}x${samples.width}x${samples.channels}, the network takes ${h}x${w}x${c}`);
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(onnx, ortCpuSessionOptions({ threads: 1, graphOptimizationLevel: 'all' }));
  const rerounded = await ort.InferenceSession.create(trainedModel(net, 1).onnx, ortCpuSessionOptions({ threads: 1, graphOptimizationLevel: 'all' }));
  let roundingMaxAbsDiff = 0;
  const k = net.classes;
  let maxAbsDiff = 0;
  let maxAbsLogit = 0;
  let tfjsCorrect = 0;
  let onnxCorrect = 0;
  let disagreements = 0;
  try {
    const inputName = session.inputNames[0];
    const outputName = session.outputNames[0];
    for (const b of orderedBatches(samples, opts.batchSize ?? 128)) {
      const ref = tf.tidy(() => net.forward(tf.tensor4d(b.x, [b.count, h, w, c]), false).dataSync() as Float32Array);
      const got = new Float32Array(b.count * k);
      for (let i = 0; i < b.count; i++) {
        const feed = { [inputName]: new ort.Tensor('float32', toNchw(b.x, i, h, w, c), [1, c, h, w]) };
        const data = (await session.run(feed))[outputName].data as Float32Array;
        if (data.length !== k) throw new Error(`the exported model gives ${data.length} outputs per image, the network ${k}`);
        got.set(data, i * k);
        const other = (await rerounded.run(feed))[rerounded.outputNames[0]].data as Float32Array;
        for (let j = 0; j < k; j++) roundingMaxAbsDiff = Math.max(roundingMaxAbsDiff, Math.abs(other[j] - data[j]));
      }
      for (let j = 0; j < got.length; j++) {
        const d = Math.abs(got[j] - ref[j]);
        // NaN anywhere fails the check.
        maxAbsDiff = Number.isNaN(d) || Number.isNaN(maxAbsDiff) ? NaN : Math.max(maxAbsDiff, d);
        maxAbsLogit = Math.max(maxAbsLogit, Math.abs(ref[j]));
      }
      const pr = argmaxRows(ref, k);
      const pg = argmaxRows(got, k);
      for (let i = 0; i < b.count; i++) {
        if (pr[i] === b.labels[i]) tfjsCorrect++;
        if (pg[i] === b.labels[i]) onnxCorrect++;
        if (pr[i] !== pg[i]) disagreements++;
      }
    }
  } finally {
    await session.release();
    await rerounded.release();
  }
  const n = samples.count;
  const tfjsAccuracy = (100 * tfjsCorrect) / n;
  const onnxAccuracy = (100 * onnxCorrect) / n;
  const tolerance = opts.tolerance ?? Math.max(EXPORT_TOLERANCE, ROUNDING_FACTOR * roundingMaxAbsDiff);
  return { images: n, maxAbsDiff, maxAbsLogit, roundingMaxAbsDiff, tfjsAccuracy, onnxAccuracy, disagreements, passed: maxAbsDiff <= tolerance && tfjsAccuracy === onnxAccuracy, tolerance };
}
