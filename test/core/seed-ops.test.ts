/** ops.ts's shapes and MACs of the seed kinds agree with the lowerings (graph shapes and graphMetrics), for many instances. */
import { describe, expect, it } from 'vitest';
import { graphMetrics, inferShapes } from '../../src/core/graph/index.js';
import { lowerInstance } from '../../src/core/lower/index.js';
import { instance, macs, outputShape, SEED_KINDS, type OpInstance, type SeedSpec } from '../../src/core/ops.js';
import { CATALOG } from '../fixtures/catalog.js';

const shapes = [
  [1, 8, 9, 9],
  [2, 16, 14, 14],
  [1, 24, 7, 8],
] as const;
const specs: SeedSpec[] = [
  { kind: 'basic', cout: 16, stride: 1 },
  { kind: 'basic', cout: 32, stride: 2 },
  { kind: 'bottleneck', cout: 64, stride: 1, mid: 16, groups: 1, se: 0 },
  { kind: 'bottleneck', cout: 48, stride: 2, mid: 24, groups: 3, se: 0.25 },
  { kind: 'shufflev2', cout: 32, k: 5, stride: 2, mid: 16, side: 16, xception: false },
  { kind: 'shufflev2', cout: 40, k: 3, stride: 2, mid: 12, side: 8, xception: true },
  { kind: 'fire', squeeze: 4, e1: 8, e3: 16 },
  { kind: 'inception', c1: 8, c3r: 8, c3: 12, c5r: 4, c5: 6, k5: 5, pp: 4 },
  { kind: 'factconv', cout: 16, k: 7, stride: 2 },
  { kind: 'factconv', cout: 8, k: 3, stride: 1 },
  { kind: 'dilconv', cout: 16, k: 5, stride: 2, dilation: 2 },
  { kind: 'sepconv', cout: 16, k: 3, stride: 1 },
  { kind: 'sepconv', cout: 32, k: 7, stride: 2 },
  { kind: 'norm', mode: 'layer' },
];
const cases: OpInstance[] = [
  ...SEED_KINDS.map((k) => CATALOG[k]),
  ...shapes.flatMap((s) => specs.map((spec) => instance(spec, s))),
  ...shapes.filter((s) => s[1] % 2 === 0).map((s) => instance({ kind: 'shufflev2', cout: s[1], k: 3, stride: 1, mid: 6, side: s[1] / 2, xception: true }, s)),
];

describe('seed kinds in ops.ts', () => {
  it.each(cases.map((c) => [`${c.spec.kind} on ${c.input.join('x')}`, c] as const))('%s: shape and MACs as lowered', (_n, inst) => {
    const graph = lowerInstance(inst);
    expect(outputShape(inst.spec, inst.input)).toEqual(inferShapes(graph).get(graph.outputs[0]));
    expect(macs(inst)).toBe(graphMetrics(graph).macs);
  });

  it('names what does not fit', () => {
    expect(() => outputShape({ kind: 'shufflev2', cout: 16, k: 3, stride: 1, mid: 8, side: 4, xception: false }, [1, 16, 8, 8])).toThrow(/side must be 8/);
    expect(() => outputShape({ kind: 'bottleneck', cout: 16, stride: 1, mid: 10, groups: 4, se: 0 }, [1, 16, 8, 8])).toThrow(/groups 4 must divide/);
  });
});
