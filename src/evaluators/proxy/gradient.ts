/**
 * The loss-gradient proxies of Abdelfattah et al. 2021 ("Zero-Cost Proxies for Lightweight NAS"), from
 * one backward pass of the cross-entropy of one labelled minibatch through the untrained net:
 *
 * - snip (Lee et al. 2019): Σ |θ ⊙ ∂L/∂θ| over every conv and dense weight, the saliency of pruning it;
 * - grad_norm: Σ over layers of ‖∂L/∂W‖₂, each layer's gradient Euclidean norm (a grouped conv, which
 *   runs as one weight per group, is one layer);
 * - fisher (Theis et al. 2018; Turner et al. 2020): per output channel of every conv and dense layer,
 *   ½·mean over the batch of (Σ over positions of activation × its gradient)²; the activation is the
 *   layer's output before BatchNorm. The paper scores a net by summing a saliency over its parameters;
 *   fisher's is per channel, so its reference code (zero-cost-nas, fisher.py) gives each channel's value
 *   to every weight of that channel before summing: each channel counts fan-in times (C_in/groups·k·k).
 */
import type * as TF from '@tensorflow/tfjs';
import { connectAll, type ProxyNetwork } from './network.js';

export interface LossGradientScores {
  snip: number;
  grad_norm: number;
  fisher: number;
}

/** `labels`: class index per image (int32), `classes`: logits per image. */
export function lossGradientScores(net: ProxyNetwork, x: TF.Tensor4D, labels: TF.Tensor1D): LossGradientScores {
  const { tf } = net;
  const fisherParts: TF.Scalar[] = [];
  // An identity whose gradient function also folds activation × gradient into fisher's sum.
  const tap = (fanIn: number) =>
    tf.customGrad((...args: (TF.Tensor | TF.GradSaveFunc)[]) => {
      const a = args[0] as TF.Tensor;
      (args[1] as TF.GradSaveFunc)([a]);
      return {
        value: tf.clone(a),
        gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => {
          const act = saved[0];
          const perChannel = tf.sum(tf.mul(act, dy), act.rank > 2 ? [1, 2] : []) as TF.Tensor2D;
          fisherParts.push(tf.keep(tf.mul(tf.sum(tf.mean(tf.square(perChannel), 0)), 0.5 * fanIn) as TF.Scalar));
          return dy;
        },
      };
    });
  try {
    const [snip, norm] = tf.tidy(() => {
      const loss = (...params: TF.Tensor[]) => {
        const logits = net.forward(x, params, { tapWeighted: (y, fanIn) => tap(fanIn)(y) as TF.Tensor });
        return connectAll(tf, tf.losses.softmaxCrossEntropy(tf.oneHot(labels, logits.shape[1]), logits) as TF.Scalar, params);
      };
      const grads = tf.grads(loss)(net.params as TF.Tensor[]);
      const snipSum = tf.addN(grads.map((g, i) => tf.sum(tf.abs(tf.mul(g, net.params[i])))));
      const normSum = tf.addN(layerGroups(net.paramLayers).map((idx) => (idx.length === 1 ? tf.norm(grads[idx[0]]) : tf.sqrt(tf.addN(idx.map((i) => tf.sum(tf.square(grads[i]))))))));
      return [snipSum, normSum];
    });
    const fisher = fisherParts.reduce((s, t) => s + t.dataSync()[0], 0);
    const scores = { snip: snip.dataSync()[0], grad_norm: norm.dataSync()[0], fisher };
    snip.dispose();
    norm.dispose();
    return scores;
  } finally {
    for (const t of fisherParts) t.dispose();
  }
}

/** Indices of the parameters of each layer, layers in order of first appearance. */
function layerGroups(layers: readonly string[]): number[][] {
  const groups = new Map<string, number[]>();
  layers.forEach((layer, i) => {
    const g = groups.get(layer);
    if (g) g.push(i);
    else groups.set(layer, [i]);
  });
  return [...groups.values()];
}
