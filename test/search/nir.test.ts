/**
 * NIR layer assignment (src/search/nir): the stage-depth views of the spaces, the expansion of an assignment,
 * and a whole search in process on a Fashion-MNIST slice: every level scores exactly the children of the
 * previous level's kept assignments that meet the budget, keeps the best ones, and stops when no child fits.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { archMetrics } from '../../src/core/arch-metrics.js';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { metricLatencySource } from '../../src/search/constraints.js';
import { NirSearch, type NirEvaluation } from '../../src/search/nir/index.js';
import { depthLabel, depthView, expand } from '../../src/search/nir/stages.js';
import type { AccuracyEvaluator } from '../../src/search/types.js';
import { createSpace } from '../../src/spaces/registry.js';

const HAVE_DATA = existsSync(path.join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));

describe('stage-depth views', () => {
  it('mbv2: a stage is a non-skippable layer and the skippable ones after it; depth d keeps the first d at the op, skips the rest', () => {
    const space = createSpace('mbv2', { resolution: 32 });
    const v = depthView(space, { op: 'k5e3' });
    expect(v.stages.map((s) => s.max)).toEqual([4, 4, 4, 4, 4, 1]);
    const enc = v.encode([2, 1, 4, 3, 1, 1]);
    const labels = enc.map((c, i) => space.decisions()[i].options[c]);
    expect(labels).toEqual(['k5e3', 'k5e3', 'skip', 'skip', 'k5e3', 'skip', 'skip', 'skip', 'k5e3', 'k5e3', 'k5e3', 'k5e3', 'k5e3', 'k5e3', 'k5e3', 'skip', 'k5e3', 'skip', 'skip', 'skip', 'k5e3']);
    expect(space.build(enc).layers.filter((l) => l.role === 'block')).toHaveLength(2 + 1 + 4 + 3 + 1 + 1);
    expect(() => depthView(space, { op: 'k9e9' })).toThrow(/--nir-op k9e9 is not an option of layer1/);
  });

  it('anynet: the d_i decisions, the other decisions at the base (widths 32/64/128/256)', () => {
    const space = createSpace('anynet', { resolution: 32 });
    const v = depthView(space);
    const arch = space.build(v.encode([1, 2, 3, 4]));
    expect(arch.name).toBe('anynet@32:d1w32b1g8-d2w64b1g8-d3w128b1g8-d4w256b1g8');
    expect(() => v.encode([0, 1, 1, 1])).toThrow(/4 stages 1\.\.4/);
  });

  it('regnet is refused with a pointer to anynet; a space without depths names the ones that have them', () => {
    expect(() => depthView(createSpace('regnet', { resolution: 32 }))).toThrow(/regnet's stage depths follow from one total depth/);
    expect(() => depthView(createSpace('nb201'))).toThrow(/no stage depths to assign/);
  });

  it('expand adds one layer to each stage below its maximum', () => {
    const stages = [
      { name: 'a', min: 1, max: 2 },
      { name: 'b', min: 1, max: 1 },
      { name: 'c', min: 2, max: 4 },
    ];
    expect(expand(stages, [1, 1, 2])).toEqual([
      [2, 1, 2],
      [1, 1, 3],
    ]);
    expect(expand(stages, [2, 1, 4])).toEqual([]);
  });
});

describe('nir refusals before any training', () => {
  const ctx = (over: Record<string, unknown>) => ({
    space: createSpace('mbv2', { resolution: 32 }),
    latency: { id: 'fake', provenance: {}, latency: () => ({ ms: 2.5 }) },
    evaluator: { id: 'train', provenance: {} } as unknown as AccuracyEvaluator,
    budget: 10,
    seed: 0,
    ...over,
  });
  it('a --target-ms the shallowest assignment misses names its latency; another evaluator is refused', async () => {
    await expect(new NirSearch({ workPath: '/nonexistent/f.json' }).run(ctx({ targetMs: 2 }))).rejects.toThrow(
      /shallowest layer assignment 1-1-1-1-1-1 of space 'mbv2' \(every kept layer k3e6\) is already over the budget: 2\.5000 ms > --target-ms 2/,
    );
    await expect(new NirSearch({ workPath: 'f.json' }).run(ctx({ evaluator: { id: 'proxy', provenance: {} } }))).rejects.toThrow(/not with the 'proxy' evaluator/);
  });
});

describe.runIf(HAVE_DATA)('nir search in process (anynet, MAC budget, Fashion-MNIST slice)', () => {
  it('each level scores exactly the within-budget children of the kept assignments, keeps the best, stops when none fits', async () => {
    const space = createSpace('anynet', { resolution: 32 });
    const view = depthView(space);
    const limit = 2.7e6;
    const keep = 2;
    const dir = mkdtempSync(path.join(tmpdir(), 'nir-'));
    const lines: string[] = [];
    const r = await new NirSearch({ workPath: path.join(dir, 'f.json'), log: (m) => lines.push(m), keep, steps: 1, rootSteps: 2 }).run({
      space,
      latency: metricLatencySource('macs'),
      evaluator: { id: 'train', provenance: {} } as unknown as AccuracyEvaluator,
      budget: 100,
      limits: { macs: limit },
      seed: 0,
      training: { limit: 192, validation: 32, downscale: 4, batchSize: 16 },
    });
    const evs = r.history as NirEvaluation[];
    const macs = (d: number[]) => archMetrics(space.build(view.encode(d))).macs;
    for (const e of evs) expect(macs(e.depths)).toBeLessThanOrEqual(limit);
    const last = Math.max(...evs.map((e) => e.level));
    expect(last).toBeGreaterThanOrEqual(2);
    const byLevel = (l: number) => evs.filter((e) => e.level === l);
    expect(byLevel(0).map((e) => e.depths)).toEqual([[1, 1, 1, 1]]);
    const keptOf = (l: number) =>
      [...byLevel(l)].sort((a, b) => b.accuracy - a.accuracy || a.latency.ms - b.latency.ms || depthLabel(a.depths).localeCompare(depthLabel(b.depths))).slice(0, keep).map((e) => e.depths);
    const children = (l: number) => [...new Set(keptOf(l - 1).flatMap((p) => expand(view.stages, p)).map(depthLabel))];
    for (let l = 1; l <= last; l++) {
      const want = children(l).filter((k) => macs(k.split('-').map(Number)) <= limit);
      expect(byLevel(l).map((e) => depthLabel(e.depths)).sort()).toEqual(want.sort());
      for (const e of byLevel(l)) expect(keptOf(l - 1).map(depthLabel)).toContain(depthLabel(e.parent!));
    }
    // Stopped because every child of the last kept assignments is over the budget (the budget of 100 levels is not the limit).
    expect(children(last + 1).every((k) => macs(k.split('-').map(Number)) > limit)).toBe(true);
    expect(r.best).toBe([...byLevel(last)].sort((a, b) => b.accuracy - a.accuracy || a.latency.ms - b.latency.ms)[0]);
    expect(r.front).toContain(r.best);
    expect(lines.some((l) => /^nir: stopped at level \d+: none of the \d+ deeper assignment\(s\) is within the budget/.test(l))).toBe(true);
  }, 300_000);
});
