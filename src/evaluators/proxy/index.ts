/**
 * `proxy` evaluator: a zero-cost proxy of the untrained network, computed with tfjs: naswot (default),
 * synflow, jacob_cov, snip, grad_norm, fisher, or the vote of synflow, jacob_cov and snip
 * (`--proxy NAME`). It returns a score, not a percentage: larger is better, which is all Pareto ranking
 * needs, but values are only comparable within one space and one set of proxy options.
 *
 * Data-driven proxies read one seeded minibatch, the same for every architecture: real training images
 * where there are some (default `auto`: Fashion-MNIST when installed, else noise), or as chosen with
 * --proxy-data normal | fashion-mnist | cifar10; provenance.data says which and provenance.input
 * describes it, once the first architecture has been scored.
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
import { Rng } from '../../core/rng.js';
import type { SearchSpace } from '../../core/space.js';
import type { AccuracyEvaluator } from '../../search/types.js';
import { withAliasingCopies } from './alias-kernels.js';
import { PROXY_DATA, proxyBatch, resolveProxyData, type ProxyData } from './input.js';
import { BASE_PROXY_NAMES, PROXIES, scoreProxies, type BaseProxyName, type ProxyInputTensors } from './scores.js';
import { PROXY_INITS, tfProxyNetwork, type ProxyInit } from './tf-net.js';
import { VOTE_MEMBERS, voteScore } from './vote.js';

export const PROXY_BACKENDS = ['wasm', 'cpu'] as const;
export type ProxyBackend = (typeof PROXY_BACKENDS)[number];
export const PROXY_NAMES = [...BASE_PROXY_NAMES, 'vote'] as const;
export type ProxyName = BaseProxyName | 'vote';

export interface ProxyEvaluatorOptions {
  /** Which proxy: naswot (default), synflow, jacob_cov, snip, grad_norm, fisher, vote. */
  proxy?: string;
  /** Minibatch size; default the proxy's own (naswot 16, the gradient proxies 64; synflow always 1). */
  batch?: number;
  /** Input side length for the proxy; default the architecture's own, capped at 16 (a ranking signal: on NB201 NASWOT's rank correlation with accuracy is the same as at 32, 3× faster). */
  resolution?: number;
  seed?: number;
  backend?: ProxyBackend;
  /** The minibatch: auto (default: Fashion-MNIST when installed or in dataDir, else noise), normal (noise), or real training images. */
  data?: ProxyData | 'auto';
  /** Folder of the data set files (--data). */
  dataDir?: string;
  /** vote: the space its reference nets come from. */
  space?: SearchSpace;
  /** vote: how many reference nets each candidate is voted against (default 50). */
  voteReference?: number;
  /** Weight init of the scored nets: kaiming-normal (default) or torch-default (PyTorch's, as the zero-cost proxies' reference code). */
  init?: ProxyInit;
}

const DEFAULTS = { maxResolution: 16, seed: 0, backend: 'wasm' as ProxyBackend, data: 'auto' as ProxyData | 'auto', voteReference: 50 };

let loaded: { tf: typeof TF; backend: ProxyBackend } | undefined;

export async function loadTf(backend: ProxyBackend): Promise<typeof TF> {
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
  // The gradient proxies need the conv gradients wasm lacks (the training engine's kernels; inference is untouched).
  const { registerTrainingKernels } = await import('../../train/kernels/register.js');
  registerTrainingKernels(backend);
  loaded = { tf, backend };
  return tf;
}

/** Output classes of an architecture: its last dense layer's width (10 when it has none). */
function classesOf(arch: Architecture): number {
  for (let i = arch.layers.length - 1; i >= 0; i--) {
    const spec = arch.layers[i].spec;
    if (spec.kind === 'linear') return spec.cout;
  }
  return 10;
}

/**
 * Scores architectures with several proxies at once, each proxy on its own minibatch (cached by
 * resolution and channels) and all on one net per architecture: the engine behind the evaluator and
 * bench/proxies-nb201.ts.
 */
export class ProxyScorer {
  /** Input description per proxy, known once it has scored an architecture. */
  readonly inputs: Partial<Record<BaseProxyName, string>> = {};
  private readonly batches = new Map<string, ProxyInputTensors & { description: string }>();

  constructor(
    readonly tf: typeof TF,
    readonly opts: { batch?: number; resolution?: number; seed: number; data: ProxyData; dataDir?: string; init?: ProxyInit },
  ) {}

  batchSize(name: BaseProxyName): number {
    return PROXIES[name].data ? (this.opts.batch ?? PROXIES[name].batch) : 1;
  }

  resolutionFor(arch: Architecture): number {
    return this.opts.resolution ?? Math.min(arch.input[2], DEFAULTS.maxResolution);
  }

  score(arch: Architecture, names: readonly BaseProxyName[]): Partial<Record<BaseProxyName, number>> {
    const resolution = this.resolutionFor(arch);
    const classes = classesOf(arch);
    return withAliasingCopies(this.tf, () => {
      const net = tfProxyNetwork(this.tf, arch, { weightSeed: this.opts.seed + 1, resolution, init: this.opts.init });
      try {
        const input = (name: BaseProxyName) => this.input(name, resolution, arch.input[1], classes);
        const out = scoreProxies(net, names, input);
        for (const n of names) if (!PROXIES[n].data) this.inputs[n] = `none: one all-ones ${resolution}×${resolution}×${arch.input[1]} image (synflow reads no data)`;
        return out;
      } finally {
        net.dispose();
      }
    });
  }

  private input(name: BaseProxyName, resolution: number, channels: number, classes: number): ProxyInputTensors {
    const batch = this.batchSize(name);
    const key = `${batch}/${resolution}/${channels}/${classes}`;
    let hit = this.batches.get(key);
    if (!hit) {
      const b = proxyBatch({ data: this.opts.data, dir: this.opts.dataDir, batch, resolution, channels, classes, seed: this.opts.seed });
      hit = { x: this.tf.tensor4d(b.x, b.shape), labels: this.tf.tensor1d(b.labels, 'int32'), description: b.description };
      this.batches.set(key, hit);
    }
    this.inputs[name] = hit.description;
    return hit;
  }

  dispose(): void {
    for (const b of this.batches.values()) {
      b.x.dispose();
      b.labels.dispose();
    }
    this.batches.clear();
  }
}

export function proxyEvaluator(opts: ProxyEvaluatorOptions = {}): AccuracyEvaluator {
  const proxy = (opts.proxy ?? 'naswot') as ProxyName;
  const seed = opts.seed ?? DEFAULTS.seed;
  const backend = opts.backend ?? DEFAULTS.backend;
  const requested = opts.data ?? DEFAULTS.data;
  if (!(PROXY_NAMES as readonly string[]).includes(proxy)) throw new UserError(`unknown proxy '${opts.proxy}'`, { hint: `known proxies: ${PROXY_NAMES.join(', ')}` });
  if (opts.batch !== undefined && (!Number.isInteger(opts.batch) || opts.batch < 2)) throw new UserError(`proxy evaluator: batch must be an integer ≥ 2, got ${opts.batch}`);
  if (opts.resolution !== undefined && (!Number.isInteger(opts.resolution) || opts.resolution < 8))
    throw new UserError(`proxy evaluator: resolution must be an integer ≥ 8, got ${opts.resolution}`);
  if (opts.init !== undefined && !(PROXY_INITS as readonly string[]).includes(opts.init))
    throw new UserError(`unknown proxy init '${opts.init}'`, { hint: `choose one of: ${PROXY_INITS.join(', ')}` });
  if (!PROXY_BACKENDS.includes(backend)) throw new UserError(`unknown backend '${backend}'`, { hint: `known: ${PROXY_BACKENDS.join(', ')}` });
  if (requested !== 'auto' && !(PROXY_DATA as readonly string[]).includes(requested))
    throw new UserError(`unknown proxy data '${requested}'`, { hint: `choose one of: auto, ${PROXY_DATA.join(', ')}` });
  const data = resolveProxyData(requested, opts.dataDir);
  const reference = opts.voteReference ?? DEFAULTS.voteReference;
  if (proxy === 'vote') {
    if (!opts.space) throw new UserError('the vote proxy needs the search space its reference nets come from');
    if (!Number.isInteger(reference) || reference < 1) throw new UserError(`--proxy-vote-reference must be a positive integer, got ${opts.voteReference}`);
  }
  const members: readonly BaseProxyName[] = proxy === 'vote' ? VOTE_MEMBERS : [proxy];
  const batchOf = (m: BaseProxyName) => (PROXIES[m].data ? (opts.batch ?? PROXIES[m].batch) : 1);
  const provenance: Record<string, unknown> = {
    kind: 'proxy',
    metric: proxy,
    unit: `score (${proxy === 'vote' ? `share of ${reference} reference nets beaten by a majority of ${VOTE_MEMBERS.join(', ')}` : PROXIES[proxy as BaseProxyName].unit}; not a percentage)`,
    batch: proxy === 'vote' ? Object.fromEntries(members.map((m) => [m, batchOf(m)])) : batchOf(proxy as BaseProxyName),
    resolution: opts.resolution ?? `min(input, ${DEFAULTS.maxResolution})`,
    seed,
    data: members.some((m) => PROXIES[m].data) ? data : 'none',
    backend: `tfjs-${backend}`,
    // Gradient-based scores changed when the same-size avg pool's gradient was corrected (tf-layers.ts):
    // this marks them, so a score file written before is not resumed with them.
    ...(members.some((m) => m !== 'naswot') ? { avgPoolGradient: 'exact' } : {}),
    // fisher's channels are weighted by their fan-in since it was checked against its reference code (gradient.ts).
    ...(members.includes('fisher') ? { fisher: 'channel × fan-in' } : {}),
    ...(opts.init && opts.init !== 'kaiming-normal' ? { init: opts.init } : {}),
    ...(proxy === 'vote' ? { reference: { space: opts.space!.id, nets: reference, seed } } : {}),
  };
  let scorer: ProxyScorer | undefined;
  let referenceScores: number[][] | undefined;
  const memberScores = (s: ProxyScorer, arch: Architecture) => {
    const r = s.score(arch, members);
    return members.map((m) => r[m]!);
  };
  return {
    id: `proxy:${proxy}`,
    provenance,
    async evaluate(arch: Architecture) {
      scorer ??= new ProxyScorer(await loadTf(backend), { batch: opts.batch, resolution: opts.resolution, seed, data, dataDir: opts.dataDir, init: opts.init });
      const scores = memberScores(scorer, arch);
      provenance.input = proxy === 'vote' ? { ...scorer.inputs } : scorer.inputs[proxy as BaseProxyName];
      if (proxy !== 'vote') return scores[0];
      if (!referenceScores) {
        const space = opts.space!;
        const rng = new Rng(seed);
        referenceScores = Array.from({ length: reference }, () => memberScores(scorer!, space.build(space.sample(rng))));
      }
      return voteScore(scores, referenceScores);
    },
    async dispose() {
      scorer?.dispose();
      scorer = undefined;
    },
  };
}

