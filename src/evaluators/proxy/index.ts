/**
 * `proxy` evaluator: a zero-cost proxy (NASWOT) computed with tfjs on a seeded minibatch of random
 * data. It returns a score, not a percentage: larger is better, which is all Pareto ranking needs, but
 * values are only comparable within one space and one set of proxy options.
 *
 * tfjs loads lazily on first use. The WASM backend (XNNPACK, SIMD) is ~20× faster than the pure-JS
 * CPU backend; both are deterministic, but their rounding differs, so the backend is part of the
 * provenance. tfjs keeps one global backend per process: this evaluator selects it.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import type { Architecture } from '../../core/arch.js';
import { UserError } from '../../core/errors.js';
import type { AccuracyEvaluator } from '../../search/types.js';
import { naswotScore } from './naswot.js';

export const PROXY_BACKENDS = ['wasm', 'cpu'] as const;
export type ProxyBackend = (typeof PROXY_BACKENDS)[number];

export interface ProxyEvaluatorOptions {
  /** Minibatch size: K is batch × batch. Default 16. */
  batch?: number;
  /** Input side length for the proxy; default the architecture's own, capped at 16 (a ranking signal: on NB201 the rank correlation with accuracy is the same as at 32, 3× faster). */
  resolution?: number;
  seed?: number;
  backend?: ProxyBackend;
}

const DEFAULTS = { batch: 16, maxResolution: 16, seed: 0, backend: 'wasm' as ProxyBackend };

let loaded: { tf: typeof TF; backend: ProxyBackend } | undefined;

async function loadTf(backend: ProxyBackend): Promise<typeof TF> {
  if (loaded?.backend === backend) return loaded.tf;
  const tf = await import('@tensorflow/tfjs');
  // Silences tfjs's "install tfjs-node" banner and debug checks; results are unaffected.
  tf.env().set('PROD', true);
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dist = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(dist + path.sep);
  }
  if (!(await tf.setBackend(backend)))
    throw new UserError(`proxy evaluator: the tfjs '${backend}' backend failed to start`, { hint: `try --proxy-backend ${backend === 'wasm' ? 'cpu' : 'wasm'}` });
  await tf.ready();
  loaded = { tf, backend };
  return tf;
}

export function proxyEvaluator(opts: ProxyEvaluatorOptions = {}): AccuracyEvaluator {
  const batch = opts.batch ?? DEFAULTS.batch;
  const seed = opts.seed ?? DEFAULTS.seed;
  const backend = opts.backend ?? DEFAULTS.backend;
  if (!Number.isInteger(batch) || batch < 2) throw new UserError(`proxy evaluator: batch must be an integer ≥ 2, got ${opts.batch}`);
  if (opts.resolution !== undefined && (!Number.isInteger(opts.resolution) || opts.resolution < 8))
    throw new UserError(`proxy evaluator: resolution must be an integer ≥ 8, got ${opts.resolution}`);
  if (!PROXY_BACKENDS.includes(backend)) throw new UserError(`proxy evaluator: unknown backend '${backend}'`, { hint: `known: ${PROXY_BACKENDS.join(', ')}` });
  return {
    id: 'proxy:naswot',
    provenance: {
      kind: 'proxy',
      metric: 'naswot',
      unit: 'score (log-determinant, larger is better; not a percentage)',
      batch,
      resolution: opts.resolution ?? `min(input, ${DEFAULTS.maxResolution})`,
      seed,
      data: 'standard normal',
      backend: `tfjs-${backend}`,
    },
    async evaluate(arch: Architecture) {
      const tf = await loadTf(backend);
      const resolution = opts.resolution ?? Math.min(arch.input[2], DEFAULTS.maxResolution);
      return naswotScore(tf, arch, { batch, resolution, seed });
    },
  };
}
