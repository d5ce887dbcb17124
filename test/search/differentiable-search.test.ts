import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_MBV2_32, nasInProcess, sharedMockLut } from '../cli/helpers.js';
import { lutLatencySource } from '../../src/predict/latency-source.js';
import { DifferentiableSearch, type DifferentiableOptions, type EpochStats } from '../../src/search/differentiable/index.js';
import { readFrontFile } from '../../src/search/front-file.js';
import type { SearchContext } from '../../src/search/types.js';
import { createSpace } from '../../src/spaces/registry.js';
import { LayerLatencyTable } from '../../src/search/loss/index.js';
import { readLut } from '../../lut/store.js';

const nas = nasInProcess;

afterEach(() => {
  process.exitCode = undefined;
});

const dir = mkdtempSync(path.join(tmpdir(), 'nas-differentiable-'));
const lut = path.join(dir, 'mock-mbv2-32.lut.json');
const space = createSpace('mbv2', { resolution: 32 });
/** Tiny slice: 7x7 Fashion-MNIST images (downscale 4), a few steps per epoch. */
const TRAINING = { limit: 96, validation: 16, batchSize: 8, downscale: 4, seed: 1 };
/**
 * Where only equality with an uninterrupted run is checked, the smallest slice that still takes several weight
 * steps an epoch: 40 training images split 32/8 (weights/α), 4 + 1 steps of 8 (TRAINING: 8 + 2).
 */
const RESUME_TRAINING = { ...TRAINING, limit: 48, validation: 8 };

// A LUT of the mbv2 space at 32 px from the mock device (synthetic timings: a test fixture, not a measurement), profiled once per run.
beforeAll(() => sharedMockLut(MOCK_MBV2_32, lut), 60_000);

async function search(strategy: 'fbnet' | 'proxyless', opts: DifferentiableOptions, extra: Partial<SearchContext> = {}) {
  const epochs: EpochStats[] = [];
  const ctx: SearchContext = {
    space,
    latency: await lutLatencySource(lut, space),
    evaluator: { id: 'unused', provenance: {}, evaluate: () => Promise.reject(new Error('differentiable search evaluates no candidates')) },
    budget: 1,
    seed: 0,
    lutFile: lut,
    training: TRAINING,
    ...extra,
  };
  const result = await new DifferentiableSearch(strategy, { ...opts, onEpoch: (e) => epochs.push(e) }).run(ctx);
  return { result, epochs };
}

describe('proxyless search', () => {
  it('raising the latency weight lowers the chosen net’s predicted latency', async () => {
    const opts = { warmupEpochs: 0, searchEpochs: 2, archLr: 0.05 };
    const free = await search('proxyless', { ...opts, latencyWeight: 0 });
    const fast = await search('proxyless', { ...opts, latencyWeight: 10 });
    // The architecture the search ends on (the last epoch's argmax).
    expect(fast.result.history.at(-1)!.latency.ms).toBeLessThan(free.result.history.at(-1)!.latency.ms);
    // E[LAT] falls below the uniform start's under the latency weight.
    const table = LayerLatencyTable.fromLut(readLut(lut), space);
    const uniform = table.constantMs + table.ms.reduce((s, row) => s + row.reduce((a, b) => a + b, 0) / row.length, 0);
    expect(fast.epochs.at(-1)!.expectedMs).toBeLessThan(uniform);
    // History: one derived architecture per search epoch, with its LUT latency and a validation accuracy.
    expect(fast.result.history).toHaveLength(2);
    for (const c of fast.result.history) {
      expect(c.latency.ms).toBeCloseTo((await lutLatencySource(lut, space)).latency(space.build(c.encoding)).ms, 9);
      expect(c.accuracy).toBeGreaterThanOrEqual(0);
      expect(c.accuracy).toBeLessThanOrEqual(100);
    }
    // best: the most accurate member of the front (differentiable-best.test.ts), not simply the last epoch's.
    expect(fast.result.front).toContain(fast.result.best);
    expect(fast.epochs.map((e) => e.search)).toEqual([true, true]);
  }, 120_000);

  it('a killed search resumes from its checkpoint and ends exactly where an uninterrupted one does', async () => {
    const opts = { warmupEpochs: 1, searchEpochs: 1, archLr: 0.05, latencyWeight: 1 };
    const training = { training: RESUME_TRAINING };
    const whole = await search('proxyless', { ...opts, checkpointFile: path.join(dir, 'whole.ckpt') }, training);
    const file = path.join(dir, 'killed.ckpt');
    const kill = (p: { done: number }) => {
      if (p.done === 1) throw new Error('killed');
    };
    await expect(search('proxyless', { ...opts, checkpointFile: file }, { ...training, onProgress: kill })).rejects.toThrow('killed');
    expect(existsSync(file)).toBe(true);
    const resumed = await search('proxyless', { ...opts, checkpointFile: file }, training);
    // Only the last epoch ran again.
    expect(resumed.epochs.map((e) => e.epoch)).toEqual([1]);
    expect(resumed.result.history).toEqual(whole.result.history);
    expect(resumed.epochs[0]).toEqual(whole.epochs[1]);
    expect(existsSync(file)).toBe(false);
  }, 120_000);

  it('needs the LUT itself and a layer-wise space', async () => {
    await expect(search('proxyless', {}, { lutFile: undefined })).rejects.toThrow(/needs the latency table itself: give the latency as --lut FILE/);
  });
});

describe('nas search --strategy fbnet|proxyless', () => {
  // A flag given twice is an error: `more` replaces a default below rather than repeating it.
  const args = (out: string, ...more: string[]) => {
    const defaults = ['--warmup-epochs', '0', '--search-epochs', '1', '--arch-lr', '0.05'];
    for (let i = 0; i < defaults.length; i += 2) if (more.includes(defaults[i])) defaults.splice(i, 2, '', '');
    return [
      'search', '--space', 'mbv2', '--resolution', '32', '--lut', lut, '--out', path.join(dir, out),
      '--train-images', '64', '--train-validation', '8', '--train-batch', '8', '--downscale', '4',
      ...defaults.filter(Boolean), ...more,
    ];
  };

  it('runs fbnet from the CLI on a tiny slice; a larger --latency-weight gives a faster net', async () => {
    const free = await nas(...args('free.json', '--strategy', 'fbnet', '--latency-weight', '0', '--json'));
    expect(free.code).toBe(0);
    const fast = await nas(...args('fast.json', '--strategy', 'fbnet', '--latency-weight', '20', '--json'));
    expect(fast.code).toBe(0);
    const [a, b] = [JSON.parse(free.stdout), JSON.parse(fast.stdout)];
    expect(b).toMatchObject({ strategy: 'fbnet', evaluations: 1, resumed: 0, space: { id: 'mbv2' } });
    expect(b.best.latency.ms).toBeLessThan(a.best.latency.ms);
    expect(fast.stderr).toMatch(/fbnet epoch 1\/1: weight loss \d+\.\d+, arch loss \d+\.\d+, E\[LAT\] \d+\.\d+ ms \(layer table\), argmax \d+\.\d+ ms \(LUT predictor\), accuracy \d+\.\d+%, τ 5\.00/);
    const front = readFrontFile(path.join(dir, 'fast.json'));
    expect(front.strategy).toBe('fbnet');
    expect(front.best).toBe(b.best.name);
    expect(front.members.map((m) => m.encoding)).toEqual([b.best.encoding]);
    for (const leftover of ['fast.json.ckpt.json', 'fast.json.supernet.ckpt']) expect(existsSync(path.join(dir, leftover))).toBe(false);
  }, 180_000);

  it.each([
    [['--strategy', 'proxyless', '--tau', '2'], /--tau is the Gumbel-softmax temperature of --strategy fbnet/],
    [['--strategy', 'fbnet', '--latency-loss', 'flops'], /--latency-loss must be one of fbnet, proxyless-add, proxyless-mul/],
    [['--strategy', 'fbnet', '--latency-weight', '-1'], /--latency-weight must be a number ≥ 0/],
    [['--strategy', 'proxyless', '--search-epochs', '0'], /--search-epochs must be a whole number ≥ 1/],
    [['--strategy', 'proxyless', '--latency-loss', 'proxyless-mul', '--target-ms', '0.5'], /--target-ms 0.5 is under half the fastest network/],
  ])('refuses %j with one clear message', async (more, message) => {
    const r = await nas(...args('bad.json', ...more));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('refuses a data slice that does not fill a batch of each split', async () => {
    const r = await nas('search', '--space', 'mbv2', '--resolution', '32', '--lut', lut, '--out', path.join(dir, 'small.json'), '--strategy', 'fbnet', '--train-images', '20', '--train-validation', '4', '--train-batch', '8');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/16 training images split 13\/3 \(weights\/α\) do not fill a batch of 8 each[\s\S]*hint: raise --train-images or lower --train-batch/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
