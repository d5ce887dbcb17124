import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { archToJson } from '../../src/core/arch-file.js';
import { chainArch, classifierHead, convSpec, placeLayers } from '../../src/core/arch.js';
import { isUserError } from '../../src/core/errors.js';
import { lutLatencySource } from '../../src/predict/latency-source.js';
import { predict } from '../../src/predict/predictor.js';
import { profile } from '../../src/profile/profiler.js';
import { readFrontFile } from '../../src/search/front-file.js';
import { checkpointPath, runSearchJob, type SearchJob } from '../../src/search/job.js';
import { NetadaptSearch, type NetadaptSearchOptions, type TrajectoryPoint } from '../../src/search/netadapt/index.js';
import { createSpace } from '../../src/spaces/registry.js';
import { trainEvaluator, type TrainEvaluatorOptions } from '../../src/train/train-evaluator.js';
import { resolveDevice } from '../../devices/registry.js';
import { DEFAULT_PROTOCOL } from '../../devices/types.js';
import { readLut } from '../../lut/store.js';

/** 14x14 Fashion-MNIST (downscale 2), a stem conv, two MBConv blocks (one with SE), head conv, pool, linear. */
const TINY = chainArch('tiny', [1, 1, 14, 14], {
  stem: [convSpec(16, 3, 2, 'relu6')],
  blocks: [
    { kind: 'mbconv', cout: 16, k: 3, stride: 1, expand: 3, se: 0, act: 'relu6', skip: true },
    { kind: 'mbconv', cout: 24, k: 3, stride: 2, expand: 3, se: 0.25, act: 'relu6', skip: false },
  ],
  head: [convSpec(64, 1, 1, 'relu6'), ...classifierHead(10)],
});
const TRAINING: TrainEvaluatorOptions = { limit: 600, validation: 200, downscale: 2, batchSize: 32, seed: 0 };
const TARGET = 0.17;
const SETTINGS: NetadaptSearchOptions = { startEpochs: 1, shortSteps: 3, longSteps: 5, step: 0.1, decay: 0.9 };

const dir = mkdtempSync(path.join(tmpdir(), 'netadapt-'));
const lutPath = path.join(dir, 'mock.lut.json');
const archPath = path.join(dir, 'tiny.json');

async function job(out: string, opts: NetadaptSearchOptions = {}, over: Partial<SearchJob> = {}): Promise<SearchJob> {
  const space = createSpace('mbv2', { resolution: 32 });
  return {
    space,
    spaceOptions: { resolution: 32 },
    latency: await lutLatencySource(lutPath),
    evaluator: trainEvaluator(TRAINING),
    strategy: new NetadaptSearch({ start: archPath, log: () => {}, ...SETTINGS, ...opts }),
    budget: 10,
    seed: 0,
    targetMs: TARGET,
    out,
    training: TRAINING,
    lutFile: lutPath,
    args: { out },
    ...over,
  };
}

let whole: Awaited<ReturnType<typeof runSearchJob>>;
let entriesBefore = 0;

beforeAll(async () => {
  writeFileSync(archPath, JSON.stringify(archToJson(TINY)));
  // The LUT starts with the stem conv only: everything else is profiled by netadapt as it needs it.
  const device = await resolveDevice('mock');
  await profile({ device, instances: [placeLayers(TINY)[0].inst], lutPath, protocol: DEFAULT_PROTOCOL });
  await device.dispose();
  entriesBefore = Object.keys(readLut(lutPath).entries).length;
  whole = await runSearchJob(await job(path.join(dir, 'whole.json')));
}, 120_000);

describe('netadapt', () => {
  it('meets every iteration\'s budget, decreases latency monotonically and reaches the target', () => {
    const t = whole.result.history as TrajectoryPoint[];
    const start = t[0].latency.ms;
    const final = t[t.length - 1];
    expect(start).toBeGreaterThan(TARGET);
    expect(t.length).toBeGreaterThanOrEqual(3); // start, at least one iteration, final
    for (let i = 1; i < t.length - 1; i++) {
      // current − ΔR_i, ΔR_i possibly halved when no layer could give all of it; never below the target.
      const cut = SETTINGS.step! * SETTINGS.decay! ** (i - 1) * start;
      const budgets = [0, 1, 2, 3].map((j) => Math.max(TARGET, t[i - 1].latency.ms - cut / 2 ** j));
      expect(t[i].iteration).toBe(i);
      expect(budgets.some((b) => Math.abs(b - t[i].budgetMs!) < 1e-12), `${t[i].budgetMs} in ${budgets}`).toBe(true);
      expect(t[i].latency.ms).toBeLessThanOrEqual(t[i].budgetMs!);
      expect(t[i].latency.ms).toBeLessThan(t[i - 1].latency.ms);
      for (const p of t[i].proposals!) expect(p.ms).toBeLessThanOrEqual(t[i].budgetMs!);
      // The chosen proposal is the most accurate one.
      expect(t[i].accuracy).toBe(Math.max(...t[i].proposals!.map((p) => p.accuracy)));
      expect(t[i].change!.to).toBeLessThan(t[i].change!.from);
    }
    expect(final.name).toMatch(/~netadapt-final$/);
    expect(final.latency.ms).toBeLessThanOrEqual(TARGET);
    expect(final.latency.ms).toBe(t[t.length - 2].latency.ms);
    expect(whole.result.best).toEqual(final);
    for (const p of t) expect(p.accuracy).toBeGreaterThan(0);
  });

  it('profiles the widths it needs into the LUT file, and every member predicts from it', () => {
    const lut = readLut(lutPath);
    expect(Object.keys(lut.entries).length).toBeGreaterThan(entriesBefore + 5);
    const front = readFrontFile(path.join(dir, 'whole.json'));
    expect(front.strategy).toBe('netadapt');
    expect(front.best).toBe(whole.result.best!.name);
    expect(front.members.map((m) => m.latency.ms)).toEqual([...front.members.map((m) => m.latency.ms)].sort((a, b) => a - b));
    for (const m of front.members) {
      expect(m.encoding).toEqual([]);
      expect(predict(lut, m.architecture).ms).toBeCloseTo(m.latency.ms, 12);
    }
    // The final weights are kept; the per-iteration ones and the search checkpoint are gone.
    const files = readdirSync(dir).filter((f) => f.startsWith('whole.json'));
    expect(files.sort()).toEqual(['whole.json', 'whole.json.netadapt.ckpt', 'whole.json.start.ckpt']);
  });

  it('resumes a killed run at its last iteration and ends where an uninterrupted run does', async () => {
    const out = path.join(dir, 'killed.json');
    const dying = (m: string) => {
      if (m.startsWith('netadapt: iteration 1:')) throw new Error('killed');
    };
    await expect(runSearchJob(await job(out, { log: dying }))).rejects.toThrow('killed');
    expect(existsSync(checkpointPath(out))).toBe(true);
    const lines: string[] = [];
    const again = await runSearchJob(await job(out, { log: (m) => lines.push(m) }));
    expect(lines.some((l) => l.startsWith('netadapt: resumed after iteration 1'))).toBe(true);
    expect(lines.some((l) => l.startsWith('netadapt: training the start network'))).toBe(false);
    expect(again.resumed).toBe(2);
    expect(again.result).toEqual(whole.result);
  }, 120_000);

  it('refuses to start without a target, with another evaluator, or when the start net is already within the target', async () => {
    let n = 0;
    const out = () => path.join(dir, `bad${n++}.json`);
    const start = { startCheckpoint: path.join(dir, 'whole.json.start.ckpt') };
    const msg = async (j: SearchJob) => {
      const e = await runSearchJob(j).catch((x) => x);
      expect(isUserError(e)).toBe(true);
      return `${e.message} | ${e.hint}`;
    };
    expect(await msg(await job(out(), start, { targetMs: undefined }))).toMatch(/latency target.*--target-ms/);
    expect(await msg(await job(out(), start, { evaluator: { id: 'proxy', provenance: {}, evaluate: async () => 0 } }))).toMatch(/--evaluator train/);
    expect(await msg(await job(out(), start, { targetMs: 50 }))).toMatch(/already within --target-ms 50.*--target-ms \d/);
    expect(await msg(await job(out(), { ...start, step: 2 }))).toMatch(/--netadapt-step/);
  }, 60_000);
});
