import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { bestWithin, crowdingDistance, dominates, hypervolume, nonDominatedSort, paretoFront, paretoIndices, type Objectives } from '../../src/search/pareto.js';

const p = (accuracy: number, latencyMs: number): Objectives => ({ accuracy, latencyMs });
//           0 A         1 B         2 C          3 D          4 E (=B)    5 F
const SET = [p(90, 10), p(80, 5), p(85, 12), p(95, 20), p(80, 5), p(70, 5)];

describe('dominance', () => {
  it('needs no worse in both and better in one; equal points do not dominate', () => {
    expect(dominates(p(90, 10), p(85, 12))).toBe(true);
    expect(dominates(p(90, 10), p(90, 11))).toBe(true);
    expect(dominates(p(90, 10), p(95, 20))).toBe(false);
    expect(dominates(p(80, 5), p(80, 5))).toBe(false);
  });
});

describe('non-dominated sorting', () => {
  it('finds the front of a hand-made set, fastest first, keeping duplicates', () => {
    expect(paretoIndices(SET)).toEqual([1, 4, 0, 3]);
    expect(paretoFront(SET)).toEqual([p(80, 5), p(80, 5), p(90, 10), p(95, 20)]);
  });

  it('peels fronts in order', () => {
    const fronts = nonDominatedSort(SET);
    expect(fronts.map((f) => [...f].sort())).toEqual([[0, 1, 3, 4], [2, 5]]);
  });

  it('agrees with the O(n²) definition on random sets with ties', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 50; trial++) {
      const pts = Array.from({ length: 40 }, () => p(rng.int(10), rng.int(10)));
      const brute = pts.map((a, i) => (pts.some((b) => dominates(b, a)) ? -1 : i)).filter((i) => i >= 0);
      expect([...paretoIndices(pts)].sort((a, b) => a - b)).toEqual(brute);
      const fronts = nonDominatedSort(pts);
      expect(fronts.flat().sort((a, b) => a - b)).toEqual(pts.map((_, i) => i));
      // Nothing in a later front dominates anything in an earlier one.
      fronts.forEach((f, r) => fronts.slice(r + 1).flat().forEach((j) => f.forEach((i) => expect(dominates(pts[j], pts[i])).toBe(false))));
    }
  });
});

describe('crowding distance', () => {
  it('gives boundaries Infinity and interior points the normalised neighbour box', () => {
    const d = crowdingDistance([p(80, 5), p(90, 10), p(95, 20)]);
    expect(d[0]).toBe(Infinity);
    expect(d[2]).toBe(Infinity);
    // accuracy (95-80)/15 + latency (20-5)/15
    expect(d[1]).toBeCloseTo(2, 12);
    const four = crowdingDistance([p(0, 0), p(1, 1), p(3, 3), p(4, 4)]);
    expect(four.slice(1, 3)).toEqual([1.5, 1.5]);
  });

  it('returns Infinity for fronts of one or two', () => {
    expect(crowdingDistance([p(1, 1)])).toEqual([Infinity]);
    expect(crowdingDistance([p(1, 1), p(2, 2)])).toEqual([Infinity, Infinity]);
  });
});

describe('hypervolume', () => {
  const ref = p(60, 30);
  it('computes known areas', () => {
    expect(hypervolume([p(70, 10)], ref)).toBe(200);
    // (80-60)(30-5) + (90-80)(30-10) + (95-90)(30-20)
    expect(hypervolume(SET, ref)).toBe(750);
  });

  it('ignores points that do not beat the reference in both objectives', () => {
    expect(hypervolume([...SET, p(99, 40), p(50, 1), p(95, 30)], ref)).toBe(750);
    expect(hypervolume([], ref)).toBe(0);
  });

  it('matches an exact grid count on random integer sets', () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 20; trial++) {
      const pts = Array.from({ length: 12 }, () => p(rng.int(20), rng.int(20)));
      const r = p(2, 18);
      let cells = 0;
      for (let a = r.accuracy; a < 20; a++)
        for (let l = 0; l < r.latencyMs; l++) if (pts.some((q) => q.accuracy >= a + 1 && q.latencyMs <= l)) cells++;
      expect(hypervolume(pts, r)).toBe(cells);
    }
  });

  it('rejects a non-finite reference point', () => {
    expect(() => hypervolume(SET, p(NaN, 30))).toThrow(/reference point must be finite/);
  });
});

describe('best within a target', () => {
  const c = (accuracy: number, ms: number) => ({ accuracy, latency: { ms } });
  it('is the most accurate within the target, ties to the faster, none when nothing is within', () => {
    const set = [c(90, 10), c(80, 5), c(85, 12), c(95, 20), c(90, 8)];
    expect(bestWithin(set)).toBe(set[3]);
    expect(bestWithin(set, 12)).toBe(set[4]);
    expect(bestWithin(set, 5)).toBe(set[1]);
    expect(bestWithin(set, 4)).toBeUndefined();
  });

  it('is always on the Pareto front (random sets, coarse values so ties occur)', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 300; trial++) {
      const set = Array.from({ length: 1 + Math.floor(rng.next() * 12) }, () => c(Math.floor(rng.next() * 5), 1 + Math.floor(rng.next() * 5)));
      const target = rng.next() < 0.3 ? undefined : 1 + Math.floor(rng.next() * 5);
      const best = bestWithin(set, target);
      const within = set.filter((x) => target === undefined || x.latency.ms <= target);
      if (!within.length) {
        expect(best).toBeUndefined();
        continue;
      }
      expect(best).toBeDefined();
      expect(set.some((x) => dominates(p(x.accuracy, x.latency.ms), p(best!.accuracy, best!.latency.ms)))).toBe(false);
      expect(Math.max(...within.map((x) => x.accuracy))).toBe(best!.accuracy);
    }
  });
});
