/**
 * Architecture logits α (one vector per searchable layer, a Param each so the training optimizer's
 * Adam and the checkpoint format apply) and the two ways of turning them into gates and gradients:
 *
 * FBNet (Wu et al. 2019): m = Gumbel-softmax(α, τ) (src/search/loss gumbelSoftmax). With G = dL/dm,
 *   dL/dα_j = (m_j / τ) (G_j − Σ_i m_i G_i)                (the softmax Jacobian at (α + noise) / τ)
 *
 * ProxylessNAS (Cai et al. 2019): binary gates. Weight step: one path per layer drawn from softmax(α).
 * Architecture step: two distinct paths drawn from softmax(α), their probabilities renormalised,
 * p = softmax(α_a, α_b), the active one drawn from p; with G_j = dL/dg_j for the two,
 *   dL/dα_i = Σ_j G_j p_j (δ_ij − p_i)                     (i, j over the two paths)
 * and after the update the two logits are shifted together so their log-sum-exp is what it was:
 * the paths that were not drawn keep their probabilities (the paper's "rescale").
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/rng.js';
import { gumbelSoftmax } from '../loss/index.js';
import { Param } from '../../train/nn/module.js';

/** Logit given to the padding past a layer's option count: its Gumbel-softmax weight is exactly 0. */
const MASKED = -1e9;

export function softmax(v: readonly number[]): number[] {
  const max = Math.max(...v);
  const e = v.map((x) => Math.exp(x - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** Index drawn from probabilities p (summing to 1). */
function draw(p: readonly number[], rng: Rng): number {
  let u = rng.next();
  for (let i = 0; i < p.length; i++) {
    u -= p[i];
    if (u < 0) return i;
  }
  return p.length - 1;
}

export class ArchParams {
  readonly params: Param[];

  constructor(
    readonly optionCounts: readonly number[],
    names: readonly string[],
  ) {
    this.params = optionCounts.map((n, l) => new Param(`alpha.${names[l]}`, tf.zeros([n]), 'bias'));
  }

  get tensors(): tf.Tensor1D[] {
    return this.params.map((p) => p.variable as tf.Tensor1D);
  }

  values(): number[][] {
    return this.params.map((p) => Array.from(p.value.dataSync()));
  }

  probabilities(): number[][] {
    return this.values().map(softmax);
  }

  /** The derived architecture: each layer's most likely option (the first on ties). */
  argmax(): number[] {
    return this.values().map((v) => v.indexOf(Math.max(...v)));
  }

  /** Sets the gradient of every α (replacing what was there). */
  setGrads(grads: readonly (readonly number[])[]): void {
    this.params.forEach((p, l) => {
      p.clearGrad();
      p.addGrad(tf.tensor1d(grads[l] as number[]));
    });
  }

  /** FBNet: Gumbel-softmax weights per layer, m_l of length optionCounts[l]. */
  gumbelWeights(tau: number, rng: Rng): number[][] {
    const width = Math.max(...this.optionCounts);
    const values = this.values();
    const flat = new Float32Array(values.length * width).fill(MASKED);
    values.forEach((v, l) => flat.set(v, l * width));
    const m = tf.tidy(() => gumbelSoftmax(tf.tensor2d(flat, [values.length, width]), { tau, rng }).dataSync());
    return values.map((v, l) => Array.from(m.subarray(l * width, l * width + v.length)));
  }

  dispose(): void {
    for (const p of this.params) {
      p.clearGrad();
      p.variable.dispose();
    }
  }
}

/** FBNet: dL/dα of one layer from dL/dm through the Gumbel-softmax Jacobian. */
export function gumbelAlphaGrad(m: readonly number[], dm: readonly number[], tau: number): number[] {
  const mean = m.reduce((s, mi, i) => s + mi * dm[i], 0);
  return m.map((mj, j) => (mj / tau) * (dm[j] - mean));
}

/** DARTS: dL/dα of one edge from dL/dp with p = softmax(α) (the Gumbel-softmax Jacobian without noise, τ = 1). */
export function softmaxAlphaGrad(p: readonly number[], dp: readonly number[]): number[] {
  return gumbelAlphaGrad(p, dp, 1);
}

/** ProxylessNAS: the two paths of an architecture step, `active` first, and their renormalised probabilities. */
export interface TwoPaths {
  active: number;
  inactive: number;
  /** softmax over (α_active, α_inactive). */
  p: [number, number];
}

/** ProxylessNAS weight step: one path drawn from softmax(α). */
export function samplePath(alpha: readonly number[], rng: Rng): number {
  return draw(softmax(alpha), rng);
}

/** ProxylessNAS architecture step: two distinct paths drawn from softmax(α), the active one from their renormalised probabilities. */
export function sampleTwoPaths(alpha: readonly number[], rng: Rng): TwoPaths {
  const probs = softmax(alpha);
  const a = draw(probs, rng);
  const rest = probs.map((q, i) => (i === a ? 0 : q));
  const total = rest.reduce((s, q) => s + q, 0);
  const b = draw(
    rest.map((q) => q / total),
    rng,
  );
  const [pa, pb] = softmax([alpha[a], alpha[b]]);
  return rng.next() < pa ? { active: a, inactive: b, p: [pa, pb] } : { active: b, inactive: a, p: [pb, pa] };
}

/** ProxylessNAS: dL/dα over all options of a layer (0 outside the two paths) from dL/dg of the two. */
export function twoPathAlphaGrad(options: number, paths: TwoPaths, gActive: number, gInactive: number): number[] {
  const idx = [paths.active, paths.inactive];
  const g = [gActive, gInactive];
  const out = new Array<number>(options).fill(0);
  for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) out[idx[i]] += g[j] * paths.p[j] * ((i === j ? 1 : 0) - paths.p[i]);
  return out;
}

/** ProxylessNAS rescale: shifts the two paths' new logits so their log-sum-exp equals the old one. */
export function rescaleTwoPaths(before: readonly number[], after: readonly number[], paths: TwoPaths): number[] {
  const idx = [paths.active, paths.inactive];
  const lse = (v: readonly number[]) => {
    const m = Math.max(...idx.map((i) => v[i]));
    return m + Math.log(idx.reduce((s, i) => s + Math.exp(v[i] - m), 0));
  };
  const offset = lse(after) - lse(before);
  return after.map((v, i) => (idx.includes(i) ? v - offset : v));
}
