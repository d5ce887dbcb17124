/**
 * Kill and resume of the searches that train: the differentiable one (proxyless; fbnet is the same
 * DifferentiableSearch with another relaxation) and netadapt. Training steps are not saved one by one:
 * these searches checkpoint at a boundary (differentiable: every epoch, supernet weights, optimiser and
 * architecture parameters; netadapt: the start network, then every iteration's weights), and what they
 * guarantee is that a stopped run continues from its last boundary and ends exactly like an
 * uninterrupted run (same seed). netadapt is stopped twice (SIGKILL after the start network, SIGTERM
 * after iteration 1), proxyless once (SIGTERM mid-epoch; a SIGKILL loses the same, the running epoch):
 * each rerun starts after the last boundary passed (no finished epoch or iteration is done again) and
 * the front equals the uninterrupted run's. Tiny data (Fashion-MNIST slices at 7x7 and 14x14), a few steps per epoch.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { archToJson } from '../../src/core/arch-file.js';
import type { Architecture } from '../../src/core/arch.js';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { MOCK_MBV2_32, sharedMockLut } from '../cli/helpers.js';
import { BUILT, expectStopped, runAndStop, runToEnd } from './stop.js';

const HAVE_DATA = existsSync(path.join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
const dir = mkdtempSync(path.join(tmpdir(), 'nas-kill-train-search-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const front = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { members: { name: string; encoding: number[]; accuracy: number; latency: { ms: number } }[] }).members;
const count = (text: string, re: RegExp) => text.match(new RegExp(re.source, 'g'))?.length ?? 0;

describe.runIf(BUILT && HAVE_DATA)('differentiable search (proxyless) stopped and run again', () => {
  it('SIGTERM during epoch 2: exit 143 with the resume line; the rerun starts at epoch 2 and its front equals an uninterrupted run’s', async () => {
    const lut = path.join(dir, 'mock-mbv2.lut.json');
    // The mock LUT of differentiable-search and search/cli (these very arguments), profiled once per run.
    await sharedMockLut(MOCK_MBV2_32, lut);
    const args = (out: string) => [
      'search', '--space', 'mbv2', '--resolution', '32', '--lut', lut, '--strategy', 'proxyless', '--warmup-epochs', '0', '--search-epochs', '2', '--arch-lr', '0.05',
      '--train-images', '64', '--train-validation', '8', '--train-batch', '8', '--downscale', '4', '--out', out,
    ];
    const wholeOut = path.join(dir, 'whole-proxyless.json');
    runToEnd(args(wholeOut));
    const out = path.join(dir, 'proxyless.json');
    const stopped = await runAndStop(args(out), (e) => e.includes('proxyless epoch 1/2'), 'SIGTERM');
    expectStopped(stopped, 'SIGTERM', 'search --space mbv2');
    expect(stopped.stderr).not.toContain('epoch 2/2');
    const last = runToEnd(args(out));
    expect([1, 2].map((e) => count(last.stderr, new RegExp(`proxyless epoch ${e}/2`)))).toEqual([0, 1]); // epoch 1 is not trained again
    expect(last.stderr).toMatch(/resumed from checkpoint: 1 evaluation\(s\) reused/);
    expect(front(out)).toEqual(front(wholeOut));
    for (const leftover of ['.ckpt.json', '.supernet.ckpt', '.lock']) expect(existsSync(out + leftover), leftover).toBe(false);
  }, 400_000);
});

/** 14x14 Fashion-MNIST: a stem conv, two MBConv blocks (one with SE), head conv, pool, linear. */
const TINY: Architecture = {
  name: 'tiny',
  input: [1, 1, 14, 14],
  dtype: 'f32',
  layers: [
    { role: 'stem', spec: { kind: 'conv', cout: 16, k: 3, stride: 2, groups: 1, dilation: 1, act: 'relu6' } },
    { role: 'block', spec: { kind: 'mbconv', cout: 16, k: 3, stride: 1, expand: 3, se: 0, act: 'relu6', skip: true } },
    { role: 'block', spec: { kind: 'mbconv', cout: 24, k: 3, stride: 2, expand: 3, se: 0.25, act: 'relu6', skip: false } },
    { role: 'head', spec: { kind: 'conv', cout: 64, k: 1, stride: 1, groups: 1, dilation: 1, act: 'relu6' } },
    { role: 'head', spec: { kind: 'gpool', mode: 'avg' } },
    { role: 'head', spec: { kind: 'linear', cout: 10, act: 'none' } },
  ],
};

describe.runIf(BUILT && HAVE_DATA)('netadapt stopped twice and run again', () => {
  it('SIGKILL after the start network, SIGTERM after iteration 1: the reruns go on from there; the front equals an uninterrupted run’s', async () => {
    const arch = path.join(dir, 'tiny.json');
    writeFileSync(arch, JSON.stringify(archToJson(TINY)));
    // The LUT holds the start network's ops only: netadapt profiles the widths it tries (mock device:
    // seeded synthetic timings, the same in every run).
    const lut0 = path.join(dir, 'start.lut.json');
    runToEnd(['profile', '--device', 'mock', '--arch', arch, '--calibrate', '0', '--out', lut0]);
    const args = (out: string, lut: string) => [
      'search', '--space', 'mbv2', '--resolution', '32', '--strategy', 'netadapt', '--evaluator', 'train', '--lut', lut, '--start', arch, '--target-ms', '0.17',
      '--train-images', '600', '--train-validation', '200', '--downscale', '2', '--train-batch', '32', '--start-epochs', '1',
      '--netadapt-step', '0.1', '--netadapt-decay', '0.9', '--netadapt-short-steps', '3', '--netadapt-long-steps', '5', '--budget', '10', '--out', out,
    ];
    const wholeLut = path.join(dir, 'whole-netadapt.lut.json');
    const lut = path.join(dir, 'netadapt.lut.json');
    copyFileSync(lut0, wholeLut);
    copyFileSync(lut0, lut);
    const wholeOut = path.join(dir, 'whole-netadapt.json');
    const whole = runToEnd(args(wholeOut, wholeLut));
    expect(whole.stderr).toMatch(/netadapt: iteration 2: /); // at least two iterations, so the second stop lands mid-run
    const out = path.join(dir, 'netadapt.json');

    const first = await runAndStop(args(out, lut), (e) => e.includes('netadapt: start network '), 'SIGKILL');
    expectStopped(first, 'SIGKILL', 'search');
    expect(first.stderr).not.toContain('netadapt: iteration 1:');
    const second = await runAndStop(args(out, lut), (e) => e.includes('netadapt: iteration 1:'), 'SIGTERM');
    expectStopped(second, 'SIGTERM', 'search --space mbv2');
    expect(second.stderr).not.toContain('netadapt: final network');
    const last = runToEnd(args(out, lut));
    expect(last.stderr).toMatch(/netadapt: resumed after iteration 1 /);
    expect(last.stderr).not.toContain('netadapt: iteration 1:');
    expect(front(out)).toEqual(front(wholeOut));
    // The widths profiled along the way: the same entries with the same (seeded) timings.
    const timings = (file: string) => Object.entries(JSON.parse(readFileSync(file, 'utf8')).entries as Record<string, { net: number }>).map(([k, e]) => [k, e.net]).sort();
    expect(timings(lut)).toEqual(timings(wholeLut));
  }, 400_000);
});
