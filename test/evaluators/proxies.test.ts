import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { proxyBatch } from '../../src/evaluators/proxy/input.js';
import type { Architecture } from '../../src/core/arch.js';
import { loadTf, proxyEvaluator, ProxyScorer } from '../../src/evaluators/proxy/index.js';
import { jacobCovFromJacobian } from '../../src/evaluators/proxy/jacob-cov.js';
import { symmetricEigenvalues } from '../../src/evaluators/proxy/linalg.js';
import { synflowScore } from '../../src/evaluators/proxy/synflow.js';
import { tfProxyNetwork } from '../../src/evaluators/proxy/tf-net.js';
import { voteScore } from '../../src/evaluators/proxy/vote.js';
import { createNb201Space } from '../../src/spaces/nb201.js';
import { CATALOG } from '../fixtures/catalog.js';

describe('linear algebra and scores', () => {
  it('finds the eigenvalues of a symmetric matrix', () => {
    expect(symmetricEigenvalues([2, 1, 1, 2], 2).sort()).toEqual([expect.closeTo(1, 12), expect.closeTo(3, 12)]);
    const ev = symmetricEigenvalues([4, 1, 0, 1, 3, 1, 0, 1, 2], 3);
    expect(ev.reduce((a, b) => a + b, 0)).toBeCloseTo(9, 10); // trace
    expect(ev.reduce((a, b) => a * b, 1)).toBeCloseTo(18, 9); // det = 4(6-1) - 1(2) = 18
  });

  it('jacob_cov: uncorrelated Jacobians score highest, identical ones lowest', () => {
    const k = 1e-5;
    // Three orthogonal zero-mean rows: correlation I, eigenvalues 1.
    const orthogonal = [1, -1, 0, 0, 0, 0, 1, -1, 1, 1, -1, -1];
    expect(jacobCovFromJacobian(orthogonal, 3)).toBeCloseTo(-3 * (Math.log(1 + k) + 1 / (1 + k)), 9);
    const same = [1, -1, 0, 0, 1, -1, 0, 0, 1, -1, 0, 0];
    expect(jacobCovFromJacobian(same, 3)).toBeLessThan(jacobCovFromJacobian(orthogonal, 3) - 1000);
  });

  it('vote: the share of reference nets a majority of members rank lower', () => {
    const ref = [
      [1, 1, 1],
      [3, 3, 3],
      [1, 3, 2],
    ];
    expect(voteScore([2, 2, 2], ref)).toBeCloseTo(1 / 3 + 0 + 0.5 / 3, 12); // beats ref 0; loses to 1; ties... 2 vs [1,3,2]: +1 −1 0 → tie
    expect(voteScore([2, 2, 2], ref, 0)).toBeCloseTo(0.25, 12);
  });
});

/** conv1×1 (64 ch, ReLU) × depth → global pool → dense: a chain, so synflow = (layers with weights) × R. */
function chain(depth: number): Architecture {
  return {
    name: `chain${depth}`,
    input: [1, 3, 8, 8],
    dtype: 'f32',
    layers: [
      ...Array.from({ length: depth }, () => ({ role: 'block' as const, spec: { kind: 'conv' as const, cout: 64, k: 1, stride: 1, groups: 1, dilation: 1, act: 'relu' as const } })),
      { role: 'head', spec: { kind: 'gpool', mode: 'avg' } },
      { role: 'head', spec: { kind: 'linear', cout: 10, act: 'none' } },
    ],
  };
}

describe('synflow', () => {
  it('equals the float64 synaptic flow on a chain whose output overflows float32 (R ≈ 1e50)', async () => {
    const tf = await loadTf('wasm');
    const depth = 50;
    const net = tfProxyNetwork(tf, chain(depth), { weightSeed: 3 });
    try {
      // R = 1ᵀ|V|ᵀ|W_L|…|W_1|1 in float64 from the weights themselves (1×1 convs on an all-ones image).
      let v = Float64Array.from([1, 1, 1]);
      for (const p of net.params) {
        const [cin, cout] = (p.shape.length === 4 ? [p.shape[2], p.shape[3]] : [p.shape[0], p.shape[1]]) as [number, number];
        const w = p.dataSync();
        const next = new Float64Array(cout);
        for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) next[o] += v[i] * Math.abs(w[i * cout + o]);
        v = next;
      }
      const r = v.reduce((a, b) => a + b, 0);
      expect(r).toBeGreaterThan(1e40); // far beyond float32
      const score = synflowScore(net);
      expect(Math.abs(score / ((depth + 1) * r) - 1)).toBeLessThan(1e-3);
    } finally {
      net.dispose();
    }
  });

  it('is finite on the deepest NB201 cells (all 3×3 convs) and zero-free on pooling-only ones', async () => {
    const ev = proxyEvaluator({ proxy: 'synflow', resolution: 8 });
    const nb201 = createNb201Space();
    const convs = await ev.evaluate(nb201.build([3, 3, 3, 3, 3, 3]));
    const pools = await ev.evaluate(nb201.build([4, 4, 4, 4, 4, 4]));
    expect(Number.isFinite(convs) && convs > 1e40).toBe(true);
    expect(pools).toBeGreaterThan(0);
    expect(convs).toBeGreaterThan(pools);
    expect(ev.provenance).toMatchObject({ metric: 'synflow', batch: 1, data: 'none', input: expect.stringMatching(/all-ones 8×8×3 image/) });
  });
});

describe('data-driven proxies on NB201 (8 px, batch 4)', () => {
  const nb201 = createNb201Space();
  const convs = nb201.build([3, 3, 3, 3, 3, 3]);
  const skips = nb201.build([1, 1, 1, 1, 1, 1]);

  it('jacob_cov, snip, grad_norm and fisher are finite, deterministic and tell two cells apart', async () => {
    const scorer = new ProxyScorer(await loadTf('wasm'), { batch: 4, resolution: 8, seed: 0, data: 'normal' });
    const names = ['jacob_cov', 'snip', 'grad_norm', 'fisher'] as const;
    const a = scorer.score(convs, names);
    expect(scorer.score(convs, names)).toEqual(a);
    const b = scorer.score(skips, names);
    for (const n of names) {
      expect(Number.isFinite(a[n])).toBe(true);
      expect(b[n]).not.toBe(a[n]);
      if (n !== 'jacob_cov') expect(a[n]).toBeGreaterThan(0);
      expect(scorer.inputs[n]).toMatch(/standard normal noise, 4 × 8×8×3/);
    }
    scorer.dispose();
  });

  it('as an evaluator, says what it read', async () => {
    const ev = proxyEvaluator({ proxy: 'snip', batch: 4, resolution: 8, data: 'normal' });
    expect(await ev.evaluate(convs)).toBeGreaterThan(0);
    expect(ev.provenance).toMatchObject({ metric: 'snip', batch: 4, data: 'normal', input: expect.stringMatching(/standard normal noise, 4 × 8×8×3/) });
    await ev.dispose?.();
  });

  it('vote scores against reference nets of the space', async () => {
    const ev = proxyEvaluator({ proxy: 'vote', batch: 4, resolution: 8, space: nb201, voteReference: 3, data: 'normal' });
    const s = await ev.evaluate(convs);
    expect([0, 1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6, 1].some((v) => Math.abs(v - s) < 1e-12)).toBe(true);
    expect(ev.provenance).toMatchObject({ metric: 'vote', batch: { synflow: 1, jacob_cov: 4, snip: 4 }, reference: { space: 'nb201', nets: 3 } });
    expect(() => proxyEvaluator({ proxy: 'vote' })).toThrow(/needs the search space/);
    expect(() => proxyEvaluator({ proxy: 'zen' })).toThrow(/unknown proxy 'zen'[\s\S]*/);
  });
});

describe('proxy minibatches', () => {
  const haveFashion = existsSync(FASHION_MNIST_DIR);

  it('defaults to real images where they are installed, noise otherwise, and says so', () => {
    expect(proxyEvaluator({ proxy: 'naswot' }).provenance.data).toBe(haveFashion ? 'fashion-mnist' : 'normal');
    expect(proxyEvaluator({ proxy: 'naswot', data: 'auto', dataDir: '/no/such/dir' }).provenance.data).toBe('normal');
    expect(() => proxyEvaluator({ data: 'imagenet' as never })).toThrow(/unknown proxy data 'imagenet'/);
  });

  it.skipIf(!haveFashion)('resizes Fashion-MNIST to the proxy input, grey copied to every channel, normalised', () => {
    if (!haveFashion) console.warn(`skipped: Fashion-MNIST is not installed in ${FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist)`);
    const b = proxyBatch({ data: 'fashion-mnist', batch: 8, resolution: 12, channels: 3, classes: 10, seed: 1 });
    expect(b.shape).toEqual([8, 12, 12, 3]);
    expect(b.x).toHaveLength(8 * 12 * 12 * 3);
    for (let i = 0; i < b.x.length; i += 3) expect(b.x[i + 1]).toBe(b.x[i]);
    const mean = b.x.reduce((s, v) => s + v, 0) / b.x.length;
    expect(Math.abs(mean)).toBeLessThan(1e-4);
    expect([...b.labels].every((l) => l >= 0 && l < 10)).toBe(true);
    expect(b.description).toMatch(/fashion-mnist training images .*28×28 → 12×12 bilinear, grey copied to 3 channels/);
    // The same seed gives the same batch.
    expect(proxyBatch({ data: 'fashion-mnist', batch: 8, resolution: 12, channels: 3, classes: 10, seed: 1 }).x).toEqual(b.x);
  });
});

describe('the proxy network runs the primitive graph', () => {
  const conv = (cout: number, act: 'relu' | 'none') => ({ kind: 'conv' as const, cout, k: 3, stride: 1, groups: 1, dilation: 1, act });
  /** A DAG with seed blocks (fire, ShuffleNetV2) and a two-input sum. */
  const dag: Architecture = {
    name: 'proxy-dag',
    input: [1, 3, 8, 8],
    dtype: 'f32',
    layers: [
      { role: 'stem', spec: conv(16, 'relu') },
      { role: 'block', id: 'fire', inputs: ['layer0'], spec: { kind: 'fire', squeeze: 4, e1: 8, e3: 8 } },
      { role: 'block', id: 'shuffle', spec: { kind: 'shufflev2', cout: 16, k: 3, stride: 1, mid: 8, side: 8, xception: false } },
      { role: 'block', id: 'join', inputs: ['shuffle', 'layer0'], spec: { kind: 'sum', arity: 2 } },
      { role: 'head', spec: { kind: 'gpool', mode: 'avg' } },
      { role: 'head', spec: { kind: 'linear', cout: 10, act: 'none' } },
    ],
  };

  it('scores a DAG with fire and shufflev2 blocks: finite NASWOT, synflow and snip, deterministic', async () => {
    const tf = await loadTf('wasm');
    const net = tfProxyNetwork(tf, dag, { weightSeed: 1 });
    // stem, fire (squeeze, e1, e3), shufflev2 (three convs of the branch), linear.
    expect(net.params.length).toBe(8);
    expect(net.positivelyHomogeneous).toBe(true);
    net.dispose();
    const scorer = new ProxyScorer(tf, { batch: 4, resolution: 8, seed: 0, data: 'normal' });
    const names = ['naswot', 'synflow', 'snip'] as const;
    const a = scorer.score(dag, names);
    for (const n of names) expect(Number.isFinite(a[n]) && a[n] !== 0).toBe(true);
    expect(scorer.score(dag, names)).toEqual(a);
    scorer.dispose();
  });

  it('gives zero gradients, not an error, to NB201 edges whose node never reaches the output', async () => {
    // Nodes 1 and 2 hold convs, but node 3 reads only node 0 (edges 1→3 and 2→3 are none).
    const cell = createNb201Space().build([3, 3, 3, 3, 0, 0]);
    const scorer = new ProxyScorer(await loadTf('wasm'), { batch: 4, resolution: 8, seed: 0, data: 'normal' });
    const s = scorer.score(cell, ['snip', 'grad_norm', 'synflow']);
    for (const v of Object.values(s)) expect(Number.isFinite(v) && v > 0).toBe(true);
    scorer.dispose();
  });

  it('runs one instance of every block kind (dilated and grouped convs, seed blocks) to finite NASWOT and synflow', async () => {
    const tf = await loadTf('wasm');
    const heads = new Set(['gpool', 'linear', 'sum', 'concat', 'zero']);
    for (const [kind, inst] of Object.entries(CATALOG)) {
      if (heads.has(kind)) continue;
      const arch: Architecture = {
        name: kind,
        input: inst.input,
        dtype: 'f32',
        // A two-input block (a DARTS cell) reads the input twice.
        layers: [
          { role: 'block', spec: inst.spec, ...(kind === 'dartscell' || kind === 'nasnetcell' ? { inputs: ['input', 'input'] } : {}) },
          { role: 'head', spec: { kind: 'gpool', mode: 'avg' } },
          { role: 'head', spec: { kind: 'linear', cout: 4, act: 'none' } },
        ],
      };
      const scorer = new ProxyScorer(tf, { batch: 4, resolution: inst.input[2], seed: 0, data: 'normal' });
      const s = scorer.score(arch, ['naswot', 'synflow']);
      scorer.dispose();
      expect([kind, Number.isFinite(s.naswot), Number.isFinite(s.synflow)]).toEqual([kind, true, true]);
    }
  }, 120_000);
});
