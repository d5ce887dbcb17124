/**
 * End to end through the real CLI: `nas search --evaluator supernet` with evolution and mnasnet on a
 * mock-device LUT of mbv2 at 32 px, the supernet trained on a tiny Fashion-MNIST slice (14x14, 240
 * images, 7 steps) by the first search and reused by the second.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { expectUserError, nasInProcess, runCli } from '../cli/helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'supernet-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nas search --evaluator supernet', () => {
  const lut = path.join(dir, 'mock.lut.json');
  const supernet = path.join(dir, 'mbv2-32.supernet');
  const common = (out: string) => [
    'search', '--space', 'mbv2', '--resolution', '32', '--lut', lut, '--evaluator', 'supernet', '--seed', '0', '--out', path.join(dir, out),
    '--supernet', supernet, '--supernet-epochs', '1', '--train-images', '300', '--train-validation', '60', '--downscale', '2', '--train-batch', '32', '--json',
  ];

  afterEach(() => {
    process.exitCode = undefined;
  });

  // The fixture LUT and the refusal run in this process (no children to start; of the refusal only the exit code
  // and the message are asserted); the two searches the test is about stay real processes.
  it('trains the supernet for an evolution search, reuses it for mnasnet, and refuses it for other settings', async () => {
    const profile = await nasInProcess('profile', '--device', 'mock', '--space', 'mbv2', '--resolution', '32', '--calibrate', '0', '--out', lut, '--warmup', '2', '--min-repeats', '5', '--max-repeats', '50', '--max-time-ms', '150');
    expect(profile.code, profile.stderr).toBe(0);

    const evo = runCli([...common('evo.json'), '--strategy', 'evolution', '--budget', '4'], { timeoutMs: 300_000 });
    expect(evo.code, evo.stderr).toBe(0);
    expect(evo.stderr).toMatch(/supernet .*: missing, training it/);
    expect(existsSync(supernet)).toBe(true);
    const r = JSON.parse(evo.stdout);
    expect(r.evaluations).toBe(4);
    expect(r.evaluator.id).toBe('supernet');
    expect(r.evaluator.provenance).toMatchObject({ kind: 'supernet', checkpoint: supernet, sampler: 'depth', epochs: 1, downscale: 2 });
    for (const m of r.front) expect(m.accuracy).toBeGreaterThanOrEqual(0);
    for (const m of r.front) expect(m.accuracy).toBeLessThanOrEqual(100);
    const front = JSON.parse(readFileSync(path.join(dir, 'evo.json'), 'utf8'));
    expect(front.evaluator.provenance.supernet).toMatchObject({ steps: 7, trainedNow: 7 });

    const rl = runCli([...common('rl.json'), '--strategy', 'mnasnet', '--target-ms', '100', '--budget', '3'], { timeoutMs: 300_000 });
    expect(rl.code, rl.stderr).toBe(0);
    expect(rl.stderr).toMatch(/finished \(7 steps\), reusing it/);
    expect(JSON.parse(rl.stdout).evaluations).toBe(3);

    expectUserError(await nasInProcess(...common('fair.json'), '--strategy', 'evolution', '--budget', '2', '--supernet-sampler', 'fair'), /was trained with other settings .*sampler: "depth" there, "fair" here/);
  }, 600_000);
});
