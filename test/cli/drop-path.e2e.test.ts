/**
 * ScheduledDropPath end to end: `nas train` of small NASNet and DARTS networks drops cell paths by default
 * (0.2, reported in the sidecar), takes `--drop-path P` and `--drop-path 0`, and the exported ONNX still matches
 * the trained network (drop-path is off at evaluation and absent from the export). A network without cells
 * refuses a drop-path it could not apply.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { archToJson } from '../../src/core/arch-file.js';
import { Rng } from '../../src/core/rng.js';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { createDartsSpace } from '../../src/spaces/darts.js';
import { createNasnetSpace } from '../../src/spaces/nasnet.js';
import { expectUserError, nasInProcess, runCli } from './helpers.js';

const HAVE_DATA = existsSync(path.join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
let dir: string;

// Fashion-MNIST down-scaled by 7 is 4x4: even at both reductions (4 -> 2 -> 1).
const TINY = ['--downscale', '7', '--train-images', '48', '--train-validation', '16', '--train-batch', '16', '--train-steps', '3', '--json'];

function archFile(name: string, arch: unknown): string {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(arch));
  return file;
}

describe.skipIf(!HAVE_DATA)('nas train with ScheduledDropPath', () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hwnas-droppath-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const nasnet = () => {
    const space = createNasnetSpace({ resolution: 8, normalCells: 1, filters: 4 });
    return archFile('nasnet', archToJson(space.build(space.sample(new Rng(3)))));
  };
  const darts = () => {
    const space = createDartsSpace({ resolution: 8, cells: 3, channels: 4 });
    return archFile('darts', archToJson(space.build(space.sample(new Rng(3)))));
  };

  it.each([
    { name: 'nasnet', make: nasnet, flags: [] as string[], want: 0.2 },
    { name: 'darts', make: darts, flags: ['--drop-path', '0.3'], want: 0.3 },
    { name: 'nasnet', make: nasnet, flags: ['--drop-path', '0'], want: 0 },
  ])('$name with flags $flags: trains with drop-path $want and the ONNX export matches the trained network', ({ name, make, flags, want }) => {
    const out = path.join(dir, `${name}-${want}.onnx`);
    const r = runCli(['train', '--arch', make(), ...TINY, ...flags, '--out', out], { timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ steps: 3, passed: true, dropPath: want });
    expect(doc.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(JSON.parse(readFileSync(out.replace(/\.onnx$/, '.json'), 'utf8')).training.dropPath).toBe(want);
  }, 300_000);

  afterEach(() => {
    process.exitCode = undefined;
  });

  // In this process (the same check, no child to start): only the exit code and the message are asserted.
  it('refuses --drop-path for a network without cells, and outside [0, 1)', async () => {
    const out = path.join(dir, 'plain.onnx');
    expectUserError(await nasInProcess('train', '--published', 'MobileNetV2-1.0', ...TINY, '--drop-path', '0.2', '--out', out), /has none, so --drop-path 0.2 would change nothing/);
    expectUserError(await nasInProcess('train', '--arch', nasnet(), ...TINY, '--drop-path', '1', '--out', out), /--drop-path must be a probability in \[0, 1\), got 1/);
    expectUserError(await nasInProcess('search', '--space', 'nasnet', '--lut', path.join(dir, 'none.lut.json'), '--evaluator', 'proxy', '--drop-path', '0.2', '--budget', '2', '--out', path.join(dir, 'f.json')), /--drop-path is only used with --evaluator train/);
  });
});
