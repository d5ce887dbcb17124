import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chainArch, classifierHead, convSpec } from '../../src/core/arch.js';
import { readFrontFile } from '../../src/search/front-file.js';
import { expectUserError, nasInProcess, runCli } from '../cli/helpers.js';

const TINY = {
  format: 'hw-nas-arch',
  version: 1,
  ...chainArch('tiny-cli', [1, 1, 14, 14], {
    stem: [convSpec(16, 3, 2, 'relu6')],
    blocks: [{ kind: 'mbconv', cout: 24, k: 3, stride: 2, expand: 3, se: 0, act: 'relu6', skip: false }],
    head: [convSpec(48, 1, 1, 'relu6'), ...classifierHead(10)],
  }),
};

describe('nas search --strategy netadapt (CLI, tiny Fashion-MNIST slice, mock device)', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  // The fixture LUT and the two refusals run in this process (no children to start; only exit codes and messages
  // are asserted of them); the search, export and verify that the test is about stay real processes.
  it('runs, writes a front of its own architectures that nas export --front and nas verify read', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'netadapt-cli-'));
    const arch = path.join(dir, 'tiny.json');
    writeFileSync(arch, JSON.stringify(TINY));
    const lut = path.join(dir, 'mock.lut.json');
    expect((await nasInProcess('profile', '--device', 'mock', '--arch', arch, '--out', lut)).code).toBe(0);
    const out = path.join(dir, 'front.json');
    const args = ['search', '--space', 'mbv2', '--resolution', '32', '--strategy', 'netadapt', '--evaluator', 'train', '--lut', lut, '--start', arch,
      '--train-images', '400', '--train-validation', '100', '--downscale', '2', '--train-batch', '32', '--start-epochs', '1',
      '--netadapt-short-steps', '2', '--netadapt-long-steps', '4', '--netadapt-step', '0.1', '--budget', '4', '--out', out];

    expectUserError(await nasInProcess(...args), /needs a latency target/);
    expectUserError(await nasInProcess(...args, '--target-ms', '0.1', '--netadapt-decay', '1.5'), /--netadapt-decay must be a factor in \(0, 1\]/);

    // The predicted start latency is printed; aim for ~85% of it.
    const probe = runCli([...args, '--target-ms', '1000']);
    expectUserError(probe, /already within --target-ms 1000/);
    const startMs = Number(/predicted at ([\d.]+) ms/.exec(probe.stderr)![1]);
    const target = (0.85 * startMs).toFixed(4);

    const r = runCli([...args, '--target-ms', target, '--json'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/netadapt: iteration 1: budget/);
    expect(r.stderr).toMatch(/netadapt: iteration 1: budget [\d.]+ ms, [1-9]\d* widths profiled/);
    const doc = JSON.parse(r.stdout);
    expect(doc.strategy).toBe('netadapt');
    expect(doc.best.name).toBe('tiny-cli~netadapt-final');
    expect(doc.best.latency.ms).toBeLessThanOrEqual(Number(target));
    const front = readFrontFile(out);
    expect(front.members.length).toBeGreaterThanOrEqual(2);
    expect(front.members[front.members.length - 1].name).toBe('tiny-cli~netadapt-it0');
    expect(existsSync(`${out}.netadapt.ckpt`)).toBe(true);

    const nets = path.join(dir, 'nets');
    const exp = runCli(['export', '--front', out, '--select', 'best', '--out', nets]);
    expect(exp.code, exp.stderr).toBe(0);
    expect(readdirSync(nets).some((f) => f.endsWith('.onnx'))).toBe(true);
    const v = runCli(['verify', '--device', 'mock', '--front', out, '--json']);
    expect(v.code, v.stderr).toBe(0);
    const verified = JSON.parse(v.stdout).members as { name: string; measured: { median: number } | null }[];
    expect(verified.map((m) => m.name)).toEqual(front.members.map((m) => m.name));
    for (const m of verified) expect(m.measured!.median).toBeGreaterThan(0);
  }, 240_000);
});
