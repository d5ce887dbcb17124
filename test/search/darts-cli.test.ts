/**
 * `nas search` with a strategy that searches only some spaces (darts: the darts space; nir: spaces with
 * stage depths; fbnet/proxyless: layer-wise spaces) on another space says so first, with exit 2, before
 * the LUT is read: a darts LUT on nb201 or mbv2 used to fail on the LUT's coverage of the space, whose
 * hint (profile the space) leads nowhere. And darts's `best` follows the rule of every strategy: the
 * derived genotype (the front, alone) unless it misses --target-ms. Mock-device LUT of the darts space
 * at 8 px (synthetic timings: a fixture, not a measurement); a Fashion-MNIST slice for the one search.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { readFrontFile } from '../../src/search/front-file.js';
import { mockLutFixture, nasInProcess } from '../cli/helpers.js';

const HAVE_DATA = existsSync(path.join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
const { at, lut } = mockLutFixture('nas-darts-cli-', ['--space', 'darts', '--resolution', '8'], 120_000);

describe('a strategy on a space it does not search', () => {
  it.each([
    ['darts', 'nb201', /--strategy darts searches the DARTS cell space, not 'nb201'\nhint: use --space darts/],
    ['darts', 'mbv2', /--strategy darts searches the DARTS cell space, not 'mbv2'\nhint: use --space darts/],
    ['nir', 'nb201', /space 'nb201' has no stage depths to assign[^\n]*\nhint: use --space mbv2/],
    ['fbnet', 'nb201', /space 'nb201' is not layer-wise, so --strategy fbnet has no layers to mix/],
    ['proxyless', 'nb201', /space 'nb201' is not layer-wise, so --strategy proxyless has no layers to mix/],
  ])('--strategy %s --space %s with a darts LUT: the strategy’s message, exit 2, not the LUT’s coverage', async (strategy, space, message) => {
    const r = await nasInProcess('search', '--strategy', strategy, '--space', space, '--lut', lut, '--evaluator', 'train', '--out', at(`${strategy}-${space}.json`));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/does not cover space/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('on its own space the LUT’s coverage is still checked', async () => {
    const r = await nasInProcess('search', '--strategy', 'darts', '--space', 'darts', '--resolution', '16', '--lut', lut, '--out', at('darts-16.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/LUT .* does not cover space 'darts' at resolution 16/);
  });
});

describe.runIf(HAVE_DATA)('darts best', () => {
  it('a derived genotype over --target-ms is the front but not best (no member within the target)', async () => {
    const out = at('target.json');
    const r = await nasInProcess(
      'search', '--space', 'darts', '--resolution', '8', '--lut', lut, '--strategy', 'darts', '--target-ms', '0.001', '--out', out, '--json',
      '--train-images', '40', '--train-validation', '8', '--train-batch', '8', '--downscale', '4', '--darts-cells', '3', '--darts-channels', '2', '--search-epochs', '1',
    );
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.front).toHaveLength(1);
    expect(result.front[0].latency.ms).toBeGreaterThan(0.001);
    expect(result.best).toBeNull();
    const front = readFrontFile(out);
    expect(front.best).toBeNull();
    expect(front.members.map((m) => m.name)).toEqual([result.front[0].name]);
  }, 180_000);
});
