/**
 * Kill and resume of nas search --strategy nir: stopped with SIGKILL in the middle of level 2's training
 * and with SIGTERM in the middle of level 3's, each rerun continues after the last finished level (its
 * level lines are not printed again), the running level resumes from its loop checkpoint, and the front
 * equals an uninterrupted run's (names, encodings, accuracies). Tiny Fashion-MNIST slice at 7x7.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { BUILT, expectStopped, runAndStop, runToEnd } from './stop.js';

const HAVE_DATA = existsSync(path.join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
const dir = mkdtempSync(path.join(tmpdir(), 'nas-kill-nir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const front = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { best: string; members: { name: string; encoding: number[]; accuracy: number }[] }).members;

describe.runIf(BUILT && HAVE_DATA)('nir search stopped and run again', () => {
  it('SIGKILL in level 2, SIGTERM in level 3: each rerun goes on after the last finished level; the front equals an uninterrupted run’s', async () => {
    const args = (out: string) => [
      'search', '--space', 'anynet', '--resolution', '32', '--strategy', 'nir', '--evaluator', 'train', '--objective', 'macs', '--max-macs', '2.6M',
      '--train-images', '192', '--train-validation', '32', '--downscale', '4', '--train-batch', '16', '--nir-root-steps', '2', '--nir-steps', '4', '--out', out,
    ];
    const wholeOut = path.join(dir, 'whole.json');
    const whole = runToEnd(args(wholeOut));
    expect(whole.stderr).toMatch(/nir: level 3: /);
    const out = path.join(dir, 'front.json');
    const killed = await runAndStop(args(out), (e) => e.includes('nir level 2: step 2/4'), 'SIGKILL');
    expectStopped(killed, 'SIGKILL', 'search');
    expect(killed.stderr).not.toContain('nir: level 2:');
    const termed = await runAndStop(args(out), (e) => e.includes('nir level 3: step 2/4'), 'SIGTERM');
    expectStopped(termed, 'SIGTERM', 'search --space anynet');
    expect(termed.stderr).toContain('nir: resumed after level 1');
    expect(termed.stderr).not.toMatch(/nir: level [01]:/);
    expect(termed.stderr).toContain('nir: level 2:');
    const last = runToEnd(args(out));
    expect(last.stderr).toContain('nir: resumed after level 2');
    expect(last.stderr).not.toMatch(/nir: level [012]:/);
    expect(front(out)).toEqual(front(wholeOut));
    for (const leftover of ['.ckpt.json', '.nir-level2.ckpt', '.nir-level3.ckpt', '.lock']) expect(existsSync(out + leftover), leftover).toBe(false);
  }, 600_000);
});
