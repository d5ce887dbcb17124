/**
 * The latency-aware loss of an architecture step, L = form(CE, LAT(α)), from the loss forms of
 * src/search/loss and their tfjs gradients on the small α tensors:
 *
 *   fbnet          CE · 0.2 · (log LAT)^w                 (FBNet eq. 2; w = β, paper 0.6)
 *   proxyless-mul  CE · 0.2 · (log LAT / log T)^w         (ProxylessNAS mul#log; w = β, paper 0.3)
 *   proxyless-add  CE + w · (LAT − T) / T                 (ProxylessNAS add#linear; w = λ, paper 0.1)
 *
 * w is --latency-weight: 0 ignores latency, larger weights push harder towards fast options. The logs
 * are taken of the latency in units of `unitMs`, half the fastest network of the space: every log is then
 * ≥ log 2 > 0 (a log ≤ 0 to a fractional power is NaN), and the penalty depends on latency ratios only, so
 * a weight means the same on a 0.2 ms and a 20 ms device (in ms, log LAT is nearly constant over a
 * sub-millisecond space and the latency term all but vanishes).
 * LAT is FBNet's sampled latency (the same Gumbel sample the network ran with) or ProxylessNAS's
 * expected latency E[LAT] = Σ softmax(α)·L. The network's part, dL/dCE · dCE/dα, is added by the caller.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.js';
import { fbnetLoss, proxylessAdditiveLoss, proxylessMultiplicativeLoss } from '../loss/index.js';

export const LATENCY_LOSSES = ['fbnet', 'proxyless-add', 'proxyless-mul'] as const;
export type LatencyLossKind = (typeof LATENCY_LOSSES)[number];

/** The coefficient of the multiplicative forms (both papers' α). */
const SCALE = 0.2;

export interface LatencyTerm {
  kind: LatencyLossKind;
  weight: number;
  /** T, ms (the proxyless forms). */
  targetMs: number;
  /** The unit the log forms take the log of the latency in, ms (half the fastest network). */
  unitMs: number;
}

export function latencyLoss(t: LatencyTerm, ce: tf.Scalar, lat: tf.Scalar): tf.Scalar {
  switch (t.kind) {
    case 'fbnet':
      return fbnetLoss(ce, lat, { alpha: SCALE, beta: t.weight, unitMs: t.unitMs });
    case 'proxyless-mul':
      return proxylessMultiplicativeLoss(ce, lat, { alpha: SCALE, beta: t.weight, targetMs: t.targetMs, unitMs: t.unitMs });
    case 'proxyless-add':
      return proxylessAdditiveLoss(ce, lat, { lambda: t.weight, targetMs: t.targetMs });
    default:
      throw new UserError(`unknown latency loss '${t.kind as string}'`, { hint: `choose one of ${LATENCY_LOSSES.join(', ')}` });
  }
}

export interface LossGrads {
  loss: number;
  latencyMs: number;
  /** ∂L/∂CE: what the network's gradient dCE/dα is scaled by. */
  dCe: number;
  /** ∂L/∂α through the latency term, per layer. */
  dAlpha: number[][];
}

/** Value of L and its gradients at cross-entropy `ce`, with LAT(α) given as a tfjs function of the α tensors. */
export function latencyLossGrads(t: LatencyTerm, ce: number, alpha: readonly tf.Tensor1D[], latency: (alpha: tf.Tensor1D[]) => tf.Scalar): LossGrads {
  return tf.tidy(() => {
    const f = (...inputs: tf.Tensor[]) => {
      const [c, ...a] = inputs;
      return latencyLoss(t, c as tf.Scalar, latency(a as tf.Tensor1D[]));
    };
    const ceT = tf.scalar(ce);
    const { value, grads } = tf.valueAndGrads(f)([ceT, ...alpha]);
    const latencyMs = latency([...alpha]).dataSync()[0];
    const loss = value.dataSync()[0];
    if (!Number.isFinite(loss))
      throw new UserError(`the ${t.kind} latency loss is ${loss} at LAT ${latencyMs} ms and CE ${ce}`, {
        hint: 'try --latency-loss proxyless-add',
      });
    return { loss, latencyMs, dCe: grads[0].dataSync()[0], dAlpha: grads.slice(1).map((g) => Array.from(g.dataSync())) };
  });
}
