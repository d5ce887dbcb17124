/**
 * Accuracy evaluations on the farm, in one process: FarmWorker instances serving an evaluator and a
 * FarmEvaluator on a Redis of the test's own.
 */
import { describe, expect, it } from 'vitest';
import { MockDevice } from '../../devices/mock/index.js';
import type { Architecture } from '../../src/core/arch.js';
import { UserError } from '../../src/core/errors.js';
import { evaluateJobId, evaluatorFingerprint, FarmEvaluator } from '../../src/farm/evaluation.js';
import { FarmWorker } from '../../src/farm/worker.js';
import type { AccuracyEvaluator } from '../../src/search/types.js';
import { createNb201Space } from '../../src/spaces/nb201.js';
import { Rng } from '../../src/core/rng.js';
import { proxyEvaluator } from '../../src/evaluators/proxy/index.js';
import { redisMissing, useTestRedis } from './redis.js';

/** A deterministic evaluator (accuracy from the name's length and layer count) that counts calls and resolves a setting on first use, as proxy/train do. */
function fakeEvaluator(options: { scale?: number; fail?: boolean } = {}) {
  const ev = {
    id: 'fake',
    provenance: { kind: 'fake', scale: options.scale ?? 1 } as Record<string, unknown>,
    calls: 0,
    async evaluate(arch: Architecture) {
      ev.calls++;
      ev.provenance.backend = 'resolved-on-first-use';
      if (options.fail) throw new UserError(`fake evaluator: cannot evaluate '${arch.name}'`);
      return (ev.provenance.scale as number) * (arch.name.length + arch.layers.length);
    },
  };
  return ev;
}

const archs = () => {
  const space = createNb201Space();
  const rng = new Rng(4);
  return Array.from({ length: 6 }, () => space.build(space.sample(rng)));
};

describe.skipIf(redisMissing)('farm evaluations (in process)' + (redisMissing ? ` — skipped: ${redisMissing}` : ''), () => {
  const redis = useTestRedis();

  const startWorker = (evaluator: AccuracyEvaluator) =>
    FarmWorker.start({ redis: redis.url, deviceName: 'mock', requested: {}, createDevice: () => new MockDevice(), evaluator, concurrency: 2 });

  it('workers answer what the evaluator answers locally; the coordinator takes what they resolved into its provenance', async () => {
    const served = [fakeEvaluator(), fakeEvaluator()];
    const workers = await Promise.all(served.map(startWorker));
    const local = fakeEvaluator();
    const farm = await FarmEvaluator.open({ redis: redis.url, local, waitMs: 5000 });
    try {
      expect(farm.fingerprint).toBe(evaluatorFingerprint(fakeEvaluator()));
      expect(workers[0].record.evaluator?.fingerprint).toBe(farm.fingerprint);
      const got = await Promise.all(archs().map((a) => farm.evaluate(a)));
      const want = await Promise.all(archs().map((a) => fakeEvaluator().evaluate(a)));
      expect(got).toEqual(want);
      expect(local.calls).toBe(0);
      expect(served[0].calls + served[1].calls).toBe(6);
      expect(farm.provenance).toEqual({ kind: 'fake', scale: 1, backend: 'resolved-on-first-use' });
      // The same architecture is the same job: asked again, it is answered without evaluating.
      expect(evaluateJobId(farm.fingerprint, archs()[0])).toBe(evaluateJobId(farm.fingerprint, archs()[0]));
      expect(await farm.evaluate(archs()[0])).toBe(want[0]);
      expect(served[0].calls + served[1].calls).toBe(6);
    } finally {
      await farm.dispose();
      await Promise.all(workers.map((w) => w.close()));
    }
  }, 60_000);

  it('a worker answers an evaluation it made before from memory, once the job itself is gone from Redis', async () => {
    const served = fakeEvaluator({ scale: 4 });
    const worker = await startWorker(served);
    try {
      const first = await FarmEvaluator.open({ redis: redis.url, local: fakeEvaluator({ scale: 4 }), waitMs: 5000 });
      const got = await Promise.all(archs().map((a) => first.evaluate(a)));
      await first.forget(); // the front is written: its jobs are removed
      await first.dispose();
      expect(served.calls).toBe(6);
      // A later search (or a Redis restarted empty) sends the same jobs again: the worker that evaluated them answers.
      const second = await FarmEvaluator.open({ redis: redis.url, local: fakeEvaluator({ scale: 4 }), waitMs: 5000 });
      expect(await Promise.all(archs().map((a) => second.evaluate(a)))).toEqual(got);
      await second.forget();
      await second.dispose();
      expect(served.calls).toBe(6);
    } finally {
      await worker.close();
    }
  }, 60_000);

  it('a worker with other evaluator settings is not used: with none matching, the coordinator says so (exit 3)', async () => {
    const worker = await startWorker(fakeEvaluator({ scale: 2 }));
    try {
      const err = await FarmEvaluator.open({ redis: redis.url, local: fakeEvaluator(), waitMs: 500 }).catch((e) => e);
      expect(err).toBeInstanceOf(UserError);
      expect(err.exitCode).toBe(3);
      expect(err.message).toMatch(/no worker evaluates with fake \{"kind":"fake","scale":1\}.*workers evaluate with:\n.*fake \{"kind":"fake","scale":2\}/s);
    } finally {
      await worker.close();
    }
  }, 30_000);

  it('an evaluation failing on every try is reported with its reason after --farm-attempts tries', async () => {
    const failing = fakeEvaluator({ scale: 3, fail: true });
    const worker = await startWorker(failing);
    const farm = await FarmEvaluator.open({ redis: redis.url, local: fakeEvaluator({ scale: 3 }), waitMs: 5000, attempts: 2 });
    try {
      const err = await farm.evaluate(archs()[1]).catch((e) => e);
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toMatch(/failed 2 time\(s\) on the farm: fake evaluator: cannot evaluate/);
      expect(failing.calls).toBe(2);
    } finally {
      await farm.dispose();
      await worker.close();
    }
  }, 30_000);

  it('a real evaluator (the synflow proxy) scores on a worker exactly what it scores locally', async () => {
    const opts = { proxy: 'synflow', backend: 'cpu' as const };
    const worker = await startWorker(proxyEvaluator(opts));
    const farm = await FarmEvaluator.open({ redis: redis.url, local: proxyEvaluator(opts), waitMs: 5000 });
    const local = proxyEvaluator(opts);
    try {
      for (const arch of archs().slice(0, 2)) expect(await farm.evaluate(arch)).toBe(await local.evaluate(arch));
      expect(farm.provenance).toEqual(local.provenance);
    } finally {
      await farm.dispose();
      await worker.close();
    }
  }, 120_000);
});
