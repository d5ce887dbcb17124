import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OpSpec, Shape } from '../../src/core/ops.js';
import { Rng } from '../../src/core/rng.js';
import { ArchParams, gumbelAlphaGrad, rescaleTwoPaths, sampleTwoPaths, softmax, twoPathAlphaGrad } from '../../src/search/differentiable/alpha.js';
import { latencyLossGrads } from '../../src/search/differentiable/latency-term.js';
import { MixedOp } from '../../src/search/differentiable/mixed-op.js';
import { resolveSettings } from '../../src/search/differentiable/settings.js';
import { expectedLatency, LayerLatencyTable, sampledLatency } from '../../src/search/loss/index.js';
import { useTrainingBackend } from '../../src/train/backend.js';
import { softmaxCrossEntropy } from '../../src/train/loss.js';
import { buildLayer } from '../../src/train/nn/graph-module.js';
import { SavedTensors, Sequence, type Module, type Param, type TrainContext } from '../../src/train/nn/module.js';

/** A mixed op over three candidates of a 4-channel 6x6 layer, then global pool and a 3-class linear layer. */
const N = 5;
const INPUT: Shape = [1, 4, 6, 6];
const CANDIDATES: OpSpec[] = [
  { kind: 'mbconv', cout: 4, k: 3, stride: 1, expand: 2, se: 0, act: 'relu6', skip: true },
  { kind: 'mbconv', cout: 4, k: 5, stride: 1, expand: 3, se: 0, act: 'relu6', skip: false },
  { kind: 'identity' },
];
const LABELS = [0, 1, 2, 1, 0];

function composition() {
  const ops = CANDIDATES.map((spec, i) => buildLayer(spec, INPUT, `layer1.op${i}`, 11));
  const pool = buildLayer({ kind: 'gpool', mode: 'avg' }, [1, 4, 6, 6], 'head0', 11);
  const fc = buildLayer({ kind: 'linear', cout: 3, act: 'none' }, [1, 4, 1, 1], 'head1', 11);
  return { ops, mixed: new MixedOp(ops), head: [pool, fc] as Module[] };
}

const x = tf.tidy(() => tf.keep(tf.tensor4d(new Rng(4).fill(N * 6 * 6 * 4, 1.5), [N, 6, 6, 4])));

/** CE of the composition computed by tfjs autodiff (training-mode BatchNorm), y = Σ g_i f_i(x). */
function referenceLoss(ops: Module[], head: Module[], gates: tf.Tensor1D, input: tf.Tensor4D): tf.Scalar {
  // Keeps nothing: the tape holds what autodiff needs, and releasing would free the input itself.
  const ctx: TrainContext = { save: (t) => t };
  const ys = ops.map((op, i) => tf.mul(op.forward(input, ctx), tf.slice(gates, [i], [1])));
  const h = head.reduce((t, m) => m.forward(t, ctx), tf.addN(ys) as tf.Tensor4D);
  return tf.losses.softmaxCrossEntropy(tf.oneHot(LABELS, 3), tf.reshape(h, [N, 3])) as tf.Scalar;
}

/** Engine forward/backward; returns dL/dx (gate gradients stay in the mixed op, parameter gradients in Param.grad). */
function engineStep(mixed: MixedOp, head: Module[]): Float32Array {
  const ctx = new SavedTensors();
  const logits = tf.tidy(() => head.reduce((t, m) => m.forward(t, ctx), mixed.forward(x, ctx)).dataSync() as Float32Array);
  const { grad } = softmaxCrossEntropy(logits, LABELS, 3);
  const dx = tf.tidy(() => {
    let g = tf.tensor4d(grad, [N, 1, 1, 3]);
    for (let i = head.length - 1; i >= 0; i--) g = head[i].backward(g, true)!;
    return mixed.backward(g, true)!.dataSync() as Float32Array;
  });
  ctx.release();
  return dx;
}

/** Largest error relative to each value, with a floor of 1e-3 × `scale` (default: the largest value) for values near 0. */
function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>, scale = Math.max(1e-6, ...Array.from(want, Math.abs))): number {
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]) / (Math.abs(want[i]) + 1e-3 * scale));
  return err;
}

function trainable(ops: Module[], head: Module[]): Param[] {
  return [...ops, ...head].flatMap((m) => m.params()).filter((p) => p.trainable);
}

beforeAll(async () => {
  // The cpu backend runs both tfjs autodiff and the engine (with its gradient kernels).
  await useTrainingBackend('cpu');
});

describe('FBNet mixed op', () => {
  it('dL/dm, dL/dx and every parameter gradient equal tfjs autodiff; dL/dα through the Gumbel-softmax Jacobian too', () => {
    const { ops, mixed, head } = composition();
    const tau = 1.7;
    const alpha = [0.3, -0.4, 0.9];
    const noise = [0.5, 1.2, -0.3];
    const m = softmax(alpha.map((a, i) => (a + noise[i]) / tau));

    const params = trainable(ops, head);
    const mVar = tf.variable(tf.tensor1d(m));
    const xVar = tf.variable(x);
    const ref = tf.variableGrads(() => referenceLoss(ops, head, mVar, xVar), [...params.map((p) => p.variable), mVar, xVar]);
    const aVar = tf.variable(tf.tensor1d(alpha));
    const refAlpha = tf.variableGrads(() => referenceLoss(ops, head, tf.softmax(tf.div(tf.add(aVar, tf.tensor1d(noise)), tau)) as tf.Tensor1D, x), [aVar]);

    mixed.configure(m, { gateGrads: true });
    const dx = engineStep(mixed, head);
    const gates = mixed.takeGateGrads();
    const dm = [0, 1, 2].map((i) => gates.get(i)!);

    expect(maxRelErr(dm, ref.grads[mVar.name].dataSync())).toBeLessThan(2e-3);
    expect(maxRelErr(dx, ref.grads[xVar.name].dataSync())).toBeLessThan(2e-3);
    const scale = Math.max(...params.map((p) => Math.max(...Array.from(ref.grads[p.variable.name].dataSync(), Math.abs))));
    for (const p of params) expect(maxRelErr(p.grad!.dataSync(), ref.grads[p.variable.name].dataSync(), scale), p.name).toBeLessThan(2e-3);
    expect(maxRelErr(gumbelAlphaGrad(m, dm, tau), refAlpha.grads[aVar.name].dataSync())).toBeLessThan(2e-3);
    // A mixed op with soft gates back-propagates into every candidate.
    expect(ops.every((op) => op.params().every((p) => !p.trainable || p.grad !== null))).toBe(true);
  });
});

describe('FBNet mixed head (a head decision: each option a whole head)', () => {
  it('gates over two heads of different widths: dL/dm, dL/dx and every parameter gradient equal tfjs autodiff', () => {
    const heads = [6, 9].map((width, i) => {
      const p = `layer2.op${i}`;
      return new Sequence([
        buildLayer({ kind: 'conv', cout: width, k: 1, stride: 1, groups: 1, dilation: 1, act: 'relu' }, INPUT, `${p}.head0`, 11),
        buildLayer({ kind: 'gpool', mode: 'avg' }, [1, width, 6, 6], `${p}.head1`, 11),
        buildLayer({ kind: 'linear', cout: 3, act: 'none' }, [1, width, 1, 1], `${p}.head2`, 11),
      ]);
    });
    const mixed = new MixedOp(heads);
    const m = [0.35, 0.65];
    const params = trainable(heads, []);
    const mVar = tf.variable(tf.tensor1d(m));
    const xVar = tf.variable(x);
    const ref = tf.variableGrads(() => referenceLoss(heads, [], mVar, xVar), [...params.map((p) => p.variable), mVar, xVar]);
    mixed.configure(m, { gateGrads: true });
    const dx = engineStep(mixed, []);
    const gates = mixed.takeGateGrads();
    expect(maxRelErr([gates.get(0)!, gates.get(1)!], ref.grads[mVar.name].dataSync())).toBeLessThan(2e-3);
    expect(maxRelErr(dx, ref.grads[xVar.name].dataSync())).toBeLessThan(2e-3);
    const scale = Math.max(...params.map((p) => Math.max(...Array.from(ref.grads[p.variable.name].dataSync(), Math.abs))));
    for (const p of params) expect(maxRelErr(p.grad!.dataSync(), ref.grads[p.variable.name].dataSync(), scale), p.name).toBeLessThan(2e-3);
  });
});

describe('ProxylessNAS binary gates', () => {
  it('runs the active path only, and the probed second path gives dL/dg equal to autodiff', () => {
    const { ops, mixed, head } = composition();
    const active = 1;
    const probe = 0;
    const gVar = tf.variable(tf.tensor1d([0, 1, 0]));
    const xVar = tf.variable(x);
    const params = trainable(ops, head);
    const ref = tf.variableGrads(() => referenceLoss(ops, head, gVar, xVar), [...params.map((p) => p.variable), gVar, xVar]);

    mixed.configure([0, 1, 0], { probes: [probe], gateGrads: true });
    const dx = engineStep(mixed, head);
    const gates = mixed.takeGateGrads();
    expect([...gates.keys()].sort()).toEqual([0, 1]);
    const want = ref.grads[gVar.name].dataSync();
    expect(maxRelErr([gates.get(0)!, gates.get(1)!], [want[0], want[1]])).toBeLessThan(2e-3);
    expect(maxRelErr(dx, ref.grads[xVar.name].dataSync())).toBeLessThan(2e-3);
    // Only the active path's weights get gradients (and so only they are updated).
    const scale = Math.max(...params.map((p) => Math.max(...Array.from(ref.grads[p.variable.name].dataSync(), Math.abs))));
    for (const p of ops[active].params().filter((q) => q.trainable)) expect(maxRelErr(p.grad!.dataSync(), ref.grads[p.variable.name].dataSync(), scale), p.name).toBeLessThan(2e-3);
    expect(ops[probe].params().every((p) => p.grad === null)).toBe(true);
  });

  it('two-path α gradient is Σ_j dL/dg_j p_j (δ_ij − p_i) over the two paths, i.e. the gradient of Σ_j G_j p_j(α)', () => {
    const alpha = [0.2, -1.0, 0.7, 0.1];
    const paths = { active: 2, inactive: 0, p: softmax([0.7, 0.2]) as [number, number] };
    const [ga, gi] = [0.8, -0.3];
    const got = twoPathAlphaGrad(4, paths, ga, gi);
    const [pa, pi] = paths.p;
    // By hand: i = active: ga·pa(1 − pa) + gi·pi(0 − pa); i = inactive: ga·pa(0 − pi) + gi·pi(1 − pi); others 0.
    expect(got[2]).toBeCloseTo(ga * pa * (1 - pa) - gi * pi * pa, 12);
    expect(got[0]).toBeCloseTo(-ga * pa * pi + gi * pi * (1 - pi), 12);
    expect(got[1]).toBe(0);
    expect(got[3]).toBe(0);
    const auto = tf.grad((a: tf.Tensor) => {
      const p = tf.softmax(tf.stack([tf.slice(a, [2], [1]), tf.slice(a, [0], [1])]).reshape([2]));
      return tf.sum(tf.mul(p, tf.tensor1d([ga, gi])));
    })(tf.tensor1d(alpha));
    expect(maxRelErr(got, auto.dataSync())).toBeLessThan(1e-5);
  });

  it('draws two distinct paths with the active one from their renormalised probabilities; the rescale keeps the others’ probabilities', () => {
    const alpha = [1.5, 0, -0.5, 0.3, 0];
    const rng = new Rng(9);
    const counts = [0, 0, 0, 0, 0];
    for (let t = 0; t < 4000; t++) {
      const s = sampleTwoPaths(alpha, rng);
      expect(s.active).not.toBe(s.inactive);
      expect(s.p[0] + s.p[1]).toBeCloseTo(1, 12);
      expect(s.p[0]).toBeCloseTo(softmax([alpha[s.active], alpha[s.inactive]])[0], 12);
      counts[s.active]++;
    }
    // The most likely option is active most often.
    expect(counts.indexOf(Math.max(...counts))).toBe(0);
    const paths = { active: 0, inactive: 3, p: softmax([1.5, 0.3]) as [number, number] };
    const after = [1.9, 0, -0.5, 0.1, 0];
    const scaled = rescaleTwoPaths(alpha, after, paths);
    const before = softmax(alpha);
    const now = softmax(scaled);
    for (const i of [1, 2, 4]) expect(now[i]).toBeCloseTo(before[i], 12);
    expect(now[0] + now[3]).toBeCloseTo(before[0] + before[3], 12);
    expect(now[0] / now[3]).toBeCloseTo(Math.exp(1.9 - 0.1), 9);
  });
});

describe('latency term', () => {
  const table = LayerLatencyTable.fromMatrix(
    [
      [1.0, 2.0, 3.5],
      [0.5, 4.0],
    ],
    { overheadMs: 0.2, fixedMs: 0.3 },
  );

  it("FBNet's sampled latency uses the same Gumbel sample as the network's gates", () => {
    const a = new ArchParams([3, 2], ['layer1', 'layer2']);
    tf.tidy(() => a.params[0].variable.assign(tf.tensor1d([0.4, -0.2, 0.1])));
    const m = a.gumbelWeights(2, new Rng(21));
    const direct = table.constantMs + m.reduce((s, row, l) => s + row.reduce((t, v, i) => t + v * table.ms[l][i], 0), 0);
    expect(sampledLatency(table, a.tensors, { tau: 2, rng: new Rng(21) }).dataSync()[0]).toBeCloseTo(direct, 4);
    m.forEach((row) => expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5));
    a.dispose();
  });

  it('dL/dα of the latency term matches finite differences, and weight 0 ignores latency', () => {
    const alpha = [tf.tensor1d([0.3, -0.1, 0.2]), tf.tensor1d([0.5, -0.5])];
    const latency = (a: tf.Tensor1D[]) => expectedLatency(table, a);
    for (const kind of ['fbnet', 'proxyless-mul', 'proxyless-add'] as const) {
      const term = { kind, weight: 0.7, targetMs: 4, unitMs: 1 };
      const g = latencyLossGrads(term, 1.3, alpha, latency);
      const h = 1e-3;
      alpha.forEach((v, l) => {
        const base = Array.from(v.dataSync());
        base.forEach((_, i) => {
          const shifted = (d: number) => alpha.map((w, k) => (k === l ? tf.tensor1d(base.map((b, j) => (j === i ? b + d : b))) : w));
          const fd = (latencyLossGrads(term, 1.3, shifted(h), latency).loss - latencyLossGrads(term, 1.3, shifted(-h), latency).loss) / (2 * h);
          expect(g.dAlpha[l][i], `${kind} α[${l}][${i}]`).toBeCloseTo(fd, 3);
        });
      });
      const zero = latencyLossGrads({ ...term, weight: 0 }, 1.3, alpha, latency);
      zero.dAlpha.flat().forEach((d) => expect(Math.abs(d)).toBeLessThan(1e-7));
    }
  });
});

describe('settings', () => {
  it('take the flags over the defaults and refuse bad ones with the flag named', () => {
    expect(resolveSettings('fbnet', {})).toMatchObject({ latencyLoss: 'fbnet', latencyWeight: 0.6, tau: 5 });
    expect(resolveSettings('proxyless', {}, { latencyLoss: 'proxyless-add' })).toMatchObject({ latencyLoss: 'proxyless-add', latencyWeight: 0.1 });
    expect(resolveSettings('proxyless', { searchEpochs: 2 }, { searchEpochs: 3 }).searchEpochs).toBe(3);
    expect(() => resolveSettings('fbnet', {}, { latencyLoss: 'flops' })).toThrow(/--latency-loss must be one of fbnet, proxyless-add, proxyless-mul/);
    expect(() => resolveSettings('fbnet', {}, { latencyWeight: -1 })).toThrow(/--latency-weight must be a number ≥ 0/);
    expect(() => resolveSettings('fbnet', {}, { tau: 0 })).toThrow(/--tau must be a temperature > 0/);
    expect(() => resolveSettings('proxyless', {}, { tau: 1 })).toThrow(/--tau is the Gumbel-softmax temperature of --strategy fbnet/);
    expect(() => resolveSettings('fbnet', {}, { searchEpochs: 1.5 })).toThrow(/--search-epochs must be a whole number ≥ 1/);
    expect(() => resolveSettings('fbnet', {}, { warmupEpochs: -1 })).toThrow(/--warmup-epochs must be a whole number ≥ 0/);
  });
});

describe('derived network', () => {
  it('is the supernet path of the choices: same logits as the mixed ops with one-hot gates; its recalibration leaves the supernet as it was', async () => {
    const { createSpace } = await import('../../src/spaces/registry.js');
    const { CandidateTable } = await import('../../src/train/supernet/candidates.js');
    const { MixedSupernet } = await import('../../src/search/differentiable/supernet.js');
    const space = createSpace('mbv2', { resolution: 32 });
    const net = new MixedSupernet(CandidateTable.build(space, { channels: 1, height: 7, width: 7 }, 10, 3));
    const choices = space.sample(new Rng(5));
    choices[5] = 6; // a skip
    net.mixed.forEach((m, l) => m.configure(m.ops.map((_, i) => (i === choices[l] ? 1 : 0))));
    const pixels = new Rng(8).fill(3 * 7 * 7, 1);
    // A new input tensor each time: a training forward keeps its input until the step ends, then frees it.
    const images = () => tf.tensor4d(pixels, [3, 7, 7, 1]);
    // Move the BatchNorm statistics off their initial values first, so a copy that missed them shows.
    tf.tidy(() => {
      const logits = net.forward(images(), true);
      net.backward(tf.onesLike(logits) as tf.Tensor2D);
    });
    for (const p of net.params()) p.clearGrad();
    const a = tf.tidy(() => net.forward(images(), false).dataSync());
    const stats = () => net.params().filter((p) => !p.trainable).map((p) => [...p.variable.dataSync()]);
    const before = stats();
    net.withDerivedNetwork(choices, (derived) => {
      expect(derived.arch.name).toBe(space.build(choices).name);
      const b = tf.tidy(() => derived.forward(images(), false).dataSync());
      expect(maxRelErr(b, a)).toBeLessThan(1e-5);
      // Recalibrating the derived network moves its statistics, and only while it runs.
      derived.recalibrate([images()]);
      const c = tf.tidy(() => derived.forward(images(), false).dataSync());
      expect(maxRelErr(c, a)).toBeGreaterThan(1e-4);
    });
    expect(stats()).toEqual(before);
    const d = tf.tidy(() => net.forward(images(), false).dataSync());
    expect(maxRelErr(d, a)).toBeLessThan(1e-7);
    net.dispose();
  });
});
