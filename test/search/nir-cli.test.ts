/** nas search --strategy nir end to end (real CLI, tiny Fashion-MNIST slice, MACs as the objective: no LUT needed). */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { readFrontFile } from '../../src/search/front-file.js';
import { expectUserError, nasInProcess, runCli } from '../cli/helpers.js';

const HAVE_DATA = existsSync(path.join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));

describe.runIf(HAVE_DATA)('nas search --strategy nir (CLI)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nir-cli-'));
  const args = (out: string, ...more: string[]) => [
    'search', '--space', 'anynet', '--resolution', '32', '--strategy', 'nir', '--evaluator', 'train', '--objective', 'macs',
    '--train-images', '192', '--train-validation', '32', '--downscale', '4', '--train-batch', '16', '--nir-root-steps', '2', '--nir-steps', '1', '--out', out, ...more,
  ];

  it('grows assignments under --max-macs, writes a front whose winner nas export --arch turns into ONNX', () => {
    const out = path.join(dir, 'front.json');
    const r = runCli([...args(out, '--max-macs', '2.5M', '--json')], { timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/nir: level 0: 1 assignment\(s\) scored; best 1-1-1-1/);
    expect(r.stderr).toMatch(/nir: level 1: 4 assignment\(s\) scored/);
    expect(r.stderr).toMatch(/nir: stopped at level \d+: none of the \d+ deeper assignment\(s\) is within the budget/);
    const doc = JSON.parse(r.stdout);
    expect(doc.strategy).toBe('nir');
    expect(doc.best.metrics.macs).toBeLessThanOrEqual(2.5e6);
    const front = readFrontFile(out);
    expect(front.strategy).toBe('nir');
    expect(front.target).toEqual({ latencyMs: 2.5 }); // --objective macs: the limit is the target, in M MACs
    const best = front.members.find((m) => m.name === front.best)!;
    expect(best.name).toBe(doc.best.name);
    const arch = path.join(dir, 'winner.json');
    writeFileSync(arch, JSON.stringify(best.architecture));
    const onnx = path.join(dir, 'winner.onnx');
    const e = runCli(['export', '--arch', arch, '--out', onnx]);
    expect(e.code, e.stderr).toBe(0);
    expect(existsSync(onnx)).toBe(true);
    expect(existsSync(`${out}.ckpt.json`)).toBe(false);
    for (let l = 0; l < 8; l++) expect(existsSync(`${out}.nir-level${l}.ckpt`)).toBe(false);
  }, 300_000);

  afterEach(() => {
    process.exitCode = undefined;
  });

  // In this process (the same checks, no children to start): only exit codes and messages are asserted.
  it('refuses a budget the shallowest assignment already exceeds, naming what it needs; refuses another evaluator and regnet', async () => {
    const out = path.join(dir, 'bad.json');
    expectUserError(await nasInProcess(...args(out, '--max-macs', '1.7M')), /shallowest layer assignment 1-1-1-1 of space 'anynet' .* is already over the budget: 1\.8391 M MACs > the limit 1\.7 M MACs\n.*at least .*1\.839M MACs/);
    const table = await nasInProcess(...args(out, '--max-macs', '3M').map((a) => (a === 'train' ? 'proxy' : a)));
    expectUserError(table, /nir scores assignments by training its own depth supernet/);
    expectUserError(await nasInProcess(...args(out, '--max-macs', '3G').map((a) => (a === 'anynet' ? 'regnet' : a))), /regnet's stage depths follow from one total depth/);
  }, 120_000);
});
