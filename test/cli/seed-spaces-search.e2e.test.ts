/**
 * `nas search --space S` on every seed space but the cell spaces (issue 11; darts and nasnet have their own files)
 * with every strategy that searches any space through its decisions: random, evolution, nsga2 and the mnasnet RL
 * controller, on a mock-device LUT of that space (`nas profile --space S`), at 32 px. On `shufflenetv2` and `fbnet`,
 * the layer-wise ones (fbnet's head width a choice point of its own), also the single-path supernet evaluator and
 * the differentiable fbnet / proxyless strategies, and on fbnet NIR's layer assignment, on a tiny Fashion-MNIST
 * slice. Every pairing of a seed space with a strategy (or the supernet evaluator) that does not apply is refused
 * with one UserError naming why and what to use. And `nas predict --published NAME --profile-missing` for every
 * seed network: what the LUT lacks is measured into it first.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { SEED_NETS } from '../../src/spaces/seed-nets/index.js';
import { scratchRoot } from '../fixtures/scratch.js';
import { EXACT_MOCK, FAST_TIMING, nasInProcess } from './helpers.js';

// On tmpfs where there is room (test/fixtures/scratch.ts): its mock LUT's fsyncs were half its profiles' time in /tmp.
const dir = mkdtempSync(path.join(scratchRoot(), 'hwnas-seed-search-'));
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
if (!HAVE_DATA) console.warn(`supernet, differentiable and NIR search on shufflenetv2 and fbnet skipped: no Fashion-MNIST in ${FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist)`);
// The smallest slice that fills one batch of each split: 20 training images (16 for the weights, 4 for α in the
// differentiable searches), batches of 4, 8 validation images. What is checked is that each pairing runs and
// yields members of its space, not what they learn (was 96/16 in batches of 8: 8 + 2 steps an epoch).
const TINY = ['--train-images', '28', '--train-validation', '8', '--train-batch', '4', '--downscale', '4'];

// The layer-wise seed spaces (src/core/layerwise.ts): fbnet's head width is its own choice point.
describe.runIf(HAVE_DATA).each(['shufflenetv2', 'fbnet'])('nas search --space %s with a supernet', (space) => {
  const base = (out: string) => ['search', '--space', space, '--resolution', '32', '--lut', lut, '--seed', '0', '--out', at(`${space}-${out}`), ...TINY];
  const read = (out: string) => JSON.parse(readFileSync(at(`${space}-${out}`), 'utf8'));

  it('--evaluator supernet trains the single-path supernet (SPOS) and scores evolution members with its weights', async () => {
    // fbnet's group-2 pointwise convs do not nest in one shared kernel: its supernet keeps own weights per option (FBNet's own).
    const sharing = space === 'fbnet' ? ['--supernet-sharing', 'independent'] : [];
    const r = await nasInProcess(...base('spos.json'), '--evaluator', 'supernet', '--supernet', at(`${space}.supernet`), '--supernet-epochs', '1', ...sharing, '--strategy', 'evolution', '--budget', '3');
    expect(r.code, r.stderr).toBe(0);
    const front = read('spos.json');
    expect([front.strategy, front.evaluations]).toEqual(['evolution', 3]);
    for (const m of front.members) expect(m.accuracy).toBeGreaterThanOrEqual(0);
  }, 300_000);

  it.each(['fbnet', 'proxyless'])('--strategy %s (differentiable, on the LUT\'s layer latencies) derives a member of the space', async (strategy) => {
    const r = await nasInProcess(...base(`${strategy}.json`), '--strategy', strategy, '--warmup-epochs', '0', '--search-epochs', '1');
    expect(r.code, r.stderr).toBe(0);
    const front = read(`${strategy}.json`);
    expect(front.strategy).toBe(strategy);
    for (const m of front.members) {
      expect(m.architecture.space.id).toBe(space);
      expect(m.latency.ms).toBeGreaterThan(0);
    }
  }, 300_000);
});

describe.runIf(HAVE_DATA)('nas search --space fbnet --strategy nir', () => {
  it('assigns layers to FBNet\'s stages (layer1 a stage of 0 or 1 layers, the head at 1984)', async () => {
    const out = at('fbnet-nir.json');
    const r = await nasInProcess(
      'search', '--space', 'fbnet', '--resolution', '32', '--lut', lut, '--strategy', 'nir', '--evaluator', 'train', '--target-ms', '1000',
      '--nir-root-steps', '2', '--nir-steps', '1', '--budget', '1', '--seed', '0', '--out', out, ...TINY,
    );
    expect(r.code, r.stderr).toBe(0);
    const front = JSON.parse(readFileSync(out, 'utf8'));
    expect(front.strategy).toBe('nir');
    for (const m of front.members) {
      expect(m.architecture.space.id).toBe('fbnet');
      expect(m.encoding.at(-1)).toBe(0);
    }
  }, 300_000);
});

// Where a strategy (or the supernet evaluator) does not apply, one UserError (exit 2) says why and what to use, before the LUT is read.
describe('strategies that do not apply to a seed space refuse it', () => {
  const LAYERWISE = /is not layer-wise, so --strategy (fbnet|proxyless) has no layers to mix: [^\n]+\nhint: layer-wise spaces [^\n]* are mbv2, proxyless, fbnet, shufflenetv2; on space '[\w-]+' use --strategy evolution, nsga2, random or mnasnet/;
  const SUPERNET = /is not layer-wise, so a single-path supernet cannot hold it: [^\n]+\nhint: layer-wise spaces [^\n]*; score its members with --evaluator train, proxy or command/;
  const NO_DEPTHS = /has no stage depths to assign[^\n]*\nhint: use --space mbv2/;
  it.each([
    ...['shufflenetv2-channels', 'regnet', 'anynet', 'anynet-e', 'darts', 'nasnet'].flatMap((space) => [
      [space, ['--strategy', 'fbnet'], LAYERWISE],
      [space, ['--strategy', 'proxyless'], LAYERWISE],
      [space, ['--strategy', 'evolution', '--evaluator', 'supernet', '--supernet', at('never.supernet')], SUPERNET],
    ]),
    ['darts', ['--strategy', 'fbnet'], /or --strategy darts \(differentiable, on its cells\)/],
    ['fbnet', ['--strategy', 'evolution', '--evaluator', 'supernet', '--supernet', at('never.supernet')], /layer1: nested weight sharing [^\n]*option k3_e1_g2's conv 'project' is grouped \(2 groups\)[^\n]*\nhint: use --supernet-sharing independent/],
    ...['shufflenetv2', 'shufflenetv2-channels', 'darts', 'nasnet'].map((space) => [space, ['--strategy', 'nir', '--evaluator', 'train'], NO_DEPTHS]),
    ['regnet', ['--strategy', 'nir', '--evaluator', 'train'], /regnet's stage depths follow from one total depth d[^\n]*\nhint: use --space anynet-e/],
    ...['nasnet', 'fbnet', 'regnet'].map((space) => [space, ['--strategy', 'darts'], new RegExp(`--strategy darts searches the DARTS cell space, not '${space}'\nhint: use --space darts`)]),
    // netadapt adapts one network: without --start it needs the space's MobileNetV2-style member (k3e6 in every layer).
    ...['shufflenetv2', 'fbnet', 'regnet', 'anynet', 'darts', 'nasnet'].map((space) => [
      space, ['--strategy', 'netadapt', '--evaluator', 'train', '--target-ms', '1'], new RegExp(`netadapt: space '${space}' has no MobileNetV2-style member[^\n]*\nhint: give the start network with --start ARCH.json or a published net`),
    ]),
  ] as [string, string[], RegExp][])('--space %s %j', async (space, flags, message) => {
    const r = await nasInProcess('search', '--space', space, '--resolution', '32', '--lut', at('no-such.lut.json'), ...flags, '--out', at('refused.json'));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});

describe('nas predict --published NAME --profile-missing on every seed network', () => {
  it.each(SEED_NETS.map((n) => n.name))('%s', async (name) => {
    const r = await nasInProcess('predict', '--lut', lut, '--published', name, '--resolution', '64', '--profile-missing', ...EXACT_MOCK, '--json', ...FAST_TIMING);
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout).predictions[0];
    expect(p.ms).toBeGreaterThan(0);
  }, 120_000);
});
