import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MOCK_MBV2_32, nasInProcess, sharedMockLut } from '../cli/helpers.js';
import { readFrontFile } from '../../src/search/front-file.js';

const nas = nasInProcess;

afterEach(() => {
  process.exitCode = undefined;
});

const dir = mkdtempSync(path.join(tmpdir(), 'nas-search-'));
const base = (out: string) => ['search', '--space', 'nb201', '--latency-table', 'pixel3', '--budget', '60', '--out', path.join(dir, out)];

describe('nas search', () => {
  it('searches, writes the front file and prints one JSON document with --json', async () => {
    const r = await nas(...base('a.json'), '--strategy', 'nsga2', '--seed', '3', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ strategy: 'nsga2', seed: 3, budget: 60, evaluations: 60, resumed: 0, target: null, space: { id: 'nb201' } });
    expect(doc.front.length).toBeGreaterThan(3);
    expect(readFrontFile(path.join(dir, 'a.json')).members.map((m) => m.name)).toEqual(doc.front.map((m: { name: string }) => m.name));
    expect(existsSync(path.join(dir, 'a.json.ckpt.json'))).toBe(false);
  });

  it('prints a summary table, marking members within the target', async () => {
    const r = await nas(...base('b.json'), '--strategy', 'evolution', '--target-ms', '5');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^evolution on nb201: 60 evaluated, \d+ on the front/);
    expect(r.stdout).toMatch(/#\s+accuracy\s+latency ms\s+within\s+MACs\s+params\s+activations\s+architecture/);
    expect(r.stdout).toMatch(/best within 5 ms: \d+\.\d{3} at \d\.\d{3} ms, [\d.]+[kM]? MACs, [\d.]+[kM]? params, [\d.]+[kM]? activations {2}\|/);
  });

  it.each([
    [['--strategy', 'hillclimb'], /unknown search strategy 'hillclimb'; known: random, evolution, nsga2/],
    [['--evaluator', 'oracle'], /unknown evaluator 'oracle'/],
    [['--target-ms', '0'], /--target-ms must be a positive number/],
    [['--target-ms', '-3'], /--target-ms must be a positive number/],
    [['--budget', '0'], /--budget must be a positive integer/],
    [['--budget', '2.5'], /--budget must be a positive integer/],
    [['--lut', 'x.lut.json'], /exactly one latency source/],
    [['--evaluator', 'command'], /--evaluator command needs --eval-command/],
    [['--eval-command', 'echo 1'], /--eval-command is only used with --evaluator command/],
    [['--dataset', 'mnist'], /unknown NAS-Bench-201 dataset 'mnist'/],
    [['--proxy-batch', '8'], /only used with --evaluator proxy/],
    [['--evaluator', 'proxy', '--proxy-batch', '1'], /proxy evaluator: batch must be an integer ≥ 2/],
    [['--resolution', '16'], /latency table 'pixel3' was measured at 32x32 input/],
    [['--train-epochs', '0'], /--train-epochs must be a positive integer/],
    [['--train-epochs', '1', '--train-steps', '5'], /give --train-epochs or --train-steps, not both/],
    [['--train-lr', '-1'], /--train-lr must be a positive number/],
    [['--downscale', '1.5'], /--downscale must be a positive integer/],
  ])('rejects bad input %j with one clear message', async (extra, message) => {
    const args = base('bad.json');
    // A flag given twice is an error of its own: replace base's --budget rather than repeat it.
    if (extra.includes('--budget')) args.splice(args.indexOf('--budget'), 2);
    const r = await nas(...args, ...extra);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/internal error|at .*\.ts:\d+/);
  });

  it('rejects an unknown space, an unknown latency table and a missing latency source', async () => {
    expect((await nas('search', '--space', 'resnet', '--latency-table', 'pixel3', '--out', path.join(dir, 'c.json'))).stderr).toMatch(/unknown search space 'resnet'/);
    expect((await nas('search', '--space', 'nb201', '--latency-table', 'iphone', '--out', path.join(dir, 'c.json'))).stderr).toMatch(/unknown latency table 'iphone'/);
    expect((await nas('search', '--space', 'nb201', '--out', path.join(dir, 'c.json'))).stderr).toMatch(/exactly one latency source/);
  });

  it('refuses a corrupt checkpoint next to --out', async () => {
    writeFileSync(path.join(dir, 'd.json.ckpt.json'), 'not json');
    const r = await nas(...base('d.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/search checkpoint .*d.json.ckpt.json is corrupt[\s\S]*hint: delete .*d.json.ckpt.json to start the search over/);
  });

  it('scores candidates by training them with --evaluator train and the training flags', async () => {
    const lut = path.join(dir, 'mock32.lut.json');
    await sharedMockLut(MOCK_MBV2_32, lut); // the LUT of differentiable-search.test.ts, profiled once per run
    const args = ['search', '--space', 'mbv2', '--resolution', '32', '--lut', lut, '--evaluator', 'train', '--strategy', 'random', '--budget', '2'];
    const tiny = ['--train-images', '300', '--train-validation', '100', '--train-steps', '3', '--train-batch', '32', '--downscale', '2', '--json'];
    const r = await nas(...args, ...tiny, '--out', path.join(dir, 'train.json'));
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.evaluations).toBe(2);
    expect(doc.evaluator).toMatchObject({ id: 'train', provenance: { kind: 'train', limit: 300, validation: 100, downscale: 2, budget: { steps: 3 }, batchSize: 32 } });
    for (const m of doc.front) expect(m.accuracy).toBeGreaterThanOrEqual(0);
    const missing = await nas(...args, ...tiny, '--data', path.join(dir, 'no-such-dir'), '--out', path.join(dir, 'train2.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no-such-dir/);
  });
});
