/**
 * A ModelUnderTest rebuilt as tfjs ops: tfjs devices do not run ONNX, they rebuild the model from its
 * op instances (ModelUnderTest.ops) with the exporter's weights (same seed, same tensor names: `op.*`
 * for a one-op model, `layer<i>.*` for a network), and feed it the inputs the ONNX devices get.
 */
import type * as TF from '@tensorflow/tfjs';
import { UserError } from '../../src/core/errors.js';
import { opKey } from '../../src/core/keys.js';
import { outputShape, legacyGap, seedKindError, type LegacyKind, type OpInstance } from '../../src/core/ops.js';
import { Weights } from '../../export/weights.js';
import { randomFeeds } from '../ort-wasm/feeds.js';
import type { ModelUnderTest } from '../types.js';
import { TF_BLOCKS } from './blocks.js';
import type { BuildContext, Forward, Tensor } from './layers.js';

export interface TfModel {
  /** The model's inputs, NHWC, holding the same values as randomFeeds gives the ONNX devices. */
  inputs: Tensor[];
  /** Runs the model on `inputs`; call inside tf.tidy. May return an input itself (identity). */
  forward(inputs: Tensor[]): Tensor;
  dispose(): void;
}

/** Why tfjs cannot run this instance, or undefined when it can. */
export function tfUnsupported(inst: OpInstance): string | undefined {
  try {
    outputShape(inst.spec, inst.input);
  } catch (e) {
    return (e as Error).message;
  }
  const spec = inst.spec;
  if ((spec.kind === 'conv' || spec.kind === 'dwconv') && spec.stride > 1 && spec.dilation > 1)
    return `tfjs convolutions take a stride or a dilation, not both (stride ${spec.stride}, dilation ${spec.dilation})`;
  if (spec.kind === 'concat') return 'concat (a multi-input DAG block) runs once this backend is built from the lowered graph';
  return undefined;
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
  const [n, c, h, w] = t.dims;
  return tf.tidy(() => tf.transpose(tf.tensor4d(t.data, [n, c, h, w]), [0, 2, 3, 1]));
}

export function buildTfModel(tf: typeof TF, model: ModelUnderTest, seed = 0): TfModel {
  const ops = model.ops;
  ops.forEach((inst, i) => {
    const why = tfUnsupported(inst);
    if (why) throw new UserError(`tfjs cannot build '${model.key}' (op ${i}, ${inst.spec.kind}): ${why}`);
    const next = ops[i + 1];
    if (next && next.input.join('x') !== outputShape(inst.spec, inst.input).join('x'))
      throw new UserError(`tfjs: the ops of '${model.key}' are not a chain: op ${i} gives ${outputShape(inst.spec, inst.input).join('x')}, op ${i + 1} takes ${next.input.join('x')}`);
  });
  const ctx: BuildContext = { tf, weights: new Weights(seed), owned: [] };
  try {
    const oneOp = ops.length === 1 && model.key === opKey(ops[0]);
    const inputs = Object.values(randomFeeds(RawTensor, model)).map((t) => nhwc(tf, t));
    ctx.owned.push(...inputs);
    let forward: (xs: Tensor[]) => Tensor;
    if (oneOp && ops[0].spec.kind === 'sum') {
      // The exported one-op sum has `arity` distinct inputs (export/model.ts).
      forward = (xs) => (xs.length === 1 ? xs[0] : tf.addN(xs));
    } else {
      if (inputs.length !== 1) throw new UserError(`tfjs: '${model.key}' has ${inputs.length} inputs; only a one-op sum may have more than one`);
      const layers: Forward[] = ops.map((inst, i) => {
        const gap = legacyGap(inst.spec);
        if (gap) throw seedKindError(gap, 'the tfjs device');
        const build = TF_BLOCKS[inst.spec.kind as LegacyKind] as (c: BuildContext, s: OpInstance['spec'], sh: OpInstance['input'], p: string) => Forward;
        return build(ctx, inst.spec, inst.input, oneOp ? 'op' : `layer${i}`);
      });
      forward = (xs) => layers.reduce((h, layer) => layer(h), xs[0]);
    }
    return {
      inputs,
      forward,
      dispose: () => tf.dispose(ctx.owned),
    };
  } catch (e) {
    tf.dispose(ctx.owned);
    throw e;
  }
}
