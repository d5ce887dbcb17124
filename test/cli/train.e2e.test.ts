/** nas train end to end on a tiny slice of Fashion-MNIST: files, --json, bad data, divergence, kill and resume. */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { archToJson } from '../../src/core/arch-file.js';
import { chainArch, classifierHead, convSpec } from '../../src/core/arch.js';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { BUILT, expectStopped, runAndStop } from '../reliability/stop.js';
import { CLI_ARGS, expectUserError, nasInProcess, ROOT, runCli } from './helpers.js';

const TINY = chainArch('tiny', [1, 1, 14, 14], {
  stem: [convSpec(8, 3, 2, 'relu6')],
  blocks: [{ kind: 'mbconv', cout: 16, k: 3, stride: 2, expand: 2, se: 0.25, act: 'hswish', skip: false }],
  head: classifierHead(10),
});

const HAVE_DATA = existsSync(path.join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
let dir: string;
let archFile: string;
/** A tiny slice at 14x14: 256 training and 64 validation images, batches of 32. */
const slice = () => ['--arch', archFile, '--downscale', '2', '--train-images', '320', '--train-validation', '64', '--train-batch', '32'];

/** The model of a run of 150 steps that nobody stopped, made once for the kill tests. */
let whole: string | undefined;
function uninterrupted(): string {
  if (whole) return whole;
  const file = path.join(dir, 'whole.onnx');
  const r = runCli(['train', ...slice(), '--train-steps', '150', '--checkpoint-every', '1', '--out', file, '--json']);
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout).resumedFrom).toBe(0);
  return (whole = file);
}

describe.skipIf(!HAVE_DATA)('nas train', () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hwnas-train-e2e-'));
    archFile = path.join(dir, 'tiny.json');
    writeFileSync(archFile, JSON.stringify(archToJson(TINY)));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    process.exitCode = undefined;
  });

  it('trains, writes the ONNX file, its sidecar and checkpoint, and prints one JSON document', () => {
    const out = path.join(dir, 'net.onnx');
    const r = runCli(['train', ...slice(), '--train-steps', '8', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ out, sidecar: path.join(dir, 'net.json'), checkpoint: `${out}.ckpt`, steps: 8, resumedFrom: 0, input: [1, 1, 14, 14], validationImages: 64, passed: true });
    expect(doc.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(doc.onnxAccuracy).toBe(doc.tfjsAccuracy);
    expect(doc.maxAbsLogit).toBeGreaterThan(0);
    expect(doc.stepsThisRun).toBe(8);
    expect(r.stderr).toMatch(/train tiny: 8\/8/);
    const side = JSON.parse(readFileSync(path.join(dir, 'net.json'), 'utf8'));
    expect(side).toMatchObject({ format: 'hw-nas-trained-net', onnx: 'net.onnx', inputs: [{ name: 'input', shape: [1, 1, 14, 14] }] });
    expect(side.accuracy).toMatchObject({ tfjs: doc.tfjsAccuracy, onnx: doc.onnxAccuracy, images: 64 });
    expect(side.exportCheck.passed).toBe(true);
    expect(side.data).toMatchObject({ dataset: 'fashion-mnist', source: FASHION_MNIST_DIR, downscale: 2, split: { train: 256, validation: 64 }, shape: [14, 14, 1] });
    expect(side.preprocessing.mean).toHaveLength(1);
    expect(side.architecture.layers).toHaveLength(4);
    expect(readFileSync(out).length).toBe(doc.bytes);
    expect(readCheckpoint(`${out}.ckpt`).meta.step).toBe(8);

    // The same command again: the checkpoint holds every step, so it only re-exports the same model.
    const bytes = readFileSync(out);
    const again = runCli(['train', ...slice(), '--train-steps', '8', '--out', out, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ steps: 8, resumedFrom: 8, stepsThisRun: 0, finalLoss: null, tfjsAccuracy: doc.tfjsAccuracy, maxAbsDiff: doc.maxAbsDiff });
    expect(Buffer.compare(readFileSync(out), bytes)).toBe(0);
  });

  it('retargets a space member to the data (input 28x28x1, 10 classes)', () => {
    const out = path.join(dir, 'mbv2.onnx');
    const r = runCli(['train', '--space', 'mbv2', '--random', '--seed', '2', '--resolution', '32', '--train-images', '192', '--train-validation', '64', '--train-steps', '2', '--train-batch', '32', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/validation accuracy \(64 images\): tfjs [\d.]+%, ONNX \(onnxruntime-node\) [\d.]+%/);
    expect(r.stdout).toMatch(/max \|Δlogit\| tfjs vs ONNX: /);
    const side = JSON.parse(readFileSync(path.join(dir, 'mbv2.json'), 'utf8'));
    expect(side.inputs[0].shape).toEqual([1, 1, 28, 28]);
    expect(side.source).toMatchObject({ input: [1, 3, 32, 32], classes: 1000, adaptedTo: { input: [1, 1, 28, 28], classes: 10 } });
    expect(side.exportCheck.passed).toBe(true);
  });

  // The refusals run in this process (no child to start): only the exit code, the message and the files are asserted.
  it('refuses a missing data folder and a corrupt data file with a clear message', async () => {
    const missing = await nasInProcess('train', ...slice(), '--data', path.join(dir, 'no-such-dir'), '--train-steps', '2', '--out', path.join(dir, 'x.onnx'));
    expectUserError(missing, /Fashion-MNIST directory not found: .*no-such-dir[\s\S]*hint: .*--data DIR/);

    const bad = path.join(dir, 'bad-data');
    mkdirSync(bad);
    copyFileSync(path.join(FASHION_MNIST_DIR, 'train-labels-idx1-ubyte.gz'), path.join(bad, 'train-labels-idx1-ubyte.gz'));
    // The image file cut off in the middle of its pixels.
    const images = gunzipSync(readFileSync(path.join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz')));
    writeFileSync(path.join(bad, 'train-images-idx3-ubyte.gz'), gzipSync(images.subarray(0, 16 + 784 * 100 + 300)));
    const corrupt = await nasInProcess('train', ...slice(), '--data', bad, '--train-steps', '2', '--out', path.join(dir, 'y.onnx'));
    expectUserError(corrupt, /train-images-idx3-ubyte\.gz.*truncated/i);
    expect(existsSync(path.join(dir, 'y.onnx'))).toBe(false);
  });

  it('stops a diverging training with a clear message and keeps the last good checkpoint', async () => {
    const out = path.join(dir, 'nan.onnx');
    const r = await nasInProcess('train', ...slice(), '--train-steps', '20', '--train-lr', '100', '--checkpoint-every', '1', '--out', out);
    expectUserError(r, /training diverged: .*not finite at step (\d+).*the last good checkpoint \(step \d+\) is kept in .*nan\.onnx\.ckpt[\s\S]*hint: rerun with a lower --train-lr/);
    const failed = Number(/not finite at step (\d+)/.exec(r.stderr)![1]);
    const ck = readCheckpoint(`${out}.ckpt`);
    expect(ck.meta.step).toBe(failed - 1);
    for (const [name, t] of ck.tensors) expect(t.data.every(Number.isFinite), name).toBe(true);
    expect(existsSync(out)).toBe(false);
  });

  it('a killed training resumes from its checkpoint and ends with the same model as an uninterrupted one', async () => {
    const out = path.join(dir, 'killed.onnx');
    const args = ['train', ...slice(), '--train-steps', '150', '--checkpoint-every', '1', '--out', out, '--json'];
    const child = spawn(process.execPath, [...CLI_ARGS, ...args], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    // Kill it as soon as a checkpoint is on disk (after its first step).
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (existsSync(`${out}.ckpt`)) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        } else if (Date.now() - started > 90_000 || child.exitCode !== null) {
          clearInterval(poll);
          reject(new Error('the training wrote no checkpoint'));
        }
      }, 10);
    });
    await exited;
    expect(existsSync(out)).toBe(false);
    const killedAt = Number(readCheckpoint(`${out}.ckpt`).meta.step);
    expect(killedAt).toBeGreaterThan(0);
    expect(killedAt).toBeLessThan(150);

    const resumed = runCli(args);
    expect(resumed.code, resumed.stderr).toBe(0);
    const doc = JSON.parse(resumed.stdout);
    expect(doc.resumedFrom).toBe(killedAt);
    expect(doc.steps).toBe(150);
    expect(resumed.stderr).toMatch(new RegExp(`resumed from step ${killedAt} of 150`));

    expect(Buffer.compare(readFileSync(out), readFileSync(uninterrupted()))).toBe(0);
  }, 240_000); // with the uninterrupted 150-step run it may make first: 7 s in CI, 127 s at load 58-60 here

  it.runIf(BUILT).each([
    ['SIGTERM', 60],
    ['SIGINT', 110],
  ] as const)('stopped by %s after step %d: exits with the resume line, and the rerun goes on from the last checkpoint to the same model', async (signal, after) => {
    const out = path.join(dir, `${signal}.onnx`);
    const args = ['train', ...slice(), '--train-steps', '150', '--checkpoint-every', '1', '--out', out, '--json'];
    const step = () => (existsSync(`${out}.ckpt`) ? Number(readCheckpoint(`${out}.ckpt`).meta.step) : 0);
    const r = await runAndStop(args, () => step() >= after, signal);
    expectStopped(r, signal, 'train --arch');
    expect(existsSync(out)).toBe(false);
    const stoppedAt = step();
    expect(stoppedAt).toBeGreaterThanOrEqual(after);
    expect(stoppedAt).toBeLessThan(150);
    const resumed = runCli(args);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ resumedFrom: stoppedAt, stepsThisRun: 150 - stoppedAt, steps: 150 });
    expect(Buffer.compare(readFileSync(out), readFileSync(uninterrupted()))).toBe(0);
  }, 240_000);
});
