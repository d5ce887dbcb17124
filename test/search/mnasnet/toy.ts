/**
 * A toy space for the controller: 6 decisions of 4 options. Option (accuracy gain, latency cost):
 * 0 (0, 0), 1 (+4 %, +1 ms), 2 (+6 %, +3 ms), 3 (+2 %, +4 ms, dominated). With T = 7 ms the best
 * architecture within the target is all 1s (64 %, exactly 7 ms); the most accurate is all 2s (76 %, 19 ms).
 */
import type { Architecture } from '../../../src/core/arch.js';
import type { SearchSpace } from '../../../src/core/space.js';
import type { AccuracyEvaluator, LatencySource, SearchContext } from '../../../src/search/types.js';

const GAIN = [0, 4, 6, 2];
const COST = [0, 1, 3, 4];
export const TOY_TARGET = 7;

export const toy: SearchSpace = {
  id: 'toy-rl',
  description: 'toy space for the RL controller',
  resolution: 8,
  decisions: () => Array.from({ length: 6 }, (_, i) => ({ name: `d${i}`, options: ['none', 'cheap', 'big', 'bad'] })),
  build: (c): Architecture => ({ name: `toy:${c.join('')}`, space: { id: 'toy-rl', resolution: 8, encoding: [...c] }, input: [1, 3, 8, 8], dtype: 'f32', layers: [] }),
  sample: (rng) => Array.from({ length: 6 }, () => rng.int(4)),
  allInstances: () => [],
};

const enc = (a: Architecture) => a.space!.encoding;
export const toyLatency: LatencySource = { id: 'toy-lat', provenance: {}, latency: (a) => ({ ms: 1 + enc(a).reduce((s, c) => s + COST[c], 0) }) };

/** The toy evaluator, counting calls, and dying on call `dieAt` like a killed process. */
export function toyEvaluator(dieAt = Infinity): AccuracyEvaluator & { calls: number } {
  const ev = {
    id: 'toy-acc',
    provenance: {},
    calls: 0,
    async evaluate(a: Architecture) {
      if (++ev.calls === dieAt) throw new Error('killed');
      return 40 + enc(a).reduce((s, c) => s + GAIN[c], 0);
    },
  };
  return ev;
}

export function toyContext(overrides: Partial<SearchContext> = {}): SearchContext {
  return { space: toy, latency: toyLatency, evaluator: toyEvaluator(), budget: 100, targetMs: TOY_TARGET, seed: 1, ...overrides };
}
