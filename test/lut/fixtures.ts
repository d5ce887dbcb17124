/** Small hand-made LUT pieces for the LUT tests. */
import { summarize } from '../../devices/stats.js';
import type { DeviceInfo, LatencyStats, TimingProtocol } from '../../devices/types.js';
import type { LutEntry } from '../../lut/format.js';

export const device: DeviceInfo = {
  device: 'mock',
  runtime: 'mock',
  runtimeVersion: '1',
  ep: 'synthetic',
  options: { threads: 2, noise: 0.02 },
  host: { cpu: 'Test CPU', cores: 2, os: 'linux', node: 'v20.0.0' },
  timing: 'synthetic',
};

export const protocol: TimingProtocol = { warmup: 2, minRepeats: 10, maxRepeats: 100, maxTimeMs: 500, targetCI: 0.05 };

/** Stats around `median` with relative spread `spread` (bigger spread → wider CI). */
export function stats(median: number, spread = 0.01): LatencyStats {
  return summarize(
    Array.from({ length: 21 }, (_, i) => median * (1 + spread * (i - 10) / 10)),
    protocol.targetCI,
  );
}

export function entry(median: number, spread = 0.01, overhead = 0.05): LutEntry {
  return { stats: stats(median, spread), net: Math.max(0, median - overhead), coldMs: 3 * median, setupMs: 1, measuredAt: '2025-01-01T00:00:00.000Z' };
}

export const KEYS = {
  conv: 'conv:1x8x16x16:c16:k3:s1:g1:d1:relu:f32',
  dw: 'dwconv:1x8x16x16:k3:s1:d1:relu6:f32',
  mb: 'mbconv:1x16x16x16:c16:k3:s1:e6:se0:relu6:skip1:f32',
  pool: 'pool:1x8x16x16:max:k3:s2:f32',
};
