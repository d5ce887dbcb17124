/**
 * Kill and resume of `nas search --strategy darts --space darts`, with real signals (the unit test in
 * test/search/darts.test.ts throws after an epoch instead). DARTS checkpoints at each epoch's end
 * (weights, α, both optimisers, the derived genotypes so far) and yields to signals between steps,
 * like proxyless (training-search-kill.e2e.test.ts): a stopped run continues from its last finished
 * epoch and ends exactly like an uninterrupted run (same seed). Stopped twice: SIGKILL once epoch 1's
 * checkpoint is written, SIGTERM during epoch 3; no finished epoch is trained again and the front equals
 * the uninterrupted run's. Tiny settings (those of test/cli/darts-search.e2e.test.ts): 48 Fashion-MNIST
 * images at 8 px, a 3-cell C = 2 search network, 3 search epochs of a few steps each.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { MOCK_DARTS_8, sharedMockLut } from '../cli/helpers.js';
import { BUILT, expectStopped, runAndStop, runToEnd } from './stop.js';

const HAVE_DATA = existsSync(path.join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
const dir = mkdtempSync(path.join(tmpdir(), 'nas-kill-darts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const front = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { members: { name: string; encoding: number[]; accuracy: number; latency: { ms: number } }[] }).members;
const count = (text: string, re: RegExp) => text.match(new RegExp(re.source, 'g'))?.length ?? 0;
const epochs = (stderr: string) => [1, 2, 3].map((e) => count(stderr, new RegExp(`darts epoch ${e}/3:`)));

describe.runIf(BUILT && HAVE_DATA)('darts search stopped twice and run again', () => {
  it('SIGKILL after epoch 1, SIGTERM during epoch 3 (exit 143, resume line): each rerun starts after the last finished epoch; the front equals an uninterrupted run’s', async () => {
    const lut = path.join(dir, 'mock-darts-8.lut.json');
    // The exact mock LUT of darts.test and darts-search.e2e (these very arguments), profiled once per run.
    await sharedMockLut(MOCK_DARTS_8, lut);
    const args = (out: string) => [
      'search', '--space', 'darts', '--resolution', '8', '--lut', lut, '--strategy', 'darts', '--warmup-epochs', '0', '--search-epochs', '3', '--arch-lr', '0.05',
      '--train-images', '48', '--train-validation', '8', '--train-batch', '8', '--downscale', '2', '--darts-cells', '3', '--darts-channels', '2', '--out', out,
    ];
    const wholeOut = path.join(dir, 'whole-darts.json');
    const whole = runToEnd(args(wholeOut));
    expect(epochs(whole.stderr)).toEqual([1, 1, 1]);
    const out = path.join(dir, 'darts.json');

    // The epoch line is printed after that epoch's checkpoint is written.
    const first = await runAndStop(args(out), (e) => e.includes('darts epoch 1/3:'), 'SIGKILL');
    expectStopped(first, 'SIGKILL', 'search');
    expect(first.stderr).not.toContain('darts epoch 3/3:');
    expect(existsSync(`${out}.supernet.ckpt`)).toBe(true);
    const second = await runAndStop(args(out), (e) => e.includes('darts epoch 2/3:'), 'SIGTERM');
    expectStopped(second, 'SIGTERM', 'search --space darts');
    expect(epochs(second.stderr)).toEqual([0, 1, 0]); // resumed after epoch 1, stopped before epoch 3 ended
    const last = runToEnd(args(out));
    expect(epochs(last.stderr)).toEqual([0, 0, 1]); // epochs 1 and 2 are not trained again
    expect(last.stderr).toMatch(/resumed from checkpoint: 2 evaluation\(s\) reused/);
    expect(front(out)).toEqual(front(wholeOut));
    for (const leftover of ['.ckpt.json', '.supernet.ckpt', '.lock']) expect(existsSync(out + leftover), leftover).toBe(false);
  }, 400_000);
});
