/**
 * The zero-cost proxies by name, each computed over a ProxyNetwork. Proxies that share a pass share it
 * (snip, grad_norm and fisher come from one backward pass), so scoring several on one net costs little
 * more than the dearest of them.
 */
import type * as TF from '@tensorflow/tfjs';
import { lossGradientScores } from './gradient.js';
import { jacobCovScore } from './jacob-cov.js';
import type { ProxyNetwork } from './network.js';
import { naswotScore } from './naswot.js';
import { synflowScore } from './synflow.js';

export interface ProxyDefinition {
  /** Needs a minibatch (synflow needs none: one all-ones image). */
  data: boolean;
  /** Default minibatch size: NASWOT's own evaluator default, 64 for the others as in Abdelfattah et al. 2021. */
  batch: number;
  /** What the score is, for provenance. */
  unit: string;
}

export const PROXIES = {
  naswot: { data: true, batch: 16, unit: 'log|det K| of the batch\'s ReLU codes (Mellor et al. 2021), larger is better' },
  synflow: { data: false, batch: 1, unit: 'Σ θ·∂R/∂θ of the |θ| net on an all-ones image (Tanaka et al. 2020), larger is better' },
  jacob_cov: { data: true, batch: 64, unit: '−Σ log(λ+k)+1/(λ+k) of the input-Jacobian correlations (Mellor et al. 2020), larger is better' },
  snip: { data: true, batch: 64, unit: 'Σ |θ·∂L/∂θ| (Lee et al. 2019), larger is better' },
  grad_norm: { data: true, batch: 64, unit: 'Σ over layers of ‖∂L/∂W‖₂, larger is better' },
  fisher: { data: true, batch: 64, unit: 'Σ over channels of fan-in·½·mean (Σ act·∂L/∂act)² (Turner et al. 2020; summed over weights as in Abdelfattah et al. 2021), larger is better' },
} satisfies Record<string, ProxyDefinition>;

export type BaseProxyName = keyof typeof PROXIES;
export const BASE_PROXY_NAMES = Object.keys(PROXIES) as BaseProxyName[];

export function isBaseProxy(name: string): name is BaseProxyName {
  return Object.prototype.hasOwnProperty.call(PROXIES, name);
}

export interface ProxyInputTensors {
  x: TF.Tensor4D;
  labels: TF.Tensor1D;
}

/**
 * Scores `names` on one net; `input(name)` gives the minibatch each data-driven proxy reads (the
 * caller owns and disposes those tensors).
 */
export function scoreProxies(net: ProxyNetwork, names: readonly BaseProxyName[], input: (name: BaseProxyName) => ProxyInputTensors): Partial<Record<BaseProxyName, number>> {
  const out: Partial<Record<BaseProxyName, number>> = {};
  for (const name of names) {
    if (out[name] !== undefined) continue;
    switch (name) {
      case 'naswot':
        out.naswot = naswotScore(net, input(name).x);
        break;
      case 'synflow':
        out.synflow = synflowScore(net);
        break;
      case 'jacob_cov':
        out.jacob_cov = jacobCovScore(net, input(name).x);
        break;
      case 'snip':
      case 'grad_norm':
      case 'fisher': {
        const { x, labels } = input(name);
        const s = lossGradientScores(net, x, labels);
        // The pass gives all three; keep those asked for that read the same batch.
        for (const k of ['snip', 'grad_norm', 'fisher'] as const) if (names.includes(k) && input(k).x === x) out[k] = s[k];
        out[name] = s[name];
        break;
      }
    }
  }
  return out;
}
