/**
 * Cost metrics through the CLI (in-process): nas predict, export and search report MACs, parameters
 * and activations from the architecture's graph; search takes them as limits and as the objective.
 */
import { describe, expect, it } from 'vitest';
import { archMetrics } from '../../src/core/arch-metrics.js';
import { architectureFromJson, readJsonFile } from '../../src/core/arch-file.js';
import { readFrontFile } from '../../src/search/front-file.js';
import { createSpace } from '../../src/spaces/registry.js';
import { expectUserError, mockLutFixture, nasInProcess as nas } from './helpers.js';

const { at, lut } = mockLutFixture('nas-costs-', ['--space', 'nb201']);

describe('cost metrics on the CLI', () => {
  it('nas predict reports them in JSON and text', async () => {
    const r = await nas('predict', '--lut', lut, '--space', 'nb201', '--random', '2', '--seed', '4', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const space = createSpace('nb201', {});
    for (const p of doc.predictions) expect(p.metrics).toEqual(archMetrics(space.build(p.encoding)));
    const t = await nas('predict', '--lut', lut, '--space', 'nb201', '--random', '1', '--seed', '4');
    expect(t.stdout).toMatch(/ms predicted .*; [\d.]+[kMG]? MACs, [\d.]+[kMG]? params, [\d.]+[kMG]? activations\n/);
  });

  it('nas export reports them and writes the sidecar they come from', async () => {
    const r = await nas('export', '--published', 'MobileNetV2-1.0', '--resolution', '32', '--out', at('m.onnx'), '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.metrics).toEqual(archMetrics(architectureFromJson(readJsonFile(at('m.arch.json'), 'arch'), at('m.arch.json'))));
  });

  it('searches with a metric standing in for latency, under a limit, and reports the metrics of the front', async () => {
    const out = at('f.json');
    const r = await nas('search', '--space', 'nb201', '--objective', 'macs', '--max-macs', '60M', '--max-params', '800k', '--strategy', 'evolution', '--budget', '20', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ objective: 'macs', target: { latencyMs: 60 }, limits: { params: 800_000 }, latency: { id: 'metric:macs' } });
    for (const m of doc.front) {
      expect(m.latency).toMatchObject({ unit: 'M MACs' });
      expect(m.metrics.macs).toBeLessThanOrEqual(60e6);
      expect(m.metrics.params).toBeLessThanOrEqual(800_000);
      expect(m.latency.ms).toBeCloseTo(m.metrics.macs / 1e6, 9);
    }
    expect(readFrontFile(out).limits).toEqual({ params: 800_000 });
  });

  it('refuses a limit no member meets, naming the smallest reachable value, and a metric objective with a LUT', async () => {
    expectUserError(
      await nas('search', '--space', 'regnet', '--resolution', '32', '--objective', 'params', '--max-params', '10k', '--evaluator', 'proxy', '--out', at('g.json')),
      /--max-params 10k is below every member of space 'regnet' at resolution 32: the smallest reachable is [\d.]+[kM] params .*minimum over all 432 members/,
    );
    expectUserError(await nas('search', '--space', 'nb201', '--objective', 'macs', '--lut', lut, '--out', at('h.json')), /--objective macs optimises macs instead of latency: leave out --lut/);
    expectUserError(await nas('search', '--space', 'nb201', '--latency-table', 'pixel3', '--max-macs', 'lots', '--out', at('i.json')), /--max-macs must be a positive count such as 300M/);
  });

  it('takes the mnasnet controller flags', async () => {
    const out = at('rl.json');
    const r = await nas('search', '--space', 'nb201', '--latency-table', 'pixel3', '--strategy', 'mnasnet', '--rl-algorithm', 'ppo', '--reward', 'hard', '--target-ms', '5', '--budget', '16', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ strategy: 'mnasnet', evaluations: 16 });
    expectUserError(await nas('search', '--space', 'nb201', '--latency-table', 'pixel3', '--strategy', 'mnasnet', '--reward-w', '0.5', '--target-ms', '5', '--out', at('rl2.json')), /--reward-w must be a number ≤ 0/);
  });
});
