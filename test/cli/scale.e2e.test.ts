/** nas scale end to end (in-process) on a mock-device LUT: the family, the latency-aware member, export of a member, bad input. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXACT_MOCK, expectUserError, mockLutFixture, nasInProcess as nas } from './helpers.js';

const { at, lut } = mockLutFixture('nas-scale-', ['--published', 'EfficientNet-B0', '--resolution', '32'], 120_000);
const BASE = ['--base', 'EfficientNet-B0', '--resolution', '32'];

describe('nas scale', () => {
  it('scales B0 with the paper’s coefficients, finds the latency-aware member and writes members nas export takes', async () => {
    const r = await nas('scale', ...BASE, '--lut', lut, '--profile-missing', ...EXACT_MOCK, '--phis', '2', '--phi-max', '0.5', '--phi-step', '0.25', '--target-ms', '100', '--out', at('fam.json'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.coefficients).toMatchObject({ alpha: 1.2, beta: 1.1, gamma: 1.15, how: 'paper' });
    expect(doc.members.map((m: { phi: number }) => m.phi)).toEqual([1, 2]);
    expect(doc.members[1].factors).toEqual({ depth: 1.2 ** 2, width: 1.1 ** 2, resolution: Math.round(32 * 1.15 ** 2) });
    expect(doc.members[1].metrics.macs).toBeGreaterThan(doc.members[0].metrics.macs);
    // A target far above every candidate: the largest φ tried.
    expect(doc.latencyAware).toMatchObject({ phi: 0.5, candidates: 2 });
    expect(doc.latencyAware.latency.ms).toBeLessThanOrEqual(100);
    const family = JSON.parse(readFileSync(at('fam.json'), 'utf8'));
    expect(family.members[0].architecture.input).toEqual([1, 3, 37, 37]);
    const e = await nas('export', '--arch', doc.members[1].file, '--out', at('m2.onnx'), '--json');
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).metrics).toEqual(doc.members[1].metrics);
  }, 300_000);

  it('meets a tight target by scaling less', async () => {
    const wide = JSON.parse(readFileSync(at('fam.json'), 'utf8'));
    // Just under the φ = 0.5 net: φ = 0.25, a smaller net, is the largest within it.
    const tight = wide.latencyAware.latency.ms * (1 - 1e-9);
    const r = await nas('scale', ...BASE, '--lut', lut, '--phis', '1', '--phi-max', '0.5', '--phi-step', '0.25', '--target-ms', String(tight), '--out', at('tight.json'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.latencyAware.phi).toBe(0.25);
    expect(doc.latencyAware.latency.ms).toBeLessThanOrEqual(tight);
  }, 300_000);

  it('refuses bad input with one message', async () => {
    expectUserError(await nas('scale', ...BASE, '--lut', lut, '--alpha', '1.2', '--out', at('x.json')), /give all three of --alpha, --beta, --gamma/);
    expectUserError(await nas('scale', ...BASE, '--lut', lut, '--target-ms', '0.001', '--out', at('x.json')), /already above --target-ms 0.001: compound scaling only grows it/);
    expectUserError(await nas('scale', ...BASE, '--lut', lut, '--phis', '4', '--out', at('x.json')), /LUT .* lacks \d+ op instance\(s\) of the scaled networks/);
  }, 120_000);
});
