/**
 * nas train end to end on the blocks whose primitives need the general training modules: a dilated
 * conv (DARTS dil_conv), a factorized 1×k / k×1 conv, a grouped bottleneck (ResNeXt / RegNet), a
 * ceil-mode max pool with explicit padding (SqueezeNet / GoogLeNet), layer and instance norm. Two steps
 * on a tiny Fashion-MNIST slice; the command's own check (exported ONNX against the trained net) passes.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archToJson } from '../../src/core/arch-file.js';
import type { Architecture } from '../../src/core/arch.js';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { runCli } from './helpers.js';

const GENERAL: Architecture = {
  name: 'general-prims',
  input: [1, 1, 14, 14],
  dtype: 'f32',
  layers: [
    { role: 'stem', spec: { kind: 'conv', cout: 8, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' } },
    { role: 'block', spec: { kind: 'dilconv', cout: 8, k: 3, stride: 1, dilation: 2 } },
    { role: 'block', spec: { kind: 'factconv', cout: 8, k: 3, stride: 1 } },
    { role: 'block', spec: { kind: 'pool', mode: 'max', k: 3, stride: 2, pad: 1, ceil: true } },
    { role: 'block', spec: { kind: 'bottleneck', cout: 16, stride: 2, mid: 8, groups: 2, se: 0 } },
    { role: 'block', spec: { kind: 'norm', mode: 'layer' } },
    { role: 'block', spec: { kind: 'norm', mode: 'instance' } },
    { role: 'head', spec: { kind: 'gpool', mode: 'avg' } },
    { role: 'head', spec: { kind: 'linear', cout: 10, act: 'none' } },
  ],
};

const HAVE_DATA = existsSync(path.join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
let dir: string;

describe.skipIf(!HAVE_DATA)('nas train on dilated, factorized, grouped convs, ceil pools and norms', () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hwnas-train-general-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains two steps and the exported ONNX matches the trained network', () => {
    const archFile = path.join(dir, 'general.json');
    writeFileSync(archFile, JSON.stringify(archToJson(GENERAL)));
    const out = path.join(dir, 'general.onnx');
    const r = runCli(['train', '--arch', archFile, '--downscale', '2', '--train-images', '48', '--train-validation', '16', '--train-batch', '16', '--train-steps', '2', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ steps: 2, passed: true, validationImages: 16 });
    expect(doc.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(doc.onnxAccuracy).toBe(doc.tfjsAccuracy);
  });
});
