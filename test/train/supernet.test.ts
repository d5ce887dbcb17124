import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { createSpace } from '../../src/spaces/registry.js';
import { useTrainingBackend } from '../../src/train/backend.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { Identity } from '../../src/train/nn/pool.js';
import { CandidateTable } from '../../src/train/supernet/candidates.js';
import { extremes, pathsPerStep, samplePaths } from '../../src/train/supernet/sampler.js';
import { Supernet, type SupernetTrainOptions } from '../../src/train/supernet/supernet.js';
import { adaptArchitecture } from '../../src/train/train-evaluator.js';
import { syntheticData, TinySpace } from './supernet-fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'supernet-test-'));
const data = syntheticData();
const space = new TinySpace();
const tiny = (seed = 1) => new Supernet(CandidateTable.build(space, data.train, 10, seed));
const weights = (s: Supernet) => s.table.params().map((p) => (p.value.dataSync() as Float32Array).slice());

beforeAll(async () => {
  await useTrainingBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('supernet candidates', () => {
  it('holds one module per option of every mbv2 layer, named layer<i>.op<o>, skip as Identity, retargeted to the data', () => {
    const mbv2 = createSpace('mbv2', { resolution: 32 });
    const t = CandidateTable.build(mbv2, { channels: 1, height: 14, width: 14 }, 10, 0);
    try {
      expect(t.optionCounts()).toEqual(mbv2.decisions().map((d) => d.options.length));
      expect(t.optionCounts().slice(0, 5)).toEqual([6, 7, 7, 7, 6]);
      expect(t.stem.map((s) => s.prefix)).toEqual(['stem0', 'stem1']);
      expect(t.head.map((s) => s.prefix)).toEqual(['head0', 'head1', 'head2']);
      const names = new Set(t.params().map((p) => p.name));
      expect(names.size).toBe(t.params().length);
      for (const n of ['stem0.conv.weight', 'layer1.op0.expand.weight', 'layer1.op5.dw.weight', 'layer21.op5.project.bn.gamma', 'head2.fc.weight']) expect(names).toContain(n);
      expect(t.layers[1].ops[6]).toBeInstanceOf(Identity);
      expect(t.layers[1].specs[6]).toBeNull();
      expect(t.head[2].module.params()[0].value.shape).toEqual([1280, 10]);
      const choices = mbv2.sample(new Rng(4));
      choices[1] = 6; // skip
      const p = t.path(choices);
      expect(p.arch).toEqual(adaptArchitecture(mbv2.build(choices), { channels: 1, height: 14, width: 14 }, 10));
      expect(p.modules).toHaveLength(p.arch.layers.length);
      expect(p.modules).not.toContain(t.layers[1].ops[6]);
      expect(p.modules).toContain(t.layers[0].ops[choices[0]]);
    } finally {
      t.dispose();
    }
  });

  it('refuses architectures it does not hold, saying why', () => {
    const mbv2 = createSpace('mbv2', { resolution: 32 });
    const t = CandidateTable.build(mbv2, { channels: 1, height: 14, width: 14 }, 10, 0);
    try {
      const member = mbv2.build(mbv2.sample(new Rng(1)));
      expect(t.choicesOf(member)).toEqual(member.space!.encoding);
      const refused = (a: typeof member, why: RegExp) => {
        expect(() => t.choicesOf(a)).toThrow(UserError);
        expect(() => t.choicesOf(a)).toThrow(why);
      };
      refused(createSpace('nb201').build([0, 1, 2, 3, 4, 0]), /comes from space 'nb201'/);
      refused(createSpace('mbv2', { resolution: 64 }).build(member.space!.encoding), /resolution is 64/);
      refused({ ...member, space: undefined }, /names no search space/);
      refused({ ...member, space: { ...member.space!, encoding: member.space!.encoding.map(() => 9) } }, /not in the supernet: mbv2: layer 1 choice/);
      const k9 = { ...member, layers: member.layers.map((l, i) => (i === 3 ? { ...l, spec: { ...l.spec, k: 9 } } : l)) } as typeof member;
      refused(k9, /layer 3 .*"k":9.* is not the supernet's option/);
    } finally {
      t.dispose();
    }
  });

  it('refuses a space that is not layer-wise', () => {
    expect(() => CandidateTable.build(createSpace('nb201'), { channels: 1, height: 14, width: 14 }, 10, 0)).toThrow(/not layer-wise/);
    for (const id of ['regnet', 'anynet', 'shufflenetv2-channels', 'darts', 'nasnet'])
      expect(() => CandidateTable.check(createSpace(id, { resolution: 32 })), id).toThrow(/not layer-wise, so a single-path supernet cannot hold it: .*/);
  });

  it("fbnet's head decision: one whole head per option, chosen by the path, no fixed head; nested sharing refused (group-2 convs)", () => {
    const fbnet = createSpace('fbnet', { resolution: 32 });
    const grouped = /layer1: nested weight sharing needs options whose weights are bias-free convs that nest \(option k3_e1_g2's conv 'project' is grouped \(2 groups\), which does not nest\)/;
    expect(() => CandidateTable.check(fbnet, 'nested')).toThrow(grouped);
    expect(() => CandidateTable.build(fbnet, { channels: 1, height: 14, width: 14 }, 10, 0, 'nested')).toThrow(grouped);
    const t = CandidateTable.build(fbnet, { channels: 1, height: 14, width: 14 }, 10, 0);
    try {
      expect(t.optionCounts()).toEqual(fbnet.decisions().map((d) => d.options.length));
      expect(t.head).toEqual([]);
      const head = t.layers[22];
      expect([head.decision, head.at, head.options]).toEqual(['head', 'head', ['1984', '1504']]);
      expect(head.chains.map((c) => c.map((l) => l.spec.kind))).toEqual([['conv', 'gpool', 'linear'], ['conv', 'gpool', 'linear']]);
      const names = new Set(t.params().map((p) => p.name));
      for (const n of ['layer23.op0.head0.conv.weight', 'layer23.op1.head2.fc.weight']) expect(names).toContain(n);
      expect(names.size).toBe(t.params().length);
      expect(head.parts[1][2].params()[0].value.shape).toEqual([1504, 10]);
      const macs = t.optionMacs()[22];
      expect(macs[0] / macs[1]).toBeCloseTo(1984 / 1504, 2);
      const choices = fbnet.sample(new Rng(6));
      choices[22] = 1;
      const p = t.path(choices);
      expect(p.arch).toEqual(adaptArchitecture(fbnet.build(choices), { channels: 1, height: 14, width: 14 }, 10));
      p.modules.slice(-3).forEach((m, j) => expect(m).toBe(head.parts[1][j]));
      expect(t.choicesOf(fbnet.build(choices))).toEqual(choices);
    } finally {
      t.dispose();
    }
  });
});

describe('supernet with a head decision', () => {
  const headSpace = new TinySpace(14, { head: true });
  it('trains both heads (uniform and sandwich) and scores a member with either', async () => {
    const s = new Supernet(CandidateTable.build(headSpace, data.train, 10, 1));
    try {
      const r = await s.train(data.train, { steps: 12, batchSize: 32, seed: 2 });
      expect(r.optionCounts[3].every((n) => n > 0)).toBe(true);
      // The sandwich's largest path takes the wider head (12 channels), its smallest the narrower one.
      const { largest, smallest } = extremes(s.table.optionMacs());
      expect([largest[3], smallest[3]]).toEqual([1, 0]);
      const w = await s.train(data.train, { steps: 2, batchSize: 32, seed: 2, sampler: 'sandwich' });
      expect(w.paths).toBe(8);
      for (const h of [0, 1]) {
        const acc = s.evaluate(headSpace.build([0, 0, 0, h]), data);
        expect(acc).toBeGreaterThanOrEqual(0);
        expect(acc).toBeLessThanOrEqual(100);
      }
    } finally {
      s.dispose();
    }
  });
});

describe('supernet samplers', () => {
  const mbv2Counts = createSpace('mbv2').decisions().map((d) => d.options.length);

  it('uniform: one path per step, every option in range, the same for the same (seed, step), uniform over many steps', () => {
    expect(samplePaths('uniform', mbv2Counts, 3, 17)).toEqual(samplePaths('uniform', mbv2Counts, 3, 17));
    expect(samplePaths('uniform', mbv2Counts, 3, 17)).not.toEqual(samplePaths('uniform', mbv2Counts, 3, 18));
    const hits = mbv2Counts.map((n) => new Array<number>(n).fill(0));
    for (let step = 0; step < 2100; step++) {
      const paths = samplePaths('uniform', mbv2Counts, 0, step);
      expect(paths).toHaveLength(1);
      paths[0].forEach((o, i) => hits[i][o]++);
    }
    // 2100 draws over 6 or 7 options: 300-350 expected each; 5 sigma is about ±90.
    hits.forEach((h) => h.forEach((c) => expect(Math.abs(c - 2100 / h.length)).toBeLessThan(90)));
  });

  it('fair: m paths per step with every option of a layer exactly once (layers with fewer options: each at least once, at most twice)', () => {
    expect(pathsPerStep('fair', mbv2Counts)).toBe(7);
    for (let step = 0; step < 50; step++) {
      const paths = samplePaths('fair', mbv2Counts, 5, step);
      expect(paths).toHaveLength(7);
      mbv2Counts.forEach((n, i) => {
        const seen = new Array<number>(n).fill(0);
        for (const p of paths) seen[p[i]]++;
        if (n === 7) expect(seen).toEqual(new Array(7).fill(1));
        else {
          expect(Math.min(...seen)).toBe(1);
          expect(Math.max(...seen)).toBe(2);
        }
      });
    }
  });
});

describe('supernet training', () => {
  const opts: SupernetTrainOptions = { steps: 8, batchSize: 32, seed: 3, checkpointEvery: 2 };

  it('lowers the loss (uniform) and trains each option exactly once per step (fair)', async () => {
    const s = tiny();
    const losses: number[] = [];
    const r = await s.train(data.train, { steps: 24, batchSize: 32, seed: 1, onProgress: (p) => losses.push(p.loss) });
    expect(r.paths).toBe(24);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(losses.slice(-6))).toBeLessThan(0.8 * mean(losses.slice(0, 6)));
    expect(s.evaluate(space.build([0, 0, 0]), data)).toBeGreaterThan(20);
    const f = await s.train(data.train, { steps: 4, batchSize: 32, seed: 1, sampler: 'fair' });
    expect(f.paths).toBe(4 * 3);
    expect(f.optionCounts[1]).toEqual([4, 4, 4]);
    expect(f.optionCounts[2]).toEqual([4, 4, 4]);
    expect(f.optionCounts[0].reduce((a, b) => a + b, 0)).toBe(12);
    expect(Math.min(...f.optionCounts[0])).toBeGreaterThanOrEqual(4);
    s.dispose();
  });

  it.each(['uniform', 'fair'] as const)('resumes a killed training (%s) to the weights of an uninterrupted one', async (sampler) => {
    const whole = tiny();
    await whole.train(data.train, { ...opts, sampler });
    const want = weights(whole);
    whole.dispose();

    const file = path.join(dir, `killed-${sampler}.supernet`);
    const killed = tiny();
    const kill = new Error('killed');
    await expect(killed.train(data.train, { ...opts, sampler, checkpoint: file, onProgress: (p) => { if (p.step === 5) throw kill; } })).rejects.toBe(kill);
    killed.dispose();
    expect(readCheckpoint(file).meta.step).toBe(4);

    const resumed = tiny(99); // its own initial weights are overwritten
    const r = await resumed.train(data.train, { ...opts, sampler, checkpoint: file });
    expect(r.resumedFrom).toBe(4);
    expect(r.steps).toBe(8);
    weights(resumed).forEach((w, i) => expect(w).toEqual(want[i]));
    // Finished: a second run trains nothing.
    const again = await resumed.train(data.train, { ...opts, sampler, checkpoint: file });
    expect(again.resumedFrom).toBe(8);
    expect(again.paths).toBe(0);
    resumed.dispose();
  });

  it('refuses the checkpoint of another training, naming what differs, and a corrupt file', async () => {
    const file = path.join(dir, 'other.supernet');
    const s = tiny();
    await s.train(data.train, { ...opts, steps: 2, checkpoint: file });
    const err = await s.train(data.train, { ...opts, steps: 2, sampler: 'fair', checkpoint: file }).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/other settings \(sampler: "uniform" there, "fair" here\)/);
    const bad = path.join(dir, 'corrupt.supernet');
    writeFileSync(bad, 'not a checkpoint');
    await expect(s.train(data.train, { ...opts, checkpoint: bad })).rejects.toThrow(/not a usable checkpoint/);
    s.dispose();
  });

  it('stops on a non-finite loss with a clear message and keeps the last good checkpoint', async () => {
    const file = path.join(dir, 'nan.supernet');
    const s = tiny();
    const err = await s.train(data.train, { steps: 40, batchSize: 32, seed: 1, optimizer: { kind: 'sgd', lr: 1e4 }, checkpoint: file, checkpointEvery: 1 }).catch((e) => e);
    s.dispose();
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/diverged/);
    expect(existsSync(file)).toBe(true);
    const ck = readCheckpoint(file);
    const step = Number(ck.meta.step);
    expect(step).toBeGreaterThan(0);
    expect(step).toBeLessThan(40);
    if (/loss is/.test((err as Error).message)) expect((err as Error).message).toMatch(new RegExp(`last good checkpoint \\(step ${step}\\) is kept in`));
    for (const t of ck.tensors.values()) expect(t.data.every(Number.isFinite)).toBe(true);
  });
});
