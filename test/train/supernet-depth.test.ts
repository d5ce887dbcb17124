/**
 * The NIR supernet (src/train/supernet/depth.ts): a deeper assignment inherits its parent's layers (the same
 * parameters, equal values), the added layer starts as identity (γ = 0 on its residual BatchNorm, so the
 * child computes its parent's function exactly), and a trained level resumes from its checkpoint.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { depthView, expand } from '../../src/search/nir/stages.js';
import { createAnyNetSpace } from '../../src/spaces/anynet.js';
import { createMbv2Space } from '../../src/spaces/mbv2.js';
import { DepthSupernet } from '../../src/train/supernet/depth.js';
import { useTrainingBackend } from '../../src/train/backend.js';
import { syntheticData } from './supernet-fixtures.js';

const data = syntheticData(192, 32);
const image = { channels: 1, height: 14, width: 14 };
const logits = (net: ReturnType<DepthSupernet['network']>, x: tf.Tensor4D) => tf.tidy(() => Array.from(net.forward(x, false).dataSync()));
const values = (ps: readonly { value: tf.Tensor }[]) => ps.map((p) => Array.from(p.value.dataSync()));

describe.each([
  ['mbv2', () => depthView(createMbv2Space({ resolution: 32 }))],
  ['anynet', () => depthView(createAnyNetSpace('a')({ resolution: 32 }))],
])('NIR depth supernet on %s', (_id, view) => {
  it('a child holds its parent’s layers (same parameters, equal values) and its new layer starts as identity: equal logits', async () => {
    await useTrainingBackend('cpu');
    const v = view();
    const net = DepthSupernet.build(v, image, 10, 3);
    try {
      const root = v.stages.map((s) => s.min);
      // Train the root a little so the parent's function is not the initial one.
      await net.train(data.train, [root], { steps: 1, batchSize: 16, label: 'root', describe: {} });
      const parent = net.network(root);
      const x = tf.tensor4d(data.validation.x.slice(0, 4 * 196), [4, 14, 14, 1]);
      const before = logits(parent, x);
      const grown = expand(v.stages, root);
      expect(grown.length).toBe(v.stages.filter((s) => s.max > s.min).length);
      for (const child of grown) {
        const c = net.network(child);
        const inherited = parent.params();
        const mine = new Set(c.params());
        for (const p of inherited) expect(mine.has(p), p.name).toBe(true); // the very same tensors
        expect(values(c.params().filter((p) => inherited.includes(p)))).toEqual(values(inherited));
        const n = child.findIndex((d, k) => d !== root[k]);
        const gate = net.gate(n, child[n] - 1)!;
        expect(gate.name).toMatch(new RegExp(`^s${n + 1}\\.l${child[n]}\\.`));
        expect(Array.from(gate.value.dataSync()).every((g) => g === 0)).toBe(true);
        const added = c.params().filter((p) => !inherited.includes(p));
        expect(added.length).toBeGreaterThan(0);
        expect(added.every((p) => p.name.startsWith(`s${n + 1}.l${child[n]}.`))).toBe(true);
        expect(logits(c, x)).toEqual(before); // identity at inheritance
        c.dispose();
      }
      // After training the child, its new layer is no longer identity, and the parent's layers moved with it (shared).
      const child = grown[0];
      await net.train(data.train, [child], { steps: 1, batchSize: 16, label: 'child', describe: {} });
      const n = child.findIndex((d, k) => d !== root[k]);
      expect(Array.from(net.gate(n, child[n] - 1)!.value.dataSync()).some((g) => g !== 0)).toBe(true);
      x.dispose();
      parent.dispose();
    } finally {
      net.dispose();
    }
  }, 120_000);
});

describe('NIR level training', () => {
  it('resumes a level from its checkpoint to the weights of an uninterrupted run', async () => {
    await useTrainingBackend('cpu');
    const v = depthView(createAnyNetSpace('a')({ resolution: 32 }));
    const root = v.stages.map((s) => s.min);
    const level = expand(v.stages, root).slice(0, 3);
    const dir = mkdtempSync(path.join(tmpdir(), 'nir-depth-'));
    const run = async (steps: number, ck: string) => {
      const net = DepthSupernet.build(v, image, 10, 1);
      await net.train(data.train, level, { steps, batchSize: 16, label: 'level', describe: { level: 1 }, checkpoint: ck, checkpointEvery: 2 });
      return net;
    };
    const whole = await run(4, path.join(dir, 'whole.ckpt'));
    const ck = path.join(dir, 'part.ckpt');
    // Stop after 2 steps by training a 4-step level whose afterStep throws at step 2 (the checkpoint of step 2 is written first).
    const part = DepthSupernet.build(v, image, 10, 1);
    await expect(
      part.train(data.train, level, { steps: 4, batchSize: 16, label: 'level', describe: { level: 1 }, checkpoint: ck, checkpointEvery: 2, afterStep: (s) => { if (s === 3) throw new Error('stop'); } }),
    ).rejects.toThrow('stop');
    part.dispose();
    const resumed = await run(4, ck);
    expect(values(resumed.params())).toEqual(values(whole.params()));
    whole.dispose();
    resumed.dispose();
  }, 120_000);
});
