/**
 * `nas search --strategy darts --space darts` end to end on a Fashion-MNIST slice (14 px padded to 16, a
 * 3-cell C = 2 search network, mock-device LUT of the space at 8 px): second order with the latency
 * term; the front's genotype exports to ONNX and `nas predict` gives it the latency the search reported;
 * bad settings get one clear message each.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { MOCK_DARTS_8, nasInProcess, sharedMockLut } from './helpers.js';

const HAVE_DATA = existsSync(path.join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
const dir = mkdtempSync(path.join(tmpdir(), 'nas-darts-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lut = path.join(dir, 'mock-darts-8.lut.json');
const args = (out: string, ...more: string[]) => [
  'search', '--space', 'darts', '--resolution', '8', '--lut', lut, '--strategy', 'darts', '--out', path.join(dir, out),
  '--train-images', '48', '--train-validation', '8', '--train-batch', '8', '--downscale', '2', '--darts-cells', '3', '--darts-channels', '2', '--search-epochs', '1', ...more,
];

beforeAll(() => sharedMockLut(MOCK_DARTS_8, lut), 120_000);

describe.runIf(HAVE_DATA)('nas search --strategy darts', () => {
  it('second order with a latency term; the derived genotype exports and predicts at the reported latency', async () => {
    const r = await nasInProcess(...args('front.json', '--darts-order', '2', '--latency-weight', '1', '--arch-lr', '0.05', '--json'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/darts epoch 1\/1: weight loss \d+\.\d+, val loss \d+\.\d+ \(order 2\), E\[LAT\] \d+\.\d+ ms \(relaxed cells\), derived \d+\.\d+ ms \(LUT predictor\), supernet accuracy \d+\.\d+%/);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ strategy: 'darts', space: { id: 'darts' }, front: [{ name: out.best.name }] });
    expect(out.best.name).toMatch(/^darts@8:(\|[a-z0-9_]+~\d\|[a-z0-9_]+~\d\|\+?){4}\/(\|[a-z0-9_]+~\d\|[a-z0-9_]+~\d\|\+?){4}$/);
    expect(out.summary).toMatch(/^darts \(order 2, proxyless-add latency term 1\): 1 search epoch\(s\)/);
    for (const leftover of ['front.json.ckpt.json', 'front.json.supernet.ckpt']) expect(existsSync(path.join(dir, leftover))).toBe(false);

    const exp = await nasInProcess('export', '--front', path.join(dir, 'front.json'), '--select', 'best', '--out', path.join(dir, 'exported'));
    expect(exp.code, exp.stderr).toBe(0);
    const archFile = path.join(dir, 'exported', readdirSync(path.join(dir, 'exported')).find((f) => f.endsWith('.json'))!);
    expect(JSON.parse(readFileSync(archFile, 'utf8')).space.id).toBe('darts');
    const p = await nasInProcess('predict', '--lut', lut, '--arch', archFile, '--json');
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).predictions[0].ms).toBeCloseTo(out.best.latency.ms, 9);
  }, 300_000);

  it.each([
    [['--darts-order', '3'], /--darts-order must be 1 \(first order, ξ = 0\) or 2 \(unrolled, second order\), got 3/],
    [['--darts-xi', '0.1'], /--darts-xi is the unrolled step of --darts-order 2/],
    [['--latency-weight', '-1'], /--latency-weight must be a number ≥ 0 \(0 ignores latency\), got -1/],
    [['--tau', '1'], /--tau is the Gumbel-softmax temperature of --strategy fbnet/],
  ])('refuses %j with one clear message', async (more, message) => {
    const r = await nasInProcess(...args('bad.json', ...more));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
