/** A synthetic LUT covering a space, with net latencies from MACs, and float64 references for the tfjs losses. */
import { opKey } from '../../../src/core/keys.js';
import { macs } from '../../../src/core/ops.js';
import type { SearchSpace } from '../../../src/core/space.js';
import type { LatencyStats } from '../../../devices/types.js';
import type { Lut, LutEntry } from '../../../lut/format.js';

function stats(ms: number): LatencyStats {
  return { n: 20, rejected: 0, median: ms, mean: ms, std: ms * 0.01, p10: ms * 0.99, p90: ms * 1.01, min: ms * 0.98, max: ms * 1.02, ci95: [ms * 0.995, ms * 1.005], converged: true };
}

/** Every instance of `space`, net = 0.02 ms + 1 ms per 10 MMAC (identity ~0), overhead 0.3 ms. */
export function syntheticLut(space: SearchSpace): Lut {
  const entries: Record<string, LutEntry> = {};
  for (const inst of space.allInstances()) {
    const net = inst.spec.kind === 'identity' ? 0.001 : 0.02 + macs(inst) / 1e7;
    entries[opKey(inst)] = { stats: stats(net + 0.3), net, coldMs: net * 3, setupMs: 1, measuredAt: '2025-01-01T00:00:00.000Z' };
  }
  return {
    format: 'hw-nas-lut',
    version: 1,
    id: 'synthetic-test',
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    device: { device: 'mock', runtime: 'mock', runtimeVersion: '1', ep: 'synthetic', options: {}, host: { cpu: 'test', cores: 2, os: 'linux', node: 'v20' }, timing: 'synthetic' },
    protocol: { warmup: 1, minRepeats: 5, maxRepeats: 10, maxTimeMs: 100, targetCI: 0.05 },
    overhead: stats(0.3),
    spaces: [space.id],
    entries,
  };
}

const softmax = (a: readonly number[]) => {
  const m = Math.max(...a);
  const e = a.map((x) => Math.exp(x - m));
  const s = e.reduce((x, y) => x + y, 0);
  return e.map((x) => x / s);
};

/** E[LAT] in float64: constant + Σ_l softmax(α_l)·L_l. */
export function expectedLatencyRef(ms: readonly (readonly number[])[], constant: number, alpha: readonly (readonly number[])[]): number {
  return ms.reduce((sum, row, l) => sum + softmax(alpha[l].slice(0, row.length)).reduce((s, p, o) => s + p * row[o], 0), constant);
}

/** Central finite differences of f at every entry of a ragged α (float64). */
export function finiteDifferences(f: (alpha: number[][]) => number, alpha: readonly (readonly number[])[], h = 1e-5): number[][] {
  return alpha.map((row, l) =>
    row.map((_, o) => {
      const at = (d: number) => f(alpha.map((r, i) => r.map((v, j) => (i === l && j === o ? v + d : v))));
      return (at(h) - at(-h)) / (2 * h);
    }),
  );
}

/** Deterministic "random" logits in [-1, 1]. */
export function logits(rows: readonly number[], seed = 1): number[][] {
  let s = seed;
  const next = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  return rows.map((n) => Array.from({ length: n }, next));
}
