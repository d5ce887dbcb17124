/** Small search fixtures: a toy space with invalid vectors, a synthetic latency/accuracy pair, and the NB201 tables. */
import type { Architecture } from '../../src/core/arch.js';
import { UserError } from '../../src/core/errors.js';
import type { Rng } from '../../src/core/rng.js';
import type { SearchSpace } from '../../src/core/space.js';
import { tableEvaluator } from '../../src/evaluators/table.js';
import { tableLatencySource } from '../../src/latency/table.js';
import { createNb201Space } from '../../src/spaces/nb201.js';
import type { AccuracyEvaluator, LatencySource, SearchContext } from '../../src/search/types.js';

/** 3 × 2 × 4 × 1 options = 24 vectors, of which the 4 with choices[0] = 2 and choices[1] = 1 are invalid. */
export const toySpace: SearchSpace = {
  id: 'toy',
  description: 'toy',
  resolution: 8,
  decisions: () => [3, 2, 4, 1].map((n, i) => ({ name: `d${i}`, options: Array.from({ length: n }, (_, k) => `o${k}`) })),
  build(choices: readonly number[]): Architecture {
    if (choices[0] === 2 && choices[1] === 1) throw new UserError('toy: option 2 of d0 excludes option 1 of d1');
    return { name: `toy:${choices.join('')}`, space: { id: 'toy', resolution: 8, encoding: [...choices] }, input: [1, 3, 8, 8], dtype: 'f32', layers: [{ role: 'head', spec: { kind: 'identity' } }] };
  },
  sample: (rng: Rng) => [rng.int(3), rng.int(2), rng.int(4), 0],
  allInstances: () => [],
};

const enc = (arch: Architecture) => arch.space!.encoding;
export const toyLatency: LatencySource = { id: 'toy-lat', provenance: {}, latency: (a) => ({ ms: 1 + enc(a)[0] + 2 * enc(a)[2] }) };
export const toyAccuracy: AccuracyEvaluator = { id: 'toy-acc', provenance: {}, evaluate: async (a) => 50 + 3 * enc(a)[0] + 5 * enc(a)[2] - 4 * enc(a)[1] };

export function nb201Context(overrides: Partial<SearchContext> = {}): SearchContext {
  return {
    space: createNb201Space(),
    latency: tableLatencySource({ device: 'pixel3' }),
    evaluator: tableEvaluator({ dataset: 'cifar10' }),
    budget: 100,
    seed: 0,
    ...overrides,
  };
}

/** An in-memory checkpoint store. */
export function memoryCheckpoint(): { load(): unknown; save(s: unknown): void; saves: number; state?: unknown } {
  const store = {
    saves: 0,
    state: undefined as unknown,
    load: () => store.state,
    save(s: unknown) {
      store.state = JSON.parse(JSON.stringify(s));
      store.saves++;
    },
  };
  return store;
}
