import { describe, expect, it } from 'vitest';
import { createMbv2Space } from '../../src/spaces/mbv2.js';
import { createNb201Space } from '../../src/spaces/nb201.js';
import { proxyEvaluator } from '../../src/evaluators/proxy/index.js';
import { logDetRidge } from '../../src/evaluators/proxy/naswot.js';
import { chainArch, classifierHead, convSpec } from '../../src/core/arch.js';

describe('logDetRidge', () => {
  it('is log det(K + I)', () => {
    expect(logDetRidge(Float64Array.from([2, 1, 1, 2]), 2)).toBeCloseTo(Math.log(8), 12);
    // Needs a row swap: det([[0,3],[3,0]] + I) = 1 - 9 = -8.
    expect(logDetRidge(Float64Array.from([0, 3, 3, 0]), 2)).toBeCloseTo(Math.log(8), 12);
  });
});

describe('proxy evaluator (NASWOT on tfjs)', () => {
  const ev = proxyEvaluator({ batch: 8, resolution: 8 });
  const nb201 = createNb201Space();

  it('is deterministic and separates a conv cell from an empty one', async () => {
    const convs = nb201.build([3, 3, 3, 3, 3, 3]);
    const a = await ev.evaluate(convs);
    expect(Number.isFinite(a)).toBe(true);
    expect(await ev.evaluate(convs)).toBe(a);
    // The disconnected all-"none" cell passes nothing through: its codes barely differ between inputs.
    expect(await ev.evaluate(createNb201Space({ includeDisconnected: true }).build([0, 0, 0, 0, 0, 0]))).toBeLessThan(a);
    expect(ev.provenance).toMatchObject({ metric: 'naswot', backend: 'tfjs-wasm', batch: 8, resolution: 8 });
  });

  it('runs every block kind of the mobile spaces', async () => {
    const hand = chainArch('all-kinds', [1, 3, 16, 16], {
      stem: [convSpec(8, 3, 2, 'hswish')],
      blocks: [
        convSpec(8, 3, 1, 'relu', { groups: 2 }),
        { kind: 'dwconv', k: 3, stride: 1, dilation: 1, act: 'relu6' },
        { kind: 'dwsep', cout: 8, k: 3, stride: 1, se: 0.25, act: 'swish', skip: true },
        { kind: 'mbconv', cout: 16, k: 5, stride: 2, expand: 3, se: 0.25, act: 'hswish', skip: false },
        { kind: 'se', ratio: 0.25, act: 'relu' },
        { kind: 'pool', mode: 'max', k: 3, stride: 1 },
        { kind: 'identity' },
        { kind: 'reluconv', cout: 16, k: 1, stride: 1 },
        { kind: 'resblock', cout: 32, stride: 2 },
      ],
      head: classifierHead(10),
    });
    expect(Number.isFinite(await ev.evaluate(hand))).toBe(true);
    expect(Number.isFinite(await ev.evaluate(createMbv2Space({ resolution: 64 }).build(Array(21).fill(1))))).toBe(true);
  });

  it('rejects bad options', () => {
    expect(() => proxyEvaluator({ batch: 1 })).toThrow(/batch must be an integer ≥ 2/);
    expect(() => proxyEvaluator({ resolution: 4 })).toThrow(/resolution must be an integer ≥ 8/);
    expect(() => proxyEvaluator({ backend: 'webgl' as never })).toThrow(/unknown backend 'webgl'/);
  });
});
