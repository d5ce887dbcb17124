import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { supernetEvaluator, supernetOptionsFromArgs, type SupernetEvaluatorOptions } from '../../src/evaluators/supernet.js';
import { createSpace } from '../../src/spaces/registry.js';

const dir = mkdtempSync(path.join(tmpdir(), 'supernet-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Fashion-MNIST (Debian's copy), a tiny slice at 14x14: 240 training images, 7 steps of 32.
const training = { limit: 300, validation: 60, downscale: 2, batchSize: 32, seed: 1, backend: 'wasm' as const };
const space = createSpace('mbv2', { resolution: 32 });
const rng = new Rng(7);
const [a, b] = [space.build(space.sample(rng)), space.build(space.sample(rng))];

describe('supernet evaluator', () => {
  const file = path.join(dir, 'mbv2-32.supernet');
  const make = (o: Partial<SupernetEvaluatorOptions> = {}, logs: string[] = []) =>
    supernetEvaluator({ training, file, epochs: 1, space: { id: 'mbv2', resolution: 32 }, calibrationImages: 96, onProgress: () => {}, log: (m) => logs.push(m), ...o });

  it('trains a missing supernet, then scores candidates in [0, 100], the same under the same seed and file', async () => {
    const logs: string[] = [];
    const ev = make({}, logs);
    expect(ev.id).toBe('supernet');
    const first = [await ev.evaluate(a), await ev.evaluate(b), await ev.evaluate(a)];
    for (const v of first) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(100);
    }
    expect(first[2]).toBe(first[0]); // every evaluation recalibrates its own path from scratch
    expect(existsSync(file)).toBe(true);
    expect(logs.join('\n')).toMatch(/missing, training it \(depth, 1 epoch\(s\) on 240 images, nested weights\)[\s\S]*trained steps 1-7 of 7/);
    expect(ev.provenance).toMatchObject({ kind: 'supernet', checkpoint: file, sampler: 'depth', sharing: 'nested', distill: false, epochs: 1, supernet: { steps: 7, trainedNow: 7 } });
    await ev.dispose?.();

    const again: string[] = [];
    const ev2 = make({}, again);
    expect([await ev2.evaluate(a), await ev2.evaluate(b)]).toEqual(first.slice(0, 2));
    expect(again.join('\n')).toMatch(/finished \(7 steps\), reusing it/);
    // An architecture the supernet does not hold.
    await expect(ev2.evaluate(createSpace('nb201').build([1, 2, 3, 4, 1, 2]))).rejects.toThrow(/not in the supernet: it comes from space 'nb201'/);
    await expect(ev2.evaluate(createSpace('mbv2', { resolution: 64 }).build(a.space!.encoding))).rejects.toThrow(/resolution is 64/);
    await ev2.dispose?.();
  });

  it('refuses a supernet file of other settings', async () => {
    const ev = make({ sampler: 'fair' });
    const err = await ev.evaluate(a).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/was trained with other settings \(.*sampler: "depth" there, "fair" here/);
  });

  it('names missing and corrupt data files', async () => {
    const empty = path.join(dir, 'empty');
    const ev = make({ training: { ...training, dataDir: empty }, file: path.join(dir, 'x.supernet') });
    await expect(ev.evaluate(a)).rejects.toThrow(UserError);
    const corrupt = path.join(dir, 'corrupt');
    rmSync(corrupt, { recursive: true, force: true });
    mkdirSync(corrupt);
    writeFileSync(path.join(corrupt, 'train-images-idx3-ubyte'), Buffer.from([0, 0, 8, 3, 0, 0, 0, 9]));
    writeFileSync(path.join(corrupt, 'train-labels-idx1-ubyte'), Buffer.from([0, 0, 8, 1, 0, 0, 0, 9]));
    const err = await make({ training: { ...training, dataDir: corrupt }, file: path.join(dir, 'y.supernet') }).evaluate(a).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/train-(images|labels)-idx/);
    expect(existsSync(path.join(dir, 'x.supernet')) || existsSync(path.join(dir, 'y.supernet'))).toBe(false);
  });

  it('reads and checks its flags', () => {
    expect(supernetOptionsFromArgs({ args: { supernet: 's.ckpt', supernetEpochs: 3, supernetSampler: 'fair', space: 'mbv2', resolution: 32 } })).toMatchObject({
      file: 's.ckpt',
      epochs: 3,
      sampler: 'fair',
      space: { id: 'mbv2', resolution: 32 },
    });
    expect(supernetOptionsFromArgs({ args: { out: 'front.json' } }).file).toBe('front.json.supernet');
    expect(() => supernetOptionsFromArgs({ args: {} })).toThrow(/needs --supernet FILE/);
    expect(() => supernetOptionsFromArgs({ args: { supernet: 'x', supernetEpochs: 0 } })).toThrow(/--supernet-epochs must be a positive number/);
    expect(() => supernetOptionsFromArgs({ args: { supernet: 'x', supernetSampler: 'greedy' } })).toThrow(/unknown supernet sampler 'greedy'/);
  });
});
