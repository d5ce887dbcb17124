/**
 * The result of fbnet/proxyless (derivedFront): `best` is always a member of the front, picked by the rule
 * every strategy uses (pareto.ts bestWithin: the most accurate within --target-ms, ties to the faster; none
 * within: no best), so the front file validates and `nas export --front F --select best` finds it. The
 * derived architectures are made up here (accuracy, latency): the selection is what is tested, not the
 * training. darts (front: the last genotype alone) under a target: test/search/darts-cli.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { derivedFront } from '../../src/search/differentiable/search.js';
import { frontMember, validateFront } from '../../src/search/front-file.js';
import type { Candidate } from '../../src/search/types.js';
import { createSpace } from '../../src/spaces/registry.js';

const space = createSpace('nb201', {});
/** Member `k` (0..3) of nb201: op k + 1 (not none) on all six edges; at a made-up accuracy and latency. */
const cand = (k: number, accuracy: number, ms: number): Candidate => {
  const encoding = new Array<number>(6).fill(k + 1);
  return { encoding, name: space.build(encoding).name, accuracy, latency: { ms } };
};

/** The front file the search job writes for `front` and `best` (src/search/job.ts). */
function frontFile(front: Candidate[], best: Candidate | undefined) {
  return {
    format: 'hw-nas-front', version: 1, space: { id: 'nb201', options: {} }, latency: { id: 'lut', provenance: {} }, evaluator: { id: 'supernet', provenance: {} },
    target: null, strategy: 'fbnet', seed: 0, budget: 1, evaluations: front.length, best: best?.name ?? null, created: new Date(0).toISOString(),
    members: front.map((c) => frontMember(space.build(c.encoding), c.accuracy, c.latency)),
  };
}

describe('fbnet/proxyless result', () => {
  it('the last epoch’s architecture dominated by an earlier one is not best: best is the front’s most accurate', () => {
    const history = [cand(0, 40, 1.0), cand(1, 55, 1.2), cand(2, 50, 1.5)]; // the last is dominated by the second
    const { front, best } = derivedFront(history);
    expect(front).toEqual([history[0], history[1]]);
    expect(best).toBe(history[1]);
    expect(front).toContain(best);
  });

  it('with a target: the most accurate within it, ties to the faster; none within: no best', () => {
    const history = [cand(0, 40, 1.0), cand(1, 55, 1.2), cand(2, 55, 1.1), cand(3, 70, 3)];
    expect(derivedFront(history, 1.15).best).toBe(history[2]); // the second is over the target; the third, as accurate, within it
    expect(derivedFront(history).best).toBe(history[3]);
    expect(derivedFront(history, 0.5).best).toBeUndefined();
  });

  it('an architecture derived twice counts with its latest measurement, front and best alike', () => {
    const history = [cand(1, 60, 1.2), cand(0, 40, 1.0), cand(1, 45, 1.2)];
    const { front, best } = derivedFront(history);
    expect(front).toEqual([history[1], history[2]]);
    expect(best).toBe(history[2]);
  });

  it('gives a front file that validates (best names a member)', () => {
    const history = [cand(0, 40, 1.0), cand(1, 55, 1.2), cand(2, 50, 1.5)];
    const { front, best } = derivedFront(history);
    expect(() => validateFront(frontFile(front, best), 'front.json')).not.toThrow();
    // What it gave before: the last epoch's architecture, which is not on the front.
    expect(() => validateFront(frontFile(front, history[2]), 'front.json')).toThrow(/"best" must be null or the name of a member/);
  });
});
