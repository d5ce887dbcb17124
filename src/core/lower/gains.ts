/**
 * Gains of generated (untrained) weights, carried by the lowered graph (InitHint) so every backend
 * that generates weights scales them the same way (export/weights.ts draws them).
 */
import type { Act } from '../specs.js';

/**
 * 1/sqrt(E[act(z)^2]) for z ~ N(0,1): scaling the weights of the layer in front of `act` by it keeps
 * the second moment of activations at 1 (He et al. 2015 for ReLU, the same argument for the others).
 */
const ACT_GAIN: Record<Act, number> = { relu: Math.SQRT2, relu6: Math.SQRT2, hswish: 1.736, swish: 1.676, none: 1 };
export function actGain(act: Act): number {
  return ACT_GAIN[act];
}

/** 1/sqrt(E[sigmoid(z)^2]): undoes the shrink of an SE scale on the layer that follows it. */
export const SE_GAIN = 1.85;

/**
 * Gain of the last layer of a residual branch: x + f(x) would double the variance per block
 * (2^20 after 20 blocks), so the branch starts small, in the spirit of zero-initialised residual
 * BatchNorm (Goyal et al. 2017) but non-zero so the branch still computes something.
 */
export const RESIDUAL_GAIN = 0.3;
