/**
 * `nas search --space S` on every seed space but the cell spaces (issue 11; darts and nasnet have their own files)
 * with every strategy that searches any space through its decisions: random, evolution, nsga2 and the mnasnet RL
 * controller, on a mock-device LUT of that space (`nas profile --space S`), at 32 px. On `shufflenetv2`, the one
 * of them that is layer-wise (SPOS's space), also the single-path supernet evaluator and the differentiable
 * fbnet / proxyless strategies, on a tiny Fashion-MNIST slice. And `nas predict --published NAME
 * --profile-missing` for every seed network: what the LUT lacks is measured into it first.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { SEED_NETS } from '../../src/spaces/seed-nets/index.js';
import { EXACT_MOCK, FAST_TIMING, nasInProcess } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hwnas-seed-search-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});
const at = (name: string) => path.join(dir, name);

const SPACES = ['shufflenetv2', 'shufflenetv2-channels', 'fbnet', 'regnet', 'anynet', 'anynet-b', 'anynet-c', 'anynet-d', 'anynet-e'];
const STRATEGIES = [['random'], ['evolution'], ['nsga2'], ['mnasnet', '--target-ms', '1000']];
/** One LUT for all: the spaces share many instances (regnet and anynet, the two shufflenetv2 spaces). */
const lut = at('mock.lut.json');

describe.each(SPACES)('nas search --space %s', (space) => {
  it('nas profile --space fills the LUT with its instances', async () => {
    const p = await nasInProcess('profile', ...EXACT_MOCK, '--space', space, '--resolution', '32', '--calibrate', '0', '--out', lut, ...FAST_TIMING);
    expect(p.code, p.stderr).toBe(0);
  }, 300_000);

  it.each(STRATEGIES)('--strategy %s predicts and evaluates its members', async (strategy, ...extra) => {
    const out = at(`${space}-${strategy}.json`);
    const s = await nasInProcess(
      'search', '--space', space, '--resolution', '32', '--lut', lut, '--strategy', strategy, ...extra, '--budget', '6', '--seed', '1',
      '--evaluator', 'command', '--eval-command', 'wc -c < {arch}', '--eval-range', '0,10000000', '--out', out,
    );
    expect(s.code, s.stderr).toBe(0);
    const front = JSON.parse(readFileSync(out, 'utf8'));
    expect(front.strategy).toBe(strategy);
    // The RL controller stops after 10 × budget samples, and the vectors a space rejects cost no budget: on
    // anynet-e (depths and widths must not decrease) 1.5% of uniform vectors build (35/256 · 70/625), so it may evaluate fewer.
    if (strategy === 'mnasnet' && space === 'anynet-e') expect(front.evaluations).toBeGreaterThanOrEqual(1);
    else expect(front.evaluations).toBe(6);
    expect(front.members.length).toBeGreaterThan(0);
    for (const m of front.members) {
      expect(m.architecture.space.id).toBe(space);
      expect(m.latency.ms).toBeGreaterThan(0);
    }
  }, 120_000);
});

const HAVE_DATA = existsSync(path.join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
if (!HAVE_DATA) console.warn(`supernet and differentiable search on shufflenetv2 skipped: no Fashion-MNIST in ${FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist)`);
const TINY = ['--train-images', '96', '--train-validation', '16', '--train-batch', '8', '--downscale', '4'];

describe.runIf(HAVE_DATA)('nas search --space shufflenetv2 with a supernet (SPOS)', () => {
  const base = (out: string) => ['search', '--space', 'shufflenetv2', '--resolution', '32', '--lut', lut, '--seed', '0', '--out', at(out), ...TINY];

  it('--evaluator supernet trains the single-path supernet and scores evolution members with its weights', async () => {
    const r = await nasInProcess(...base('spos.json'), '--evaluator', 'supernet', '--supernet', at('spos.supernet'), '--supernet-epochs', '1', '--strategy', 'evolution', '--budget', '3');
    expect(r.code, r.stderr).toBe(0);
    const front = JSON.parse(readFileSync(at('spos.json'), 'utf8'));
    expect([front.strategy, front.evaluations]).toEqual(['evolution', 3]);
    for (const m of front.members) expect(m.accuracy).toBeGreaterThanOrEqual(0);
  }, 300_000);

  it.each(['fbnet', 'proxyless'])('--strategy %s (differentiable, on the LUT\'s layer latencies) derives a member of the space', async (strategy) => {
    const r = await nasInProcess(...base(`${strategy}.json`), '--strategy', strategy, '--warmup-epochs', '0', '--search-epochs', '1');
    expect(r.code, r.stderr).toBe(0);
    const front = JSON.parse(readFileSync(at(`${strategy}.json`), 'utf8'));
    expect(front.strategy).toBe(strategy);
    for (const m of front.members) {
      expect(m.architecture.space.id).toBe('shufflenetv2');
      expect(m.latency.ms).toBeGreaterThan(0);
    }
  }, 300_000);
});

describe('nas predict --published NAME --profile-missing on every seed network', () => {
  it.each(SEED_NETS.map((n) => n.name))('%s', async (name) => {
    const r = await nasInProcess('predict', '--lut', lut, '--published', name, '--resolution', '64', '--profile-missing', ...EXACT_MOCK, '--json', ...FAST_TIMING);
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout).predictions[0];
    expect(p.ms).toBeGreaterThan(0);
  }, 120_000);
});
