/**
 * A ModelUnderTest as a tfjs model: tfjs does not run ONNX, so the model's primitive graph (the one its
 * ONNX bytes were emitted from) is compiled to a tfjs program (program.ts) and run by the interpreter the
 * browser page runs too (devices/browser/page/tfjs-program.js), with the exporter's weights (same seed,
 * same parameter names), fed the inputs the ONNX devices get.
 */
import type * as TF from '@tensorflow/tfjs';
import { Weights } from '../../export/weights.js';
import { isUserError, UnrunnableModelError, UserError } from '../../src/core/errors.js';
import { randomFeeds } from '../ort-wasm/feeds.js';
import type { ModelUnderTest } from '../types.js';
import { modelGraph, tfjsProgram, type TfProgram } from './program.js';

export { tfUnsupported } from './program.js';
import { interpreter } from './interpreter.js';
import { programWeights } from './program-weights.js';

export type Tensor = TF.Tensor4D;

export interface TfModel {
  /** The model's inputs, NHWC, holding the same values as randomFeeds gives the ONNX devices. */
  inputs: Tensor[];
  /** Runs the model on `inputs`; call inside tf.tidy. May return an input itself (identity). */
  forward(inputs: Tensor[]): Tensor;
  dispose(): void;
}

/** A float32 tensor description, shaped like an onnxruntime Tensor, so randomFeeds can fill it. */
class RawTensor {
  constructor(
    readonly type: 'float32',
    readonly data: Float32Array,
    readonly dims: readonly number[],
  ) {}
}

function nhwc(tf: typeof TF, t: RawTensor): Tensor {
  const [n, c, h = 1, w = 1] = t.dims; // an N×C input (an ONNX unit's Gemm) is N×C×1×1 in the primitive graph
  return tf.tidy(() => tf.transpose(tf.tensor4d(t.data, [n, c, h, w]), [0, 2, 3, 1]));
}

export function buildTfModel(tf: typeof TF, model: ModelUnderTest, seed = 0): TfModel {
  let program: TfProgram;
  try {
    program = tfjsProgram(modelGraph(model));
  } catch (e) {
    if (e instanceof UnrunnableModelError) throw e;
    if (isUserError(e)) throw new UserError(`tfjs cannot build '${model.key}': ${e.message}`, { hint: e.hint });
    throw e;
  }
  const owned: TF.Tensor[] = [];
  try {
    const inputs = Object.values(randomFeeds(RawTensor, model)).map((t) => nhwc(tf, t));
    owned.push(...inputs);
    const weights = programWeights(program, new Weights(seed)).map((data, i) => tf.tensor(data, program.weights[i].shape, 'float32'));
    owned.push(...weights);
    return {
      inputs,
      forward: (xs) => interpreter.runProgram(tf, program, weights, xs),
      dispose: () => tf.dispose(owned),
    };
  } catch (e) {
    tf.dispose(owned);
    throw e;
  }
}
