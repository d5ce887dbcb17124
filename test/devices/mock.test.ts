import { describe, expect, it, vi } from 'vitest';
import { MockDevice } from '../../devices/mock/index.js';
import { DEFAULT_MOCK_COST, opCostMs } from '../../devices/mock/cost.js';
import type { ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { opKey } from '../../src/core/keys.js';
import { instance, type OpInstance } from '../../src/core/ops.js';
import { UserError } from '../../src/core/errors.js';

const protocol: TimingProtocol = { warmup: 3, minRepeats: 20, maxRepeats: 500, maxTimeMs: 1000, targetCI: 0.02 };
const model = (ops: OpInstance[], key = ops.map(opKey).join('+')): ModelUnderTest => ({
  key,
  onnx: new Uint8Array(1000),
  inputs: [{ name: 'input', shape: [...(ops[0]?.input ?? [1, 8, 8, 8])] }],
  ops,
});
const conv = instance({ kind: 'conv', cout: 16, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, 8, 16, 16]);
const big = instance({ kind: 'conv', cout: 64, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, 32, 32, 32]);
const mb = instance({ kind: 'mbconv', cout: 16, k: 3, stride: 1, expand: 6, se: 0, act: 'relu6', skip: true }, [1, 16, 16, 16]);

describe('mock device', () => {
  it('contextScales: an op of a class costs its factor inside a network, and 1× on its own', async () => {
    const se = instance({ kind: 'mbconv', cout: 16, k: 3, stride: 1, expand: 6, se: 0.25, act: 'hswish', skip: true }, [1, 16, 16, 16]);
    const exact = { noise: 0, outlierRate: 0, overheadMs: 0 };
    const d = new MockDevice({ ...exact, contextScales: 'plain:0.5,se+hswish:2' });
    await d.init();
    const c = { ...DEFAULT_MOCK_COST, ...exact };
    expect((await d.time(model([se]), protocol)).stats.median).toBeCloseTo(opCostMs(se, c), 9);
    expect((await d.time(model([mb, se]), protocol)).stats.median).toBeCloseTo(0.5 * opCostMs(mb, c) + 2 * opCostMs(se, c), 9);
    expect((await d.init()).options.contextScales).toBe('plain:0.5,se+hswish:2');
    expect((await new MockDevice().init()).options).not.toHaveProperty('contextScales'); // the LUT ids of a mock without it stay
    expect(() => new MockDevice({ contextScales: 'se:0' })).toThrow(/class:factor pairs with a factor > 0/);
  });

  it('is deterministic and never sleeps', async () => {
    const a = new MockDevice();
    const b = new MockDevice();
    await a.init();
    await b.init();
    // A time limit far beyond the run: the sample count is maxRepeats whatever the machine's load.
    const long = { ...protocol, targetCI: 1e-9, maxRepeats: 2000, maxTimeMs: 600_000 };
    const timers = vi.spyOn(globalThis, 'setTimeout');
    try {
      const ra = await a.time(model([big]), long);
      expect(timers).not.toHaveBeenCalled(); // its durations are drawn, never waited for
      expect(ra.stats.n + ra.stats.rejected).toBe(2000);
      const rb = await b.time(model([big]), long);
      expect(rb).toEqual(ra);
    } finally {
      timers.mockRestore();
    }
  });

  it('follows the cost model: bigger ops are slower, networks ≈ overhead + Σ ops', async () => {
    const d = new MockDevice({ noise: 0, outlierRate: 0 });
    await d.init();
    const small = await d.time(model([conv]), protocol);
    const large = await d.time(model([big]), protocol);
    expect(large.stats.median).toBeGreaterThan(small.stats.median);
    expect(small.stats.median).toBeCloseTo(DEFAULT_MOCK_COST.overheadMs + opCostMs(conv, DEFAULT_MOCK_COST), 9);
    const net = await d.time(model([conv, mb], 'net'), protocol);
    expect(net.stats.median).toBeCloseTo(DEFAULT_MOCK_COST.overheadMs + opCostMs(conv, DEFAULT_MOCK_COST) + opCostMs(mb, DEFAULT_MOCK_COST), 9);
    expect(small.coldMs).toBeGreaterThan(small.stats.median);
  });

  it('scatters samples a little and rejects its outliers', async () => {
    const d = new MockDevice({ outlierRate: 0.1 });
    await d.init();
    const r = await d.time(model([conv]), { ...protocol, minRepeats: 200 });
    expect(r.stats.rejected).toBeGreaterThan(0);
    expect(r.stats.std / r.stats.median).toBeGreaterThan(0.005);
    expect(r.stats.std / r.stats.median).toBeLessThan(0.05);
  });

  it('refuses kinds switched off by the unsupported option', async () => {
    const d = new MockDevice({ unsupported: 'mbconv' });
    const info = await d.init();
    expect(info.runtime).toBe('mock');
    expect(info.options.unsupported).toBe('mbconv');
    expect(d.supports(conv)).toBe(true);
    expect(d.supports(mb)).toMatch(/mbconv/);
    await expect(d.time(model([mb]), protocol)).rejects.toThrow(UserError);
    expect(() => new MockDevice({ unsupported: 'mbconv,warp' })).toThrow(/unknown item\(s\) warp/);
  });

  it('must be initialised before timing', async () => {
    await expect(new MockDevice().time(model([conv]), protocol)).rejects.toThrow(/before init/);
  });
});
