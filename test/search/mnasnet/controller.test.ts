import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.js';
import { Adam } from '../../../src/search/mnasnet/adam.js';
import { Controller } from '../../../src/search/mnasnet/controller.js';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const decisions = [2, 3, 1, 4].map((n, i) => ({ name: `d${i}`, options: Array.from({ length: n }, (_, k) => `o${k}`) }));

describe('LSTM controller', () => {
  it('samples valid tokens deterministically for an rng seed, with log-probabilities the training pass agrees with', () => {
    const c = new Controller(decisions, { hidden: 8 }, new Rng(1));
    const a = c.sample(6, new Rng(5));
    expect(c.sample(6, new Rng(5))).toEqual(a);
    for (const row of a.tokens) row.forEach((t, i) => expect(t >= 0 && t < decisions[i].options.length).toBe(true));
    // Single-option decisions always give token 0 and contribute log 1 = 0.
    expect(a.tokens.every((row) => row[2] === 0)).toBe(true);
    a.tokens.forEach((_, b) => {
      const advantages = a.tokens.map((__, j) => (j === b ? 1 : 0));
      const { loss } = c.gradients(a.tokens, advantages, { kind: 'reinforce', entropyWeight: 0 });
      expect(-loss * a.tokens.length).toBeCloseTo(a.logProbs[b], 5);
    });
    // A near-uniform start: each sequence's probability is close to 1 / (2·3·1·4).
    for (const lp of a.logProbs) expect(Math.abs(lp - Math.log(1 / 24))).toBeLessThan(0.3);
  });

  it('PPO at ratio 1 (first epoch) has the REINFORCE gradient', () => {
    const c = new Controller(decisions, { hidden: 8 }, new Rng(2));
    const s = c.sample(5, new Rng(3));
    const adv = [0.3, -0.2, 0.1, -0.4, 0.25];
    const r = c.gradients(s.tokens, adv, { kind: 'reinforce', entropyWeight: 0.01 }).grads;
    const p = c.gradients(s.tokens, adv, { kind: 'ppo', entropyWeight: 0.01, clip: 0.2, oldLogProbs: s.logProbs }).grads;
    r.forEach((g, i) => g.forEach((v, j) => expect(p[i][j]).toBeCloseTo(v, 5)));
    expect(Math.max(...r.flatMap((g) => Array.from(g, Math.abs)))).toBeGreaterThan(1e-3);
  });

  it('a step on a positive advantage makes that sequence more likely, a negative one less', () => {
    const c = new Controller(decisions, { hidden: 8 }, new Rng(3));
    const s = c.sample(2, new Rng(4));
    const adam = new Adam(c.paramSizes, { learningRate: 0.01 });
    const logp = (row: number) => -c.gradients(s.tokens, s.tokens.map((_, j) => (j === row ? 1 : 0)), { kind: 'reinforce', entropyWeight: 0 }).loss * 2;
    const before = [logp(0), logp(1)];
    if (s.tokens[0].join() === s.tokens[1].join()) throw new Error('fixture: the two samples must differ');
    adam.step(c.params, c.gradients(s.tokens, [1, -1], { kind: 'reinforce', entropyWeight: 0 }).grads);
    expect(logp(0)).toBeGreaterThan(before[0]);
    expect(logp(1)).toBeLessThan(before[1]);
  });
});
